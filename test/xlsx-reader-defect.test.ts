import ExcelJS from 'exceljs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileFormatError } from '../connectors/contracts.ts';
import { readAll } from '../connectors/formats/read-all.test-support.ts';
import { xlsxFormat } from '../connectors/formats/xlsx-format.ts';
import { MainPrefix } from '../connectors/formats/xlsx-main-prefix.ts';
import { RawCells } from '../connectors/formats/xlsx-raw-cells.ts';
import { toUnitFailure } from '../src/run/unit-failure.ts';

/**
 * A fault of our own scanners (the XML on its way to exceljs) is the platform's, not the provider's file: exceljs
 * hands it back through its row iterator, where it was taken for the workbook's damage and the file failed as
 * `not-a-workbook` (请用 Excel 打开后另存为…), sending the provider to fix a sound file. A fault is put in by making
 * one scanner step throw a TypeError, as a bug would.
 */
let workbook: Buffer;
beforeAll(async () => {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('处罚');
  sheet.addRow(['名称', '金额']);
  for (let i = 0; i < 50; i++) sheet.addRow([`公司${i}`, 1.5 + i]);
  workbook = Buffer.from(await book.xlsx.writeBuffer());
});
afterEach(() => vi.restoreAllMocks());

const SCANNERS = [
  ['the main-prefix check of every part', MainPrefix.prototype as unknown as Record<string, () => unknown>],
  ['the stored-value check of a sheet', RawCells.prototype as unknown as Record<string, () => unknown>],
] as const;

describe('a fault of the xlsx reader’s own scanning', () => {
  it('reads the workbook whole when nothing is at fault (the fault below is the only difference)', async () => {
    expect((await readAll(xlsxFormat, workbook)).rows).toHaveLength(50);
  });

  it.each(SCANNERS)(
    'in %s fails the file as internal-error, not as the provider’s workbook',
    async (_, scanner) => {
      vi.spyOn(scanner, 'scan').mockImplementation(() => {
        throw new TypeError("Cannot read properties of undefined (reading 'length')");
      });
      const error = await readAll(xlsxFormat, workbook).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(FileFormatError);
      const failure = toUnitFailure(error);
      expect(failure.code).toBe('internal-error');
      expect(failure.message).toMatch(/平台内部错误，不是文件内容的问题/);
      // The operator's detail keeps what broke.
      expect(failure.detail).toMatch(/Cannot read properties of undefined/);
    },
  );
});
