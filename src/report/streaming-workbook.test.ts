import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
