import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAll } from './read-all.test-support.ts';
import { workbookWithSheetData } from './sheet-data-workbook.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { repackWorkbook } from './xlsx-repack.test-support.ts';

/**
 * Parts that are well-formed XML but not what Excel writes, as a provider's exporter may send them. Each is the
 * file's defect, never the platform's: the file fails as `not-a-workbook` naming the part (and the cell), or loads
 * what Excel would show — never a TypeError or RangeError of exceljs or ours, which would fail it as
 * `internal-error` (blamed on the platform) or load a value nobody saw.
 */
let saved: Buffer;

beforeAll(async () => {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('处罚');
  sheet.addRow(['名称', '日期', '金额']);
  sheet.addRow(['公司0', new Date(Date.UTC(2026, 7, 7)), 1.5]);
  sheet.getCell('B2').numFmt = 'yyyy/m/d';
  saved = Buffer.from(await book.xlsx.writeBuffer());
});

type Edit = (text: string) => string;
const withPart = (part: string, edit: Edit) =>
  repackWorkbook(saved, { edit: (name, text) => (name === part ? edit(text) : undefined) });
/** B2, a cell under the date format yyyy/m/d, holding `xml` (its `<v>`, maybe a `<f>`) instead of 46241. */
const dateCell = (xml: string) =>
  withPart('xl/worksheets/sheet1.xml', (text) => {
    expect(text).toMatch(/<c r="B2" s="1"><v>46241<\/v><\/c>/);
    return text.replace('<c r="B2" s="1"><v>46241</v></c>', `<c r="B2" s="1">${xml}</c>`);
  });
/** The root element `root` of a part written with a prefix of another namespace than SpreadsheetML's. */
const foreignRoot = (root: string) => (text: string) =>
  text.replace(`<${root} `, `<o:${root} xmlns:o="urn:other" `).replace(`</${root}>`, `</o:${root}>`);

const NOT_A_WORKBOOK = '文件不是有效的 Excel 工作簿（.xlsx）：';
const SHEET = `${NOT_A_WORKBOOK}工作表「处罚」（xl/worksheets/sheet1.xml）中`;

const failsWith = async (bytes: Promise<Buffer>, message: string) => {
  const failure = readAll(xlsxFormat, await bytes);
  await expect(failure).rejects.toMatchObject({
    code: 'not-a-workbook',
    message: expect.stringContaining(message),
  });
  await expect(failure).rejects.toThrow(/整个文件未入库/);
};

describe('a part whose root element exceljs does not know', () => {
  it('fails a workbook.xml whose root has another namespace’s prefix, naming it (exceljs’ TypeError was internal-error)', async () => {
    await failsWith(
      withPart('xl/workbook.xml', foreignRoot('workbook')),
      `${NOT_A_WORKBOOK}工作簿的结构（xl/workbook.xml，记录各工作表的名称和顺序）中根元素不是 Excel 的 <workbook>`,
    );
  });

  it('fails such a styles.xml naming it, not the sheet whose cells were read with it', async () => {
    await failsWith(
      withPart('xl/styles.xml', foreignRoot('styleSheet')),
      `${NOT_A_WORKBOOK}单元格格式（xl/styles.xml）中根元素不是 Excel 的 <styleSheet>`,
    );
  });
});

