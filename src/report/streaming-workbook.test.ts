import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { streamingWorkbook } from './streaming-workbook.ts';

// A report written to a device that fails every write (a full disk): commit() rejects naming the file, instead of
// never settling (the command hung on the embedded database, or ended with exit 13 and no message).
describe('streamingWorkbook on a failing device', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-streaming-workbook-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('commit() rejects with the write error when the file is /dev/full', async () => {
    const outFile = path.join(dir, 'full.xlsx');
    symlinkSync('/dev/full', outFile);
    const workbook = await streamingWorkbook(outFile);
    const sheet = workbook.addWorksheet('拒收');
    for (let i = 0; i < 2_000; i++) sheet.addRow([`第${i}行`, '违法事实', i]).commit();
    sheet.commit();
    await expect(workbook.commit()).rejects.toThrow(`cannot write ${outFile}: ENOSPC`);
  });

  it('commit() still resolves on a writable file', async () => {
    const workbook = await streamingWorkbook(path.join(dir, 'fine.xlsx'));
    workbook.addWorksheet('汇总').addRow(['范围', '运行 1']).commit();
    await expect(workbook.commit()).resolves.toBeDefined();
  });
});

// Rows are committed synchronously, and exceljs hands their XML to the zip without waiting for it: a writer that
// awaited only its next page piled the whole sheet up uncompressed (2 GB at a million rejected rows). A writer
// that awaits drained() between pages stops while the file takes nothing, and goes on once it is read.
describe('streamingWorkbook drained()', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-streaming-workbook-drained-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a writer that awaits it between pages from writing on while the file takes nothing', async () => {
    const outFile = path.join(dir, 'slow.xlsx');
    // A FIFO is written as it is (no temporary name): nothing reaches the reader's end until it reads.
    execFileSync('mkfifo', [outFile]);
    const workbook = await streamingWorkbook(outFile);
    const reader = createReadStream(outFile);
    const pages = 40;
    const rowsPerPage = 200;
    let written = 0;
    const writing = (async () => {
      const sheet = workbook.addWorksheet('拒收');
      for (let page = 0; page < pages; page++) {
        // ~2 KB of XML a row that compresses little: a page is ~400 KB, the whole sheet ~16 MB.
        for (let row = 0; row < rowsPerPage; row++)
          sheet
            .addRow([`第${page * rowsPerPage + row + 2}行`, ...Array.from({ length: 8 }, () => hex())])
            .commit();
        written++;
        await new Promise(setImmediate);
        await workbook.drained();
      }
      sheet.commit();
    })();

    // Until the writer stops (the zip and the FIFO are full) or ends.
    let seen = -1;
    while (seen !== written && written < pages) {
      seen = written;
      await sleep(300);
    }
    expect(written).toBeLessThan(pages / 2);

    const chunks: Buffer[] = [];
    reader.on('data', (chunk) => chunks.push(Buffer.from(chunk)));
    const read = new Promise<void>((resolve) => reader.on('end', () => resolve()));
    await writing;
    await workbook.commit();
    await read;

    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.concat(chunks) as unknown as ExcelJS.Buffer);
    const sheet = book.getWorksheet('拒收');
    expect(sheet?.rowCount).toBe(pages * rowsPerPage);
    expect(sheet?.getRow(pages * rowsPerPage).getCell(1).value).toBe(`第${pages * rowsPerPage + 1}行`);
  }, 60_000);
});

function hex(): string {
  return randomBytes(128).toString('hex');
}
