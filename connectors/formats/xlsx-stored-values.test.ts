import { describe, expect, it } from 'vitest';
import { readAll } from './read-all.test-support.ts';
import { workbookWithSheetData } from './sheet-data-workbook.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';

/**
 * A cell's value as the sheet's XML text holds it, not as exceljs' `parseInt`/`parseFloat` of it reads it: a
 * shared string's index, a number, a logical value that no spreadsheet could have written fail the file, naming
 * the cell and what it holds; an empty value is a blank cell, as LibreOffice reads it.
 */
const STRINGS = ['名称', '金额', '标志', '公司甲', '公司乙'];
const HEADER =
  '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>';
/** Row 5 (a name, an amount) with `cell` as its C5. */
const withC5 = (cell: string) =>
  workbookWithSheetData(
    `${HEADER}<row r="5"><c r="A5" t="s"><v>3</v></c><c r="B5"><v>1</v></c>${cell}</row>`,
    STRINGS,
  );

const SHEET = '文件不是有效的 Excel 工作簿（.xlsx）：工作表「处罚」（xl/worksheets/sheet1.xml）中';

const failsWith = async (bytes: Promise<Buffer>, message: string) => {
  const failure = readAll(xlsxFormat, await bytes);
  await expect(failure).rejects.toMatchObject({
    code: 'not-a-workbook',
    message: expect.stringContaining(message),
  });
  await expect(failure).rejects.toThrow(
    /整个文件未入库：请从原系统重新导出，或用 Excel 打开确认内容无误后另存为 \.xlsx 重新报送/,
  );
};
const c5 = async (cell: string) => (await readAll(xlsxFormat, await withC5(cell))).rows[0]?.cells[2];

describe('a shared string cell (t="s") whose <v> is no index into the table', () => {
  it.each([['0.5'], ['-1'], ['abc'], ['1e0'], ['1 2']])(
    'fails <v>%s</v>, naming the cell and the value (0.5 loaded as string 0)',
    async (value) => {
      await failsWith(
        withC5(`<c r="C5" t="s"><v>${value}</v></c>`),
        `${SHEET}单元格 C5 标为共享字符串，存的却不是字符串的序号（应为 0、1、2 这样的整数）（存的是「${value}」）`,
      );
    },
  );

  it('fails an index past the table, naming the cell and the index (as before)', async () => {
    await failsWith(
      withC5('<c r="C5" t="s"><v>99</v></c>'),
      `${SHEET}单元格 C5 引用的共享字符串 99 不存在（共享字符串表只有 5 个字符串）`,
    );
  });

  it('reads an index, white space around it or written with a reference, as the string', async () => {
    expect(await c5('<c r="C5" t="s"><v>4</v></c>')).toBe('公司乙');
    expect(await c5('<c r="C5" t="s"><v> 4\n</v></c>')).toBe('公司乙');
    expect(await c5('<c r="C5" t="s"><v>&#52;</v></c>')).toBe('公司乙');
  });
});

describe('a logical cell (t="b") whose value is not 0, 1, true or false', () => {
  it.each([
    ['7', '<v>7</v>'],
    ['yes', '<v>yes</v>'],
    ['-1', '<v>-1</v>'],
    ['2', '<f>A5="公司甲"</f><v>2</v>'],
  ])('fails %s, naming the cell and the value (it loaded as TRUE)', async (value, xml) => {
    await failsWith(
      withC5(`<c r="C5" t="b">${xml}</c>`),
      `${SHEET}单元格 C5 标为逻辑值，存的却不是 0、1、true 或 false（存的是「${value}」）`,
    );
  });

  it('reads 0, 1, true and false as Excel shows them', async () => {
    expect(await c5('<c r="C5" t="b"><v>0</v></c>')).toBe('FALSE');
    expect(await c5('<c r="C5" t="b"><v>true</v></c>')).toBe('TRUE');
    expect(await c5('<c r="C5" t="b"><v>false</v></c>')).toBe('FALSE');
  });
});

