import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryWithInjections } from './support/report-deliveries.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// An XLSX report written to a device that fails every write (a full disk; here /dev/full behind a symlink): the
// command fails (exit 1) naming the file and the error. It used to hang (embedded database) or end with exit 13
// and no message: exceljs's own file stream errored before anyone listened, and commit() never settled.
describe('report … --out <xlsx> on a failing device', () => {
  let fx: WarehouseFixture;
  let runId: number;
  let full: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('report_failing_device');
    const delivery = deliveryWithInjections(fx.scratch);
    runId = (await fx.ingest([delivery.file], { receivedAt: new Date('2026-11-20T10:00:00+08:00') })).runId;
    full = path.join(fx.scratch, 'full.xlsx');
    symlinkSync('/dev/full', full);
  }, 120_000);
  afterAll(async () => fx?.close());

  const cli = (...args: string[]) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });

  it('report rejections fails with exit 1 naming the file and ENOSPC', async () => {
    const result = await cli('report', 'rejections', '--run', String(runId), '--out', full);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toContain(`cannot write ${full}: ENOSPC`);
  });

  it('report disclosure fails with exit 1 naming the file and ENOSPC', async () => {
    const result = await cli('report', 'disclosure', '--as-of', '2026-11-21', '--out', full);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toContain(`cannot write ${full}: ENOSPC`);
  });
});
