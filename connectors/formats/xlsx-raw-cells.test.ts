import { describe, expect, it } from 'vitest';
import { readAll } from './read-all.test-support.ts';
import { workbookWithSheetData } from './sheet-data-workbook.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { xmlText } from './xlsx-raw-cells.ts';

/**
 * Cells other writers than Excel save, which exceljs' sheet parser misreads (inline text in runs, text decoded
 * twice, logical formula results), read through the xlsx format as ingestion reads them.
 */
// Shared strings the rows below point to (`t="s"`, index in the order written).
const sheetWith = (sheetData: string, strings: string[] = []) =>
  workbookWithSheetData(sheetData, strings.length > 0 ? strings : undefined);

const inline = (ref: string, runs: string) => `<c r="${ref}" t="inlineStr"><is>${runs}</is></c>`;
const run = (text: string, bold = false) =>
  `<r>${bold ? '<rPr><b/><sz val="11"/><rFont val="宋体"/></rPr>' : ''}<t>${text}</t></r>`;
const header = `<row r="1">${inline('A1', run('处罚机关') + run('名称'))}${inline('B1', '<t>备注</t>')}${inline('C1', '<t>标志</t>')}</row>`;

describe('inline text in runs (t="inlineStr" with several <r>)', () => {
  it('reads every run, as Excel shows the cell, header included', async () => {
    const bytes = await sheetWith(
      header +
        `<row r="2">${inline('A2', run('济南市') + run('市场监督管理局', true))}` +
        `${inline('B2', `${run('罚')}<r><t xml:space="preserve"> 〔2026〕</t></r><r><t/></r>${run('12号', true)}`)}</row>` +
        // Runs with a phonetic guide (furigana): the guide is not what the cell shows.
        `<row r="3">${inline('A3', `${run('東京')}<rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/>`)}` +
        // Written indented, as some tools write XML: the layout between tags is not text.
        `${inline('B3', '\n  <r>\n    <t>青岛市</t>\n  </r>\n  <r>\n    <t>税务局</t>\n  </r>\n')}</row>` +
        // CDATA, which exceljs drops.
        `<row r="4">${inline('A4', '<t><![CDATA[a<b>c]]></t>')}${inline('B4', `${run('甲')}<r><t><![CDATA[<乙>]]></t></r>`)}</row>`,
    );
    const { header: names, rows } = await readAll(xlsxFormat, bytes);
    expect(names).toEqual(['处罚机关名称', '备注', '标志']);
    expect(rows.map((row) => row.cells)).toEqual([
      ['济南市市场监督管理局', '罚 〔2026〕12号', ''],
      ['東京', '青岛市税务局', ''],
      ['a<b>c', '甲<乙>', ''],
    ]);
  });

  it('reads every row right when cells and rows are cut by the stream’s chunks, and a cell spans several', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => {
      const r = i + 2;
      const long = i === 1500 ? run('长'.repeat(40_000)) : '';
      return `<row r="${r}">${inline(`A${r}`, run(`第${r}行`) + run('机关', true) + long)}<c r="B${r}" t="str"><v>&amp;lt;${r}</v></c><c r="C${r}" t="b"><f>MOD(${r},2)=0</f><v>${r % 2 === 0 ? 1 : 0}</v></c></row>`;
    });
    const read = await readAll(xlsxFormat, await sheetWith(header + rows.join('')));
    expect(read.rows).toHaveLength(3000);
    const wrong = read.rows.filter((row) => {
      const r = row.rowNumber;
      const a = `第${r}行机关${r === 1502 ? '长'.repeat(40_000) : ''}`;
      return row.cells.join('|') !== `${a}|&lt;${r}|${r % 2 === 0 ? 'TRUE' : 'FALSE'}`;
    });
    expect(wrong.map((row) => row.rowNumber)).toEqual([]);
  });

  it('fails the file rather than set a cell in another row when the rows it counts and exceljs reads part', async () => {
    // A comment is no row to exceljs; the scan counts what looks like a row's start tag.
    const bytes = await sheetWith(
      `${header}<!-- <row r="9"> --><row r="2">${inline('A2', run('甲') + run('乙'))}</row>` +
        `<row r="3">${inline('A3', run('丙') + run('丁'))}</row>`,
    );
    await expect(readAll(xlsxFormat, bytes)).rejects.toMatchObject({
      code: 'not-a-workbook',
      message: expect.stringContaining('读到第3行时，按 XML 应为第2行'),
    });
  });

  it('fails the file when one such cell is longer than CREDIT_ETL_MAX_LINE_BYTES, before holding more of it', async () => {
    const bytes = await sheetWith(
      `${header}<row r="2">${inline('A2', run('一段文字').repeat(20_000))}</row>`,
    );
    await expect(readAll(xlsxFormat, bytes, { limits: { maxLineBytes: 64 * 1024 } })).rejects.toMatchObject({
      code: 'cell-too-long',
      message: expect.stringContaining('xl/worksheets/sheet1.xml'),
    });
  });
});

