import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRecords } from '../src/records/record-history.ts';
import type { VerifySummary } from '../src/verify/verify-warehouse.ts';
import { basePenalties, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// `verify --catalog` takes what `ingest --catalog` takes (docs/commands.md "Dates, catalog entries and encodings in
// options"): the entry's code or its Chinese title. A name the catalog does not know is a usage error, never a
// clean "0 records checked" on a tampered warehouse.
describe('verify --catalog: code or Chinese title, an unknown entry is exit 2', () => {
  let fx: WarehouseFixture;
  let superuser: pg.Client;
  let recordId: number;
  let versionId: string;
  let saved: unknown;

  const verify = async (...args: string[]) => {
    const result = await runCli(['verify', '--json', ...args], {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    });
    const last = result.stdout.trim().split('\n').at(-1) ?? '';
    const summary = (last.startsWith('{') ? JSON.parse(last) : {}) as Partial<VerifySummary>;
    const records = [...new Set(summary.records?.map((finding) => finding.recordId))];
    return { code: result.code, summary, records, stderr: result.stderr };
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_catalog_option');
    superuser = new pg.Client({ connectionString: fx.url });
    await superuser.connect();
    await superuser.query('SET session_replication_role = replica');
    const rows = basePenalties(3, 307);
    await fx.ingest([writeRows(fx.scratch, 'delivery.csv', rows)]);
    const [record] = await findRecords(fx.warehouse, (rows[0] as PenaltyRow).行政处罚决定书文号!);
    if (!record) throw new Error('no record for row 0');
    recordId = record.id;
    const version = await fx.warehouse('record_versions').where({ record_id: record.id }).first('id', 'data');
    versionId = version.id;
    saved = version.data;
    // Altered behind the engine: what verify is there to find.
    await superuser.query(
      `UPDATE record_versions SET data = jsonb_set(data, '{CF_NR}', '"警告"') WHERE id = $1`,
      [versionId],
    );
  }, 120_000);
  afterAll(async () => {
    await superuser?.query('UPDATE record_versions SET data = $2 WHERE id = $1', [versionId, saved]);
    await superuser?.end();
    await fx?.close();
  });

  it('the Chinese title checks that entry’s records and names the tampered one (exit 4)', async () => {
    const byTitle = await verify('--catalog', '行政处罚');
    expect(byTitle.code, byTitle.stderr).toBe(4);
    expect(byTitle.records).toEqual([recordId]);
    expect(byTitle.summary.counts).toMatchObject({ records: 3 });
    const byCode = await verify('--catalog', 'xzcf');
    expect([byCode.code, byCode.records]).toEqual([4, [recordId]]);
  });

  it('another entry’s title scopes to that entry (nothing of xzcf checked)', async () => {
    const other = await verify('--catalog', '行政许可');
    expect(other.code, other.stderr).toBe(0);
    expect(other.summary.counts).toMatchObject({ records: 0, versions: 0, files: 0 });
  });

  it('an entry the catalog does not know is a usage error (exit 2) naming it, nothing checked', async () => {
    const unknown = await verify('--catalog', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"nope"');
    expect(unknown.stderr).toContain('catalog list');
    // Nothing checked: stdout holds --json's failure object, no summary of findings.
    expect(unknown.summary).toEqual({
      status: 'usage-error',
      exitCode: 2,
      error: expect.stringContaining('"nope"'),
    });
  });
});
