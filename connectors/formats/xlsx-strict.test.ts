import { describe, expect, it } from 'vitest';
import { decisionsWorkbook } from './penalty-workbook.test-support.ts';
import { withMainPrefix } from './prefixed-workbook.test-support.ts';
import { readAll } from './read-all.test-support.ts';
import { asStrict, strictWorkbook } from './strict-workbook.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { repackWorkbook } from './xlsx-repack.test-support.ts';

/**
 * Workbooks saved by Excel as "Strict Open XML Spreadsheet (*.xlsx)": the same parts and element names under the
 * strict namespaces (`http://purl.oclc.org/ooxml/spreadsheetml/main`, relationship types
 * `http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet`), dates as ISO 8601 text (`t="d"`). exceljs'
 * parsers are not namespace-aware and match relationships by target, never by type: such a workbook loads as its
 * transitional twin, which these tests hold to. Written with a prefix (`<x:worksheet xmlns:x="…/ooxml/spreadsheetml/
 * main">`, as the Open XML SDK writes it) it failed as `not-a-workbook` (根元素不是 Excel 的 <workbook>).
 */
async function penaltyBook(rows: number): Promise<Buffer> {
  // Dates spread over 300 days: strict workbooks write them as ISO text, each one read back.
  const book = decisionsWorkbook(rows, (i) => i % 300);
  const bytes = Buffer.from(await book.xlsx.writeBuffer());
  // exceljs writes every text as a shared string: one cell as WPS and Java exporters write it, inline.
  return repackWorkbook(bytes, {
    edit: (part, text) =>
      part === 'xl/worksheets/sheet2.xml'
        ? text.replace(
            /<c r="D4" t="s"><v>\d+<\/v><\/c>/,
            '<c r="D4" t="inlineStr"><is><t>行内文字</t></is></c>',
          )
        : undefined,
  });
}

const options = { headerFits: (header: readonly string[]) => header[0] === '行政处罚决定书文号' };

describe('a workbook saved as Strict Open XML', () => {
  it('reads the same rows and values as its transitional twin: shared and inline strings, numbers, dates', async () => {
    // 3,000 rows: the sheet's text spans many chunks, the strict namespace's text cut between them.
    const plain = await penaltyBook(3000);
    const strict = await strictWorkbook(plain, ['B']);
    let sheet = '';
    let rels = '';
    await repackWorkbook(strict, {
      edit: (part, text) => {
        if (part === 'xl/worksheets/sheet2.xml') sheet = text;
        if (part === 'xl/_rels/workbook.xml.rels') rels = text;
        return undefined;
      },
    });
    expect(sheet).toContain('<worksheet xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"');
    expect(sheet).toContain('<c r="B3" s="1" t="d"><v>2026-08-08T00:00:00</v></c>');
    expect(rels).toContain('Type="http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet"');
    const twin = await readAll(xlsxFormat, plain, options);
    expect(twin.rows).toHaveLength(3000);
    expect(twin.rows.slice(0, 3).map((row) => row.cells)).toEqual([
      ['鲁市监罚〔2026〕0号', '2026-08-07', '1.5', ''],
      ['鲁市监罚〔2026〕1号', '2026-08-08', '2.5', '济南市市场监督管理局'],
      ['鲁市监罚〔2026〕2号', '2026-08-09', '3.5', '行内文字'],
    ]);
    expect(await readAll(xlsxFormat, strict, options)).toEqual(twin);
  });

  it('reads a strict workbook whose parts write the main namespace with a prefix as its twin', async () => {
    const plain = await penaltyBook(3000);
    let workbookXml = '';
    const strict = await repackWorkbook(plain, {
      edit: (part, text) => {
        const edited = asStrict(withMainPrefix(text), ['B']);
        if (part === 'xl/workbook.xml') workbookXml = edited;
        return edited;
      },
    });
    expect(workbookXml).toContain(
      '<x:workbook conformance="strict" xmlns:x="http://purl.oclc.org/ooxml/spreadsheetml/main"',
    );
    expect(await readAll(xlsxFormat, strict, options)).toEqual(await readAll(xlsxFormat, plain, options));
  });
});
