import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { type CliPipelineFixture, openCliPipelineFixture } from './support/cli-pipeline-fixture.ts';
import { LEGACY_HEADER, statusRow, writeAuthorityLookups } from './support/legacy-status-rows.ts';

/**
 * A provider's objection (当前状态 异议, Art. 18) is opened in the unit's transaction: the rows and the mark commit
 * together or not at all. An objection that cannot be opened (here the database refusing the insert as a server
 * out of disk space would, SQLSTATE 53100) leaves nothing loaded and the file loadable again; never a completed
 * run with the record shown unmarked (real CLI, real PostgreSQL).
 */
const PROVINCE = '11370000MB2852362M';

describe('provider objections open in the unit transaction', () => {
  let cx: CliPipelineFixture;
  let lookups: string;
  beforeAll(async () => {
    cx = await openCliPipelineFixture('provider_objection_same_commit');
    lookups = writeAuthorityLookups(cx.fx.scratch);
  });
  afterAll(async () => cx?.fx.close());

  const ingest = async (name: string, rows: string[][]) => {
    const file = path.join(cx.fx.scratch, name);
    writeFileSync(file, toCsv(LEGACY_HEADER, rows));
    return cx.cli(
      ['ingest', file, '--catalog', 'xzcf', '--provider', PROVINCE, '--lookups', lookups, '--json'],
      { CREDIT_ETL_FROM_SOURCE: '1' },
    );
  };

  it('an objection that cannot be opened fails the unit: no row loaded; loaded with its mark once it can', {
    timeout: 300_000,
  }, async () => {
    const w = cx.fx.warehouse;
    await cx.fx.owner.raw(`
      CREATE FUNCTION test_objections_refused() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100';
      END $$;
      CREATE TRIGGER test_objections_refused BEFORE INSERT ON objections
        FOR EACH ROW EXECUTE FUNCTION test_objections_refused();
    `);
    const rows = [statusRow(3, 912, '异议'), statusRow(4, 913, '正常')];
    const refused = await ingest('objected.csv', rows);
    expect(refused.code, refused.stdout).not.toBe(0);
    // Nothing of the unit committed: no record, no version, no objection, no loaded source file.
    expect(await w('records').select('id')).toHaveLength(0);
    expect(await w('record_versions').select('id')).toHaveLength(0);
    expect(await w('objections').select('id')).toHaveLength(0);
    expect(await w('source_files').whereIn('status', ['loaded', 'skipped'])).toHaveLength(0);
    // Never blamed on the file.
    expect(await w('source_files').where({ status: 'failed' })).toHaveLength(0);

    await cx.fx.owner.raw('DROP TRIGGER test_objections_refused ON objections');
    const loaded = await ingest('objected.csv', rows);
    expect(loaded.code, loaded.stderr).toBe(0);
    const summary = JSON.parse(loaded.stdout);
    expect(summary.counts).toMatchObject({ read: 2, inserted: 2 });
    expect(summary.files[0].providerObjections).toEqual({ opened: 1, known: 0 });
    const objections = await w('objections').select('record_id', 'channel', 'created_at');
    expect(objections).toHaveLength(1);
    expect(objections[0]).toMatchObject({ channel: 'provider' });
    const record = await w('records').where({ id: objections[0]!.record_id }).first();
    expect(record.business_key).toContain('济市监罚〔2026〕912号');
    // The same transaction: the objection's now() is the version's (the start of the unit's transaction).
    const version = await w('record_versions').where({ id: record.current_version_id }).first('created_at');
    expect(objections[0]!.created_at.getTime()).toBe(version.created_at.getTime());
    const log = await w('objection_log').where({ action: 'open' }).select('basis');
    expect(log).toHaveLength(1);
    expect(log[0]!.basis).toMatch(/objected\.csv.*第 2 行/);
  });
});