describe('a number cell whose <v> is not a number as a whole', () => {
  it.each([['12abc'], ['1,5'], ['0x1F'], ['1e'], ['--1'], ['.'], ['1.2.3'], ['INF'], ['NaN'], ['1 000']])(
    'fails <v>%s</v>, naming the cell and the value (12abc loaded as 12)',
    async (value) => {
      for (const type of ['', ' t="n"', ' t="x"']) {
        await failsWith(
          withC5(`<c r="C5"${type}><v>${value}</v></c>`),
          `${SHEET}单元格 C5 标为数值，存的内容却不是数字（存的是「${value}」）`,
        );
      }
    },
  );

  it('fails a formula’s stored result that is no number, naming it (it loaded as 12)', async () => {
    await failsWith(
      withC5('<c r="C5"><f>B5*12</f><v>12abc</v></c>'),
      `${SHEET}单元格 C5 标为数值，存的内容却不是数字（存的是「12abc」）`,
    );
  });

  it.each([['1E400'], ['-1e309']])(
    'fails <v>%s</v>, past what a number holds (it loaded as Infinity)',
    async (value) => {
      await failsWith(
        withC5(`<c r="C5"><v>${value}</v></c>`),
        `${SHEET}单元格 C5 标为数值，存的内容却不是数字（存的是「${value}」）`,
      );
    },
  );

  it('quotes a long wrong value shortened', async () => {
    await failsWith(withC5(`<c r="C5"><v>1${'x'.repeat(100)}</v></c>`), `（存的是「1${'x'.repeat(39)}…」）`);
  });

  it.each([
    ['-1.5E+3', '-1500'],
    ['+7', '7'],
    ['.5', '0.5'],
    ['5.', '5'],
    [' 12\n', '12'],
    ['&#49;2', '12'],
    ['1e-2', '0.01'],
  ])('reads <v>%s</v> as the number %s', async (value, text) => {
    expect(await c5(`<c r="C5"><v>${value}</v></c>`)).toBe(text);
  });
});

describe('an empty value (<v></v>, <v/>)', () => {
  it.each([
    ['a number', '<c r="C5" s="0"><v></v></c>'],
    ['a number, <v/>', '<c r="C5"><v/></c>'],
    ['a number, t="n"', '<c r="C5" t="n"><v></v></c>'],
    ['a shared string', '<c r="C5" t="s"><v></v></c>'],
    ['a logical value', '<c r="C5" t="b"><v/></c>'],
  ])(
    'reads %s as a blank cell, as LibreOffice does (the file failed, or it loaded as TRUE)',
    async (_, cell) => {
      const { rows } = await readAll(xlsxFormat, await withC5(cell));
      expect(rows.map((row) => [row.rowNumber, row.cells])).toEqual([[5, ['公司甲', '1', '']]]);
    },
  );
});

describe('values cut by the stream’s chunks', () => {
  const rowsOf = (count: number, c: (r: number) => string) =>
    Array.from({ length: count }, (_, i) => {
      const r = i + 2;
      return `<row r="${r}"><c r="A${r}" t="s"><v>${3 + (r % 2)}</v></c><c r="B${r}"><v>${r}.25</v></c>${c(r)}</row>`;
    }).join('');

  it('reads every number, index and empty value right across the chunks', async () => {
    const c = (r: number) =>
      r % 7 === 0
        ? `<c r="C${r}"><v></v></c>`
        : r % 2
          ? `<c r="C${r}" t="s"><v>${r % 5}</v></c>`
          : `<c r="C${r}"><v>-${r}E-1</v></c>`;
    const { rows } = await readAll(
      xlsxFormat,
      await workbookWithSheetData(HEADER + rowsOf(20_000, c), STRINGS),
    );
    expect(rows).toHaveLength(20_000);
    const wrong = rows.filter(({ rowNumber: r, cells }) => {
      const third = r % 7 === 0 ? '' : r % 2 ? (STRINGS[r % 5] as string) : String(-r / 10);
      return cells.join('|') !== `${STRINGS[3 + (r % 2)]}|${r}.25|${third}`;
    });
    expect(wrong.map((row) => row.rowNumber)).toEqual([]);
  });

  it('fails a wrong number far into the sheet, naming its cell', async () => {
    const c = (r: number) => `<c r="C${r}"><v>${r === 15_000 ? '15000x' : r}</v></c>`;
    await failsWith(
      workbookWithSheetData(HEADER + rowsOf(20_000, c), STRINGS),
      `${SHEET}单元格 C15000 标为数值，存的内容却不是数字（存的是「15000x」）`,
    );
  });
});
