import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { penaltyWorkbook } from './penalty-workbook.test-support.ts';
import { readAll } from './read-all.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';
import { repackWorkbook } from './xlsx-repack.test-support.ts';

/**
 * A workbook one of whose parts changed after it was saved (a byte on disk or in transit): the part no longer has
 * the CRC-32 the zip records for it. Each part is checked, the sheet's rows as they stream, and the small parts
 * exceljs stops reading at their root's end tag to their last byte.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'xlsx-damaged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let saved: Buffer;

beforeAll(async () => {
  const file = path.join(dir, 'book.xlsx');
  await penaltyWorkbook({ rows: 50, dateFormatOn: 'C2', merge: 'A2:A3' }).xlsx.writeFile(file);
  saved = readFileSync(file);
});

/** The first `from` in the part named becomes `to` (of as many bytes): its recorded CRC-32 no longer fits it. */
const damage = (part: string, from: string, to: string) => (name: string, text: string) => {
  if (name !== part) return undefined;
  expect(text).toContain(from);
  return text.replace(from, to);
};

describe('a workbook part whose bytes are not those its CRC-32 stands for', () => {
  it('reads the workbook packed again unchanged', async () => {
    const { rows } = await readAll(xlsxFormat, await repackWorkbook(saved, {}));
    expect(rows).toHaveLength(50);
    expect(rows[0]?.cells.slice(0, 2)).toEqual(['公司0', '2026-08-07']);
  });

  it.each([
    ['xl/sharedStrings.xml', '2026-08-07', '2016-08-07'],
    ['xl/worksheets/sheet1.xml', '<v>1.5</v>', '<v>7.5</v>'],
    ['xl/workbook.xml', 'name="处罚"', 'name="处刑"'],
    ['xl/styles.xml', 'yyyy/m/d', '0000/m/d'],
    ['xl/_rels/workbook.xml.rels', 'sheet1.xml', 'sheet1.xmL'],
  ])('fails the workbook as not-a-workbook when %s changed, naming the part', async (part, from, to) => {
    const bytes = await repackWorkbook(saved, { damage: damage(part, from, to) });
    await expect(readAll(xlsxFormat, bytes)).rejects.toMatchObject({
      code: 'not-a-workbook',
      message: expect.stringContaining(
        `工作簿的 ${part} 已损坏：解压出的内容与文件记录的校验值不符（CRC-32 应为 `,
      ),
    });
  });

  it('fails it too when the part goes on past its root element, where exceljs stops reading', async () => {
    // XML allows white space (and comments) after the root: exceljs has what it needs before the CRC-32 is known.
    const bytes = await repackWorkbook(saved, {
      edit: (name, text) => (name === 'xl/workbook.xml' ? `${text}${' '.repeat(1024 * 1024)}\n` : undefined),
      damage: damage('xl/workbook.xml', 'name="处罚"', 'name="处刑"'),
    });
    await expect(readAll(xlsxFormat, bytes)).rejects.toMatchObject({
      code: 'not-a-workbook',
      message: expect.stringContaining('工作簿的 xl/workbook.xml 已损坏'),
    });
  });
});
