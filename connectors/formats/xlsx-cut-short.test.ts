import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { penaltyWorkbook } from './penalty-workbook.test-support.ts';
import { readAll } from './read-all.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { partText, rootClosed } from './xlsx-part-text.ts';
import { repackWorkbook } from './xlsx-repack.test-support.ts';

/**
 * A workbook one of whose parts stops half-way (a legacy exporter that died mid-sheet, a file cut and zipped again):
 * the zip is sound and each part's CRC-32 fits its bytes, only the XML ends before its root element does. exceljs
 * never closes its XML parser, so never said so: the rows before the cut loaded and the rest were lost unseen.
 */
let saved: Buffer;

beforeAll(async () => {
  saved = Buffer.from(await penaltyWorkbook({ rows: 20, dateFormatOn: 'B2' }).xlsx.writeBuffer());
});

/** The part named keeps its text up to `marker` and `extra` characters more; its CRC-32 is that of what it keeps. */
const cut = (part: string, marker: string, extra = 0) =>
  repackWorkbook(saved, {
    edit: (name, text) => {
      if (name !== part) return undefined;
      const at = text.indexOf(marker);
      expect(at).toBeGreaterThan(0);
      return text.slice(0, at + extra);
    },
  });

const AFTER_CUT =
  '（后面的内容和结束标记都缺失，多为导出程序中途出错，或文件被截断后又重新压缩），整个文件未入库：请从原系统重新导出完整的文件后报送（Excel 打开时若提示“修复”，修复后的文件同样缺少中断处之后的内容，不能用来报送）';

describe('a workbook part cut short, its CRC-32 fitting what is left', () => {
  it('reads the workbook packed again whole', async () => {
    const { rows } = await readAll(xlsxFormat, await repackWorkbook(saved, {}));
    expect(rows).toHaveLength(20);
  });

  it('refuses a sheet cut in the middle of a row, naming the sheet, its part and the last whole row', async () => {
    // Rows 2 to 11 (10 of the 20) were read before the cut: they loaded as if they were the file.
    const bytes = await cut('xl/worksheets/sheet1.xml', '<row r="12"', 30);
    await expect(readAll(xlsxFormat, bytes)).rejects.toMatchObject({
      code: 'not-a-workbook',
      message: `文件不是有效的 Excel 工作簿（.xlsx）：工作表「处罚」（xl/worksheets/sheet1.xml）不完整，在第11行之后中断${AFTER_CUT}`,
    });
  });

  it('refuses a sheet whose every row is there but whose end tags are not (an exporter that never closed it)', async () => {
    const bytes = await cut('xl/worksheets/sheet1.xml', '</sheetData>');
    await expect(readAll(xlsxFormat, bytes)).rejects.toMatchObject({
      code: 'not-a-workbook',
      message: expect.stringContaining('工作表「处罚」（xl/worksheets/sheet1.xml）不完整，在第21行之后中断'),
    });
  });

  it('refuses a sheet cut before its first row', async () => {
    const bytes = await cut('xl/worksheets/sheet1.xml', '<sheetData>');
    await expect(readAll(xlsxFormat, bytes)).rejects.toMatchObject({
      code: 'not-a-workbook',
      message: expect.stringContaining(
        '工作表「处罚」（xl/worksheets/sheet1.xml）不完整，在第一行之前就中断了',
      ),
    });
  });

  it('refuses shared strings cut short, saying how many strings were read', async () => {
    const bytes = await cut('xl/sharedStrings.xml', '<si><t>公司10</t>');
    await expect(readAll(xlsxFormat, bytes)).rejects.toMatchObject({
      code: 'not-a-workbook',
      message: `文件不是有效的 Excel 工作簿（.xlsx）：单元格文字（共享字符串表 xl/sharedStrings.xml）不完整，读到第14个字符串后中断${AFTER_CUT}`,
    });
  });

  it.each([
    ['xl/workbook.xml', '</sheets>', '工作簿的结构（xl/workbook.xml，记录各工作表的名称和顺序）'],
    ['xl/styles.xml', '<cellXfs', '单元格格式（xl/styles.xml）'],
    ['xl/_rels/workbook.xml.rels', '</Relationships>', '工作表的索引（xl/_rels/workbook.xml.rels）'],
  ])(
    'refuses the workbook when %s is cut short, exceljs keeping what it read of it',
    async (part, marker, label) => {
      const bytes = await cut(part, marker);
      await expect(readAll(xlsxFormat, bytes)).rejects.toMatchObject({
        code: 'not-a-workbook',
        message: `文件不是有效的 Excel 工作簿（.xlsx）：${label}不完整，内容在中途中断${AFTER_CUT}`,
      });
    },
  );

  it('reads a sheet whose root is followed by white space, a comment and a processing instruction', async () => {
    const bytes = await repackWorkbook(saved, {
      edit: (name, text) =>
        name === 'xl/worksheets/sheet1.xml' ? `${text}\r\n<!-- 导出完毕 -->\n<?done yes?>\t\n` : undefined,
    });
    const { rows } = await readAll(xlsxFormat, bytes);
    expect(rows).toHaveLength(20);
  });
});

describe('rootClosed', () => {
  const closed = async (chunks: string[], root = 'worksheet') => {
    const text = partText(
      Readable.from(chunks.map((chunk) => Buffer.from(chunk))),
      'xl/worksheets/sheet1.xml',
      {
        maxPartBytes: 1 << 20,
        maxTextBytes: 1 << 20,
      },
    );
    const before = rootClosed(text, root);
    for await (const _chunk of text) {
      // read to its end
    }
    return [before, rootClosed(text, root)];
  };
  const sheet = `<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>${'<x/>'.repeat(2000)}`;

  it('is undefined until the text has ended, then tells whether the root was closed last', async () => {
    expect(await closed([sheet, '</worksheet>'])).toEqual([undefined, true]);
    expect(await closed([sheet])).toEqual([undefined, false]);
  });

  it('finds the end tag however the chunks cut it, with a prefix, and past what XML allows after the root', async () => {
    const whole = `${sheet}</worksheet >\n<!-- a -->  <?pi x?>\r\n`;
    for (const size of [1, 2, 3, 7, 4096, 5000]) {
      const chunks = whole.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) as string[];
      expect(await closed(chunks)).toEqual([undefined, true]);
    }
    expect(await closed([`<x:worksheet xmlns:x="m">${sheet.slice(11)}</x:worksheet>`])).toEqual([
      undefined,
      true,
    ]);
    expect(await closed(['<?xml version="1.0"?>\n<worksheet xmlns="m" a=">"/>\n'])).toEqual([
      undefined,
      true,
    ]);
  });

  it('is false for a text ending in another element, a cut end tag, an open comment or trailing bytes', async () => {
    for (const end of [
      '</sheetData>',
      '<row r="2"/>',
      '</worksheet',
      '</worksheet>x',
      '</worksheet><!-- a',
      '</worksheet>\0',
    ]) {
      expect(await closed([sheet, end])).toEqual([undefined, false]);
    }
    expect(await closed([sheet, '</worksheets>'])).toEqual([undefined, false]);
    expect(await closed([sheet, '</worksheet>'], 'sst')).toEqual([undefined, false]);
  });
});
