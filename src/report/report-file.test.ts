import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openReportFile, writeReportFile } from './report-file.ts';
import { streamingWorkbook } from './streaming-workbook.ts';

// The file every streamed report (CSV, JSON, XLSX) is written through: in place only once complete, removed on a
// failure, and an error of its stream never uncaught however late it comes.
describe('report files', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-report-file-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const freshDir = () => {
    const dir = path.join(root, `case-${++n}`);
    mkdirSync(dir);
    return dir;
  };

  it('is written under a temporary name and renamed into place; memory flat over many writes', async () => {
    const dir = freshDir();
    const out = path.join(dir, 'sub', 'report.csv');
    const line = `${'行'.repeat(1000)}\r\n`;
    const result = await writeReportFile(out, async (write) => {
      for (let i = 0; i < 2_000; i++) await write(line);
      expect(readdirSync(path.dirname(out)).filter((name) => !name.endsWith('.tmp'))).toEqual([]);
      return 'done';
    });
    expect(result).toBe('done');
    expect(readdirSync(path.dirname(out))).toEqual(['report.csv']);
    expect(readFileSync(out, 'utf8')).toBe(line.repeat(2_000));
  });

  it('a writer that fails keeps the report that was there and leaves no temporary file', async () => {
    const dir = freshDir();
    const out = path.join(dir, 'report.json');
    writeFileSync(out, 'the report of yesterday');
    await expect(
      writeReportFile(out, async (write) => {
        await write('{"rejections":[');
        throw new Error('the query failed');
      }),
    ).rejects.toThrow('the query failed');
    expect(readdirSync(dir)).toEqual(['report.json']);
    expect(readFileSync(out, 'utf8')).toBe('the report of yesterday');
  });

  it('a link to a regular file: the file replaced, the link kept', async () => {
    const dir = freshDir();
    const real = path.join(dir, 'real.csv');
    const link = path.join(dir, 'link.csv');
    writeFileSync(real, 'old');
    symlinkSync(real, link);
    await writeReportFile(link, (write) => write('new'));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(real);
    expect(readFileSync(real, 'utf8')).toBe('new');
    expect(readdirSync(dir).sort()).toEqual(['link.csv', 'real.csv']);
  });

  it('an open error that comes while the writer awaits something else is thrown by the next write', async () => {
    const dir = freshDir();
    const out = path.join(dir, 'report.csv');
    mkdirSync(out);
    const file = await openReportFile(out);
    await file.write('\uFEFF');
    // The writer awaits its next page meanwhile: the stream fails to open with no write pending.
    await new Promise<void>((resolve) => file.stream.once('close', () => resolve()));
    await expect(file.write('header')).rejects.toThrow(`cannot write ${out}: EISDIR`);
    await expect(file.close()).rejects.toThrow(`cannot write ${out}: EISDIR`);
    expect(readdirSync(dir)).toEqual(['report.csv']);
  });

  it('a device (/dev/full) is written as it is: ENOSPC thrown naming the file, the link kept', async () => {
    const dir = freshDir();
    const out = path.join(dir, 'full.csv');
    symlinkSync('/dev/full', out);
    await expect(
      writeReportFile(out, async (write) => {
        for (let i = 0; i < 100; i++) await write('x'.repeat(10_000));
      }),
    ).rejects.toThrow(`cannot write ${out}: ENOSPC`);
    expect(readdirSync(dir)).toEqual(['full.csv']);
    expect(readlinkSync(out)).toBe('/dev/full');
  });

  it('a workbook: in place once committed; discarded midway (its query failed), nothing left', async () => {
    const dir = freshDir();
    const done = await streamingWorkbook(path.join(dir, 'done.xlsx'));
    done.addWorksheet('汇总').addRow(['范围', '运行 1']).commit();
    await done.commit();
    const stopped = await streamingWorkbook(path.join(dir, 'stopped.xlsx'));
    const sheet = stopped.addWorksheet('拒收');
    for (let i = 0; i < 5_000; i++) sheet.addRow([`第${i}行`, '违法事实'.repeat(20), i]).commit();
    await stopped.discard();
    expect(readdirSync(dir)).toEqual(['done.xlsx']);
    expect(readFileSync(path.join(dir, 'done.xlsx')).subarray(0, 2).toString()).toBe('PK');
  });
});
