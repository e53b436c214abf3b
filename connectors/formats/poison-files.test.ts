import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { csvParseFormat } from '../../bench/csv-parse-format.ts';
import {
  writeEntityXlsx,
  writeHugeSheetXlsx,
  writeLongLineCsv,
  writeNulInHeaderCsv,
} from '../../test/support/poison-files.ts';
import type { Format, FormatOptions } from '../contracts.ts';
import { csvFormat } from './csv-format.ts';
import { readAll } from './read-all.test-support.ts';
import { xlsxFormat } from './xlsx-format.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'poison-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** Reads a file through a format, noting the most the heap grew while it did. */
async function readMeasured(format: Format, file: string, options: Partial<FormatOptions> = {}) {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 5);
  try {
    const opened = await format.open(createReadStream(file), { encoding: 'auto', ...options });
    for await (const _batch of opened.batches) peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { error: undefined, grown: peak - before };
  } catch (error) {
    return { error: error as Error & { code?: string }, grown: peak - before };
  } finally {
    clearInterval(timer);
  }
}

describe.each([
  ['the shipped reader', csvFormat],
  ['csv-parse', csvParseFormat],
])('CSV limits with %s', (_name, format) => {
  it('fails a record that outgrows the line limit as line-too-long, naming where it starts', async () => {
    const text = `a,b\n1,2\n3,"${'x\n'.repeat(600)}"\n`;
    const failure = readAll(format, utf8(text), { limits: { maxLineBytes: 1000 } });
    await expect(failure).rejects.toMatchObject({ code: 'line-too-long' });
    await expect(failure).rejects.toThrow(/文件第3行（第3条记录）起的一条记录超过了单条记录的上限 1000 字节/);
  });

  it('finds the same record however the text is cut into chunks', async () => {
    const bytes = utf8(`a,b\n1,2\n3,"${'违\n'.repeat(300)}"\n5,6\n`);
    for (const size of [7, 100, 4096]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const failure = readAll(format, Readable.from(chunks), { limits: { maxLineBytes: 1000 } });
      await expect(failure).rejects.toThrow(
        /^文件第3行（第3条记录）起的一条记录超过了单条记录的上限 1000 字节/,
      );
    }
  });

  it('reads a record just under the limit', async () => {
    const { rows } = await readAll(format, utf8(`a,b\n1,${'x'.repeat(900)}\n`), {
      limits: { maxLineBytes: 1000 },
    });
    expect(rows.map((row) => row.cells[1]?.length)).toEqual([900]);
  });

  it('fails a row of more cells than the limit as too-many-cells, header or data', async () => {
    const limits = { maxCellsPerRow: 5 };
    await expect(readAll(format, utf8('a,b,c,d,e,f\n1,2,3,4,5,6\n'), { limits })).rejects.toMatchObject({
      code: 'too-many-cells',
      message: expect.stringContaining('第1行有 6 个单元格，超过每行上限 5 个'),
    });
    await expect(readAll(format, utf8('a,b\n1,2\n1,2,3,4,5,6\n'), { limits })).rejects.toMatchObject({
      code: 'too-many-cells',
      message: expect.stringContaining('第3行有 6 个单元格'),
    });
  });
});

describe('a 64 MB single-line CSV', () => {
  it('fails as line-too-long once the default 4 MB limit is passed, never buffering the line', async () => {
    const file = writeLongLineCsv(dir);
    const { error, grown } = await readMeasured(csvFormat, file);
    expect(error).toMatchObject({ code: 'line-too-long' });
    expect(error?.message).toContain('文件第4行（第4条记录）起的一条记录超过了单条记录的上限 4 MB');
    // The 64 MB line is ~128 MB as a JS string: anything near it means the line was held.
    expect(grown).toBeLessThan(40 * MiB);
  });
});

describe('a NUL byte in a CSV header', () => {
  it('reaches the runner as it is (the runner refuses it: test/files-poison.test.ts)', async () => {
    const { header } = await readAll(csvFormat, readFileSync(writeNulInHeaderCsv(dir)));
    expect(header[2]).toBe('行政相对人代码_1\0(统一社会信用代码)');
  });
});

