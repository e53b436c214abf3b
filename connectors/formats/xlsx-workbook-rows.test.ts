import { Readable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../contracts.ts';
import { RawCells } from './xlsx-raw-cells.ts';
import { rowsOf, type SheetReader } from './xlsx-workbook.ts';

/**
 * What reading a sheet's rows throws is the file's fault (`not-a-workbook`); a fault of our own in setting its
 * cells right is not, and must not be blamed on the provider's file.
 */
const PART = 'xl/worksheets/sheet1.xml';
const row = (number: number) => ({ number }) as ExcelJS.Row;

/** A sheet handing over rows 1 and 2, then failing with `failure` if given; `stopped` says if it was told to stop. */
function sheetOf(failure?: Error): SheetReader & { stopped: boolean } {
  const sheet = {
    name: '处罚',
    stopped: false,
    async *[Symbol.asyncIterator]() {
      try {
        yield row(1);
        yield row(2);
        if (failure) throw failure;
      } finally {
        sheet.stopped = true;
      }
    },
  };
  return sheet;
}

class FaultyRepair extends RawCells {
  override repair(_row: ExcelJS.Row): ExcelJS.Row {
    throw new TypeError("Cannot read properties of undefined (reading 'getCell')");
  }
}

const readRows = async (rows: AsyncIterable<ExcelJS.Row>) => {
  const numbers: number[] = [];
  for await (const read of rows) numbers.push(read.number);
  return numbers;
};

describe('rowsOf', () => {
  it('lets a fault of its own repair pass as it is (it failed the file as not-a-workbook)', async () => {
    const sheet = sheetOf();
    const reading = readRows(rowsOf(sheet, new FaultyRepair(PART, 1024), Readable.from([]), PART));
    await expect(reading).rejects.toBeInstanceOf(TypeError);
    await expect(reading).rejects.not.toBeInstanceOf(FileFormatError);
    // The sheet's reader is told to stop, as `for await` tells it.
    expect(sheet.stopped).toBe(true);
  });

  it('blames the file for what reading the sheet throws, naming the sheet', async () => {
    const sheet = sheetOf(new Error('Unclosed root tag'));
    const reading = readRows(rowsOf(sheet, new RawCells(PART, 1024), Readable.from([]), PART));
    await expect(reading).rejects.toMatchObject({
      code: 'not-a-workbook',
      message: expect.stringContaining('工作表「处罚」（xl/worksheets/sheet1.xml）无法读取'),
    });
  });

  it('stops the sheet’s reader when its rows are left unread', async () => {
    const sheet = sheetOf();
    for await (const read of rowsOf(sheet, new RawCells(PART, 1024), Readable.from([]), PART)) {
      expect(read.number).toBe(1);
      break;
    }
    expect(sheet.stopped).toBe(true);
  });
});
