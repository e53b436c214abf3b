import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAll } from './read-all.test-support.ts';
import { workbookWithSheetData } from './sheet-data-workbook.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { withImpliedRefs } from './xlsx-implied-refs.ts';

/**
 * Rows and cells without a reference (`r`), as OOXML allows and legacy or Java exporters write them: each is where
 * its order puts it. They used to fail as not-a-workbook (exceljs cannot place a cell without its reference).
 */
// The shared strings the rows below point to (`t="s"`): 0 处罚机关, 1 备注, 2 甲, 3 乙.
const sheetWith = (sheetData: string) => workbookWithSheetData(sheetData, ['处罚机关', '备注', '甲', '乙']);

const s = (index: number, ref?: string) => `<c${ref ? ` r="${ref}"` : ''} t="s"><v>${index}</v></c>`;
const text = (value: string) => `<c t="inlineStr"><is><t>${value}</t></is></c>`;
const row = (cells: string, r?: number) => `<row${r === undefined ? '' : ` r="${r}"`}>${cells}</row>`;
const header = row(s(0) + s(1));
const SHEET = '文件不是有效的 Excel 工作簿（.xlsx）：工作表「处罚」（xl/worksheets/sheet1.xml）中';

const read = async (sheetData: string) => {
  const { header: names, rows, blankLines } = await readAll(xlsxFormat, await sheetWith(sheetData));
  return { names, rows: rows.map((one) => [one.rowNumber, ...one.cells]), blankLines };
};

describe('rows and cells placed by their order', () => {
  it('reads cells without r column after column, rows without r row after row', async () => {
    const { names, rows } = await read(header + row(s(2) + text('济南市')) + row(`<c/>${s(3)}`));
    expect(names).toEqual(['处罚机关', '备注']);
    expect(rows).toEqual([
      [2, '甲', '济南市'],
      [3, '', '乙'],
    ]);
  });

  it('goes on from the last written reference, in a row and between rows', async () => {
    // B5 then an unreferenced cell: C5; the row after 5 is 6, its first cell A6.
    const { rows } = await read(
      row(s(0, 'A1') + s(1)) + row(s(2, 'B5') + s(3), 5) + row(s(3) + text('x')) + row(s(2, 'A8')),
    );
    expect(rows).toEqual([
      [5, '', '甲'],
      [6, '乙', 'x'],
      [8, '甲', ''],
    ]);
  });

  it('reads a row without r as its first cell’s row, when that cell has a reference', async () => {
    const { rows, blankLines } = await read(header + row(s(2, 'A4') + s(3)));
    expect(rows).toEqual([[4, '甲', '乙']]);
    expect(blankLines).toBe(2);
  });

  it('counts an empty row without r for the rows after it, and still passes one over', async () => {
    const { rows, blankLines } = await read(`${header}<row></row><row/>${row(s(2) + s(3))}`);
    expect(rows).toEqual([[4, '甲', '乙']]);
    expect(blankLines).toBe(2);
  });

  it('reads a cell whose r comes after a value holding `>` (XML allows it) where its r puts it', async () => {
    const { rows } = await read(`${header}<row r="2"><c foo="a>b" r="B2" t="s"><v>2</v></c></row>`);
    expect(rows).toEqual([[2, '', '甲']]);
  });

  it('keeps the checks: an implied cell a written one repeats, an implied row number a written one repeats', async () => {
    const fails = async (sheetData: string, what: string) =>
      expect(readAll(xlsxFormat, await sheetWith(sheetData))).rejects.toMatchObject({
        code: 'not-a-workbook',
        message: expect.stringContaining(`${SHEET}${what}`),
      });
    await fails(header + row(s(2) + s(3) + s(2, 'B2')), '单元格 B2 出现了两次');
    await fails(header + row(s(2) + s(3)) + row(s(2) + s(3), 2), '第2行的行号重复');
  });
});

describe('the references written in, whatever the chunks', () => {
  const rewrite = async (chunks: string[]) => {
    let out = '';
    for await (const piece of withImpliedRefs(Readable.from(chunks), 'sheet1.xml', () => '处罚', 1000))
      out += piece;
    return out;
  };
  const xml = `<sheetData><!-- <row><c> --><row spans="1:2"><c s="1"><v>1</v></c><c/><![CDATA[<c>]]></row><row r="7"><c r="C7"/><c t="s"><v>0</v></c></row><row/><row><c/></row></sheetData>`;
  const expected = `<sheetData><!-- <row><c> --><row r="1" spans="1:2"><c r="A1" s="1"><v>1</v></c><c r="B1"/><![CDATA[<c>]]></row><row r="7"><c r="C7"/><c r="D7" t="s"><v>0</v></c></row><row/><row r="9"><c r="A9"/></row></sheetData>`;

  it('adds r to rows and cells only, not inside comments or CDATA', async () => {
    expect(await rewrite([xml])).toBe(expected);
  });

  it('gives the same text cut at every place', async () => {
    for (let cut = 1; cut < xml.length; cut++) {
      expect(await rewrite([xml.slice(0, cut), xml.slice(cut)])).toBe(expected);
    }
    expect(await rewrite([...xml])).toBe(expected);
  });

  it('reads a tag to its end, not to a `>` in a quoted value, wherever it is cut', async () => {
    const tags = `<row note='1>0' r="3"><c foo="a>b" r="B3"/><c x='"'/></row>`;
    const placed = `<row note='1>0' r="3"><c foo="a>b" r="B3"/><c r="C3" x='"'/></row>`;
    for (let cut = 0; cut < tags.length; cut++) {
      expect(await rewrite([tags.slice(0, cut), tags.slice(cut)])).toBe(placed);
    }
  });
});