describe('a cell whose stored value Excel could not show', () => {
  it.each([
    ['far past any date', '<v>1000000000</v>'],
    ['far before any date', '<v>-1000000000</v>'],
  ])(
    'fails a date cell whose serial is %s, naming the cell (a RangeError was internal-error)',
    async (_, xml) => {
      await failsWith(
        dateCell(xml),
        `${SHEET}单元格 B2 设为日期格式，存的内容却不是数字，或是超出日期范围的数值`,
      );
    },
  );

  it.each([['abc'], ['1e400']])(
    'fails a date cell whose serial is no number (%s, past any double) as a number cell, naming the cell and the value',
    async (value) => {
      await failsWith(
        dateCell(`<v>${value}</v>`),
        `${SHEET}单元格 B2 标为数值，存的内容却不是数字（存的是「${value}」）`,
      );
    },
  );

  it('reads a date cell whose serial is empty as a blank cell, as LibreOffice does (the file failed)', async () => {
    const { rows } = await readAll(xlsxFormat, await dateCell('<v></v>'));
    expect(rows.map((row) => row.cells)).toEqual([['公司0', '', '1.5']]);
  });

  it('fails a number cell whose value is no number, naming the cell (it loaded as the text NaN)', async () => {
    const row = (cell: string) =>
      `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>0</v></c>${cell}</row>`;
    await failsWith(
      workbookWithSheetData(row('<c r="B2"><v>abc</v></c>'), ['名称', '金额']),
      `${SHEET}单元格 B2 标为数值，存的内容却不是数字`,
    );
    await failsWith(
      workbookWithSheetData(row('<c r="B2" t="n"><v>Infinity</v></c>'), ['名称', '金额']),
      `${SHEET}单元格 B2 标为数值，存的内容却不是数字`,
    );
  });

  it.each([
    ['a serial past 9999-12-31', '<v>3000000</v>', '3000000'],
    ['a negative serial', '<v>-5</v>', '-5'],
    ['a formula’s result far past any date', '<f>C2*1</f><v>1000000000</v>', '1000000000'],
  ])(
    'reads %s under a date format as its number, as Excel shows no date for it (#####)',
    async (_, xml, text) => {
      const { rows } = await readAll(xlsxFormat, await dateCell(xml));
      expect(rows.map((row) => [row.rowNumber, row.cells[1], row.numberCells])).toEqual([[2, text, [1, 2]]]);
    },
  );

  it('reads a serial within the dates as the date, as before', async () => {
    const { rows } = await readAll(xlsxFormat, await dateCell('<v>2958465</v>'));
    expect(rows[0]?.cells[1]).toBe('9999-12-31');
  });
});

describe('a row number past Excel’s last row', () => {
  it.each([1_048_577, 3_000_000_000])(
    'fails row %i, naming it (it loaded, past the warehouse’s row numbers too)',
    async (r) => {
      const header = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>';
      await failsWith(
        workbookWithSheetData(`${header}<row r="${r}"><c r="A${r}" t="s"><v>0</v></c></row>`, [
          '名称',
          '金额',
        ]),
        `${SHEET}第1行之后的一行行号为 ${r}，超出 Excel 的最大行号 1048576`,
      );
    },
  );

  it('reads Excel’s last row', async () => {
    const r = 1_048_576;
    const header = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>';
    const bytes = await workbookWithSheetData(
      `${header}<row r="${r}"><c r="A${r}" t="s"><v>0</v></c></row>`,
      ['名称', '金额'],
    );
    const { rows } = await readAll(xlsxFormat, bytes);
    expect(rows.map((row) => row.rowNumber)).toEqual([r]);
  });
});

describe('parts Excel would not write that hold all that is read', () => {
  // What is loaded is what Excel shows of the sheet: nothing is guessed, so nothing is refused.
  it.each([
    [
      'xl/workbook.xml',
      'without <sheets> (the sheet is named Sheet1)',
      (t: string) => t.replace(/<sheets>.*<\/sheets>/s, ''),
    ],
    [
      'xl/workbook.xml',
      'with a sheet whose r:id points nowhere',
      (t: string) => t.replace(/ r:id="[^"]*"/, ' r:id="rId99"'),
    ],
    [
      'xl/_rels/workbook.xml.rels',
      'with a Target outside the package',
      (t: string) => t.replace('worksheets/sheet1.xml', '../../../etc/passwd'),
    ],
    [
      'xl/styles.xml',
      'with <numFmts> without count',
      (t: string) => t.replace(/<numFmts count="\d+"/, '<numFmts'),
    ],
  ])('reads a workbook whose %s is %s', async (part, _, edit) => {
    const { rows } = await readAll(xlsxFormat, await withPart(part, edit));
    expect(rows.map((row) => row.cells)).toEqual([['公司0', '2026-08-07', '1.5']]);
  });
});