describe('workbooks with entity declarations', () => {
  it.each(['sheet', 'sharedStrings', 'workbook'] as const)(
    'fail as not-a-workbook when the %s part declares a DOCTYPE, never expanding it',
    async (part) => {
      const file = writeEntityXlsx(dir, part);
      const { error, grown } = await readMeasured(xlsxFormat, file);
      expect(error).toMatchObject({ code: 'not-a-workbook' });
      expect(error?.message).toMatch(/工作簿的 xl\/.*\.xml 含有 DOCTYPE 声明/);
      expect(grown).toBeLessThan(40 * MiB);
    },
  );

  it('reads the same workbook without the DOCTYPE', async () => {
    const { header, rows } = await readAll(xlsxFormat, readFileSync(writeEntityXlsx(dir, 'none')));
    expect([header, ...rows.map((row) => row.cells)]).toEqual([
      ['名称', '内容'],
      ['甲公司', '罚款'],
    ]);
  });
});

describe('a workbook whose sheet XML is 2 GiB', () => {
  it('fails as workbook-too-large from the zip directory, before inflating it', async () => {
    const file = writeHugeSheetXlsx(dir);
    expect(readFileSync(file).length).toBeLessThan(4 * MiB);
    const { error, grown } = await readMeasured(xlsxFormat, file);
    expect(error).toMatchObject({ code: 'workbook-too-large' });
    expect(error?.message).toMatch(
      /^工作簿的 xl\/worksheets\/sheet1\.xml 解压后有 2048(\.\d)? MB，超过单个工作表（及共享字符串表）的上限 1024 MB/,
    );
    expect(grown).toBeLessThan(40 * MiB);
  });

  it('fails as not-a-workbook while inflating when the zip understates the size, past the statement', async () => {
    const file = writeHugeSheetXlsx(dir, { xmlBytes: 64 * MiB, statedBytes: MiB, name: 'understated.xlsx' });
    const { error, grown } = await readMeasured(xlsxFormat, file, { limits: { maxSheetXmlBytes: 4 * MiB } });
    expect(error).toMatchObject({ code: 'not-a-workbook' });
    expect(error?.message).toContain(
      '工作表「处罚」（xl/worksheets/sheet1.xml）无法读取：解压后的大小超过了目录记录的 1048576 字节',
    );
    expect(error?.message).not.toMatch(/[A-Za-z]{3,} [a-z]{3,}/);
    expect(grown).toBeLessThan(40 * MiB);
  });
});

describe('workbook cells', () => {
  it('fails a workbook as cell-too-long once the text of one cell outgrows the record limit, while inflating', async () => {
    const file = writeHugeSheetXlsx(dir, { xmlBytes: 8 * MiB, name: 'long-cells.xlsx' });
    const { error } = await readMeasured(xlsxFormat, file, { limits: { maxLineBytes: 512 * 1024 } });
    expect(error).toMatchObject({ code: 'cell-too-long' });
    expect(error?.message).toContain(
      '工作簿的 xl/worksheets/sheet1.xml 中有一段连续文本（一个单元格的内容）超过 512 KB',
    );
    const { error: none } = await readMeasured(xlsxFormat, file, { limits: { maxLineBytes: 2 * MiB } });
    expect(none).toBeUndefined();
  });

  it('fails a row with a cell at column XFD as too-many-cells', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('处罚');
    sheet.addRow(['名称', '代码']);
    sheet.addRow(['甲', '1']);
    sheet.getCell('XFD2').value = '远处';
    const file = path.join(dir, 'xfd.xlsx');
    await book.xlsx.writeFile(file);
    await expect(readAll(xlsxFormat, readFileSync(file))).rejects.toMatchObject({
      code: 'too-many-cells',
      message: expect.stringContaining('第2行一直到第XFD列（第16384列）都有单元格，超过每行上限 1000 列'),
    });
  });

  it('reads Chinese text cut by every chunk boundary intact (exceljs alone turns it into U+FFFD)', async () => {
    for (const useSharedStrings of [true, false]) {
      const file = path.join(dir, `chinese-${useSharedStrings}.xlsx`);
      const book = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings });
      const sheet = book.addWorksheet('处罚');
      sheet.addRow(['名称', '内容']).commit();
      for (let i = 0; i < 20_000; i++)
        sheet.addRow([`甲${i}`, `某某市市场监督管理局行政处罚决定书${i}号`]).commit();
      sheet.commit();
      await book.commit();
      const { rows } = await readAll(xlsxFormat, Readable.from([readFileSync(file)]));
      const wrong = rows.filter(
        (row, i) => row.cells[0] !== `甲${i}` || row.cells[1] !== `某某市市场监督管理局行政处罚决定书${i}号`,
      );
      expect(rows).toHaveLength(20_000);
      expect(wrong).toEqual([]);
    }
  });
});