describe('text decoded once (inline, plain and formula text, shared strings)', () => {
  it('keeps the text a provider typed as `&lt;` or `&amp;`', async () => {
    const bytes = await sheetWith(
      `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>` +
        `<c r="D1" t="s"><v>3</v></c></row>` +
        `<row r="2">${inline('A2', '<t>&amp;lt;罚&amp;amp;&amp;gt;</t>')}<c r="B2" t="str"><v>A&amp;amp;B</v></c>` +
        `<c r="C2" t="str"><f>"&amp;"&amp;"lt;"</f><v>&amp;lt;</v></c><c r="D2" t="s"><v>4</v></c></row>` +
        // Character references and attributes in either quote, in another order.
        `<row r="3"><c t='inlineStr' r='A3' s="0"><is><t>&#38;lt;&#x26;quot;&quot;</t></is></c>` +
        `<c r="B3" t="str"><v>&amp;apos;</v></c><c r="C3" t="str"><v>&lt;&gt;</v></c><c r="D3" t="s"><v>5</v></c></row>`,
      ['名称', '代码', '结果', '备注', '&lt;含&amp;', 'a&b<c>'],
    );
    const { header: names, rows } = await readAll(xlsxFormat, bytes);
    expect(names).toEqual(['名称', '代码', '结果', '备注']);
    expect(rows.map((row) => row.cells)).toEqual([
      ['&lt;罚&amp;&gt;', 'A&amp;B', '&lt;', '&lt;含&amp;'],
      ['&lt;&quot;"', '&apos;', '<>', 'a&b<c>'],
    ]);
  });

  it('normalizes line ends as an XML parser does, and decodes a reference once', () => {
    expect(xmlText('第一行\r\n第二行\r第三行&#13;')).toBe('第一行\n第二行\n第三行\r');
    expect(xmlText('&amp;amp; &#x6D4E;&#21335; &unknown;')).toBe('&amp; 济南 &unknown;');
  });
});

describe('a formula with a logical result (t="b")', () => {
  it('reads TRUE/FALSE as Excel shows it, not the 1/0 the file stores, and not as a number', async () => {
    const bytes = await sheetWith(
      header +
        `<row r="2">${inline('A2', '<t>甲</t>')}<c r="B2" t="b"><f>A2="甲"</f><v>1</v></c><c r="C2" t="b"><f>A2&lt;&gt;"甲"</f><v>0</v></c></row>` +
        `<row r="3">${inline('A3', '<t>乙</t>')}<c r="B3" t="b"><v>1</v></c><c r="C3" t="b"><f t="shared" ref="C3:C4" si="0">ISBLANK(A3)</f><v>false</v></c></row>` +
        `<row r="4">${inline('A4', '<t>丙</t>')}<c r="B4" t="n"><f>1=1</f><v>1</v></c><c r="C4" t="b"><f t="shared" si="0"/><v>1</v></c></row>`,
    );
    const { rows } = await readAll(xlsxFormat, bytes);
    expect(rows.map((row) => row.cells)).toEqual([
      ['甲', 'TRUE', 'FALSE'],
      ['乙', 'TRUE', 'FALSE'],
      // A number that a formula computed stays a number.
      ['丙', '1', 'TRUE'],
    ]);
    expect(rows.map((row) => row.numberCells ?? [])).toEqual([[], [], [1]]);
    expect(rows.flatMap((row) => row.errorCells ?? [])).toEqual([]);
  });
});

describe('a date stored as ISO 8601 text (t="d")', () => {
  it('reads the date as a date cell reads, not the year its text starts with', async () => {
    const date = (ref: string, text: string, formula = '') =>
      `<c r="${ref}" t="d">${formula ? `<f>${formula}</f>` : ''}<v>${text}</v></c>`;
    const bytes = await sheetWith(
      header +
        // LibreOffice's "ISO dates", openpyxl's iso_dates, Java exporters: with or without a zone, a time or none.
        `<row r="2">${date('A2', '2026-03-05T00:00:00Z')}${date('B2', '2026-03-05')}${date('C2', '2026-03-05T00:00:00.000')}</row>` +
        // A time is kept as a person sees it (seconds rounded); the zone is left out, the wall-clock kept.
        `<row r="3">${date('A3', '2026-03-05T14:30:15.6')}${date('B3', '2026-12-31T23:59:59.7+08:00')}${date('C3', '2026-03-05T08:00:00+08:00')}</row>` +
        // A formula's date result; text that is no date stays as it is, for the field's check to quote.
        `<row r="4">${date('A4', '2026-03-05T00:00:00', 'DATE(2026,3,5)')}${date('B4', '不详')}${date('C4', '2026-02-30')}</row>`,
    );
    const { rows } = await readAll(xlsxFormat, bytes);
    expect(rows.map((row) => row.cells)).toEqual([
      ['2026-03-05', '2026-03-05', '2026-03-05'],
      ['2026-03-05 14:30:16', '2027-01-01', '2026-03-05 08:00:00'],
      ['2026-03-05', '不详', '2026-02-30'],
    ]);
    expect(rows.map((row) => row.numberCells ?? [])).toEqual([[], [], []]);
    expect(rows.flatMap((row) => row.errorCells ?? [])).toEqual([]);
  });
});
