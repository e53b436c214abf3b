import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** The OS user the run is made by when the tests run as root (root reads a file of any mode). */
const NOBODY = 65534;

// A file the platform's user may not read when a unit's worker opens it (EACCES: a file listed and checked, then
// made unreadable; the local copy of an SFTP download) is no defect of the file and not the provider's doing:
// `file-unreadable`, never recorded against the file or its provider (no longer `unreadable-file`, charged to
// it); the run goes on with the next file and ends `failed` naming it. A file gone (ENOENT) or a folder (EISDIR)
// stays the file's `unreadable-file` (files-library-text.test.ts).
describe('a file its worker may not read (EACCES)', { timeout: 120_000 }, () => {
  let fx: WarehouseFixture;
  let dir: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('unit_read_permission');
    // Outside the fixture's scratch folder (mode 700, root's): another user must reach the files.
    dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-eacces-'));
    chmodSync(dir, 0o755);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await fx?.close();
  });

  it('is recorded against no one, and the run goes on and fails naming it', async () => {
    const readable = writePenaltyCsv(dir, 'a.csv', 4, { seed: 71 }).file;
    const denied = writePenaltyCsv(dir, 'denied.csv', 4, { seed: 72 }).file;
    chmodSync(denied, 0o000);
    const asRoot = process.getuid?.() === 0;
    const ran = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/support/ingest-files-process.ts'), denied, readable],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DATABASE_URL: fx.url, ...(asRoot ? { HOME: '/tmp' } : {}) },
        encoding: 'utf8',
        timeout: 90_000,
        ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
      },
    );
    const summary = JSON.parse(ran.stdout.trim().split('\n').at(-1) || '{}');
    expect(summary.error, ran.stderr).toBeUndefined();
    expect(summary.status).toBe('failed');
    expect(summary.files.map((file: { name: string; status: string }) => [file.name, file.status])).toEqual([
      ['a.csv', 'loaded'],
    ]);
    expect(summary.unsettled).toEqual([
      expect.stringMatching(
        /^denied\.csv: not read \[file-unreadable\]: 无法读取文件，未入库任何数据：平台没有读取该文件的权限（不是文件内容的问题）.*nothing recorded against it or its provider/,
      ),
    ]);
    expect(await fx.warehouse('source_files').where({ name: 'denied.csv' })).toEqual([]);
    const run = await fx.warehouse('runs').where({ id: summary.runId }).first();
    expect(run).toMatchObject({ status: 'failed' });
    expect(run.error).toMatch(/^denied\.csv: not read \[file-unreadable\]/m);
  });
});
