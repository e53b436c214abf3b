import path from 'node:path';
import type { Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import * as versionChain from '../migrations/011-version-chain.ts';
import { grantVersionChain } from '../migrations/012-legal-procedures.ts';
import * as digestPlan from '../migrations/025-digest-plan.ts';
import { findRecords } from '../src/records/record-history.ts';
import type { VerifySummary } from '../src/verify/verify-warehouse.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const PROVINCE = { level: 'province', provider: '113700000000000000', receivedAt: RECEIVED } as const;
const SHANGHAI_TODAY = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
const SHANGHAI_TOMORROW = () => new Date(Date.now() + 32 * 3_600_000).toISOString().slice(0, 10);

describe('verify: chained versions and file digests name what was altered behind the engine', () => {
  let fx: WarehouseFixture;
  /** A superuser session with every trigger off: what an attacker with the server's keys can do. */
  let superuser: pg.Client;
  const rows = basePenalties(6, 151);
  const row = (i: number) => rows[i] as PenaltyRow;
  let n = 0;
  const file = (list: PenaltyRow[], columns: readonly string[] = PENALTY_HEADER) =>
    writeRows(fx.scratch, `delivery-${++n}.csv`, list, columns);
  const tamper = (sql: string, params: unknown[] = []) => superuser.query(sql, params);

  const recordOf = async (i: number) => {
    const [record] = await findRecords(fx.warehouse, row(i).行政处罚决定书文号!);
    if (!record) throw new Error(`no record for row ${i}`);
    const versions = await fx
      .warehouse('record_versions')
      .where({ record_id: record.id })
      .orderBy('version_no')
      .select('id', 'version_no', 'source_file_id');
    return { id: record.id, versions };
  };

  const verify = async (...args: string[]) => {
    const result = await runCli(['verify', '--json', ...args], {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    });
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as VerifySummary;
    const records = [...new Set(summary.records?.map((finding) => finding.recordId))].sort();
    const files = [...new Set(summary.files?.map((finding) => finding.sourceFileId))].sort();
    return { code: result.code, summary, records, files, stderr: result.stderr };
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_integrity');
    superuser = new pg.Client({ connectionString: fx.url });
    await superuser.connect();
    await superuser.query('SET session_replication_role = replica');
    // Normal work: a delivery, two corrections of row 0 (three versions), one of row 1, a re-delivery.
    await fx.ingest([file(rows)], PROVINCE);
    await fx.ingest(
      [
        file([
          edit(row(0), { 处罚内容: '罚款人民币2万元（更正）' }),
          edit(row(1), { 处罚内容: '警告（更正）' }),
        ]),
      ],
      PROVINCE,
    );
    await fx.ingest([file([edit(row(0), { 处罚内容: '罚款人民币3万元（再更正）' })])], PROVINCE);
    const redelivered = [
      edit(row(0), { 处罚内容: '罚款人民币3万元（再更正）' }),
      edit(row(1), { 处罚内容: '警告（更正）' }),
      ...rows.slice(2),
    ];
    const again = await fx.ingest([file(redelivered, [...PENALTY_HEADER].reverse())], PROVINCE);
    expect(again.counts).toMatchObject({ read: 6, unchanged: 6 });
  }, 120_000);
  afterAll(async () => {
    await superuser?.end();
    await fx?.close();
  });

  it('is clean after ingest, corrections and a re-delivery, and is recorded as a run of kind verify', async () => {
    const { code, summary } = await verify();
    expect(code).toBe(0);
    expect(summary.status).toBe('completed');
    expect(summary.counts).toEqual({
      records: 6,
      versions: 9,
      files: 4,
      tamperedRecords: 0,
      tamperedFiles: 0,
      // Each record's business key recomputed from its current version by the catalog; no credit repair yet.
      keys: 6,
      repairs: 0,
      // No legal procedure or objection yet: no log has a head to ask for next time.
      logHeads: {},
      // No objection awaiting the platform's check: no due date or notice deadline to recompute.
      objectionDues: { dues: 0, notices: 0, unsettled: 0 },
    });
    const run = await fx.warehouse('runs').where({ id: summary.runId }).first();
    expect(run).toMatchObject({ kind: 'verify', status: 'completed', counts: summary.counts });
  });

  it('the database chains every version itself: a forged chain hash is replaced, a gap refused', async () => {
    const target = await recordOf(5);
    const rolledBack = new Error('rolled back');
    // Filed under a file the transaction loads: a sealed one takes no version (052).
    const append = async (trx: Knex.Transaction, versionNo: number) => {
      const [run] = await trx('runs').insert({ kind: 'ingest' }).returning('id');
      const [file] = await trx('source_files')
        .insert({
          run_id: run.id,
          name: 'appended.csv',
          catalog_code: 'xzcf',
          provider_code: '113700000000000000',
          level: 'province',
          received_at: new Date(),
          status: 'loaded',
        })
        .returning('id');
      return trx.raw(
        `INSERT INTO record_versions (record_id, version_no, data, content_hash, catalog_version, source_file_id,
                                      row_number, chain_hash)
         SELECT record_id, ?, data, content_hash, catalog_version, ?, row_number, 'forged'
         FROM record_versions WHERE id = ? RETURNING id, chain_hash`,
        [versionNo, file.id, target.versions[0]!.id],
      );
    };
    await expect(
      fx.warehouse.transaction(async (trx) => {
        const { rows } = await append(trx, 2);
        const { rows: expected } = await trx.raw(
          `SELECT version_chain_hash(p.chain_hash, v) AS hash FROM record_versions v
           JOIN record_versions p ON p.record_id = v.record_id AND p.version_no = 1 WHERE v.id = ?`,
          [rows[0].id],
        );
        expect(rows[0].chain_hash).toBe(expected[0].hash);
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    await expect(fx.warehouse.transaction((trx) => append(trx, 3))).rejects.toThrow(/has no version 2/);
  });

  it('refuses to change a file digest once set, even for a superuser with triggers on', async () => {
    const [loaded] = await fx
      .warehouse('source_files')
      .where({ status: 'loaded' })
      .orderBy('id')
      .select('id');
    await expect(
      fx.warehouse('source_files').where({ id: loaded.id }).update({ digest: 'forged' }),
    ).rejects.toThrow(/set once by the loader/);
  });

  it("names the one record whose version's data was changed", async () => {
    const target = await recordOf(2);
    const version = target.versions[0]!;
    const { rows: saved } = await tamper('SELECT data FROM record_versions WHERE id = $1', [version.id]);
    await tamper(`UPDATE record_versions SET data = jsonb_set(data, '{CF_NR}', '"警告"') WHERE id = $1`, [
      version.id,
    ]);
    const found = await verify();
    await tamper('UPDATE record_versions SET data = $2 WHERE id = $1', [version.id, saved[0].data]);
    expect(found.code).toBe(4);
    expect(found.records).toEqual([target.id]);
    // The chain no longer fits the data, and neither does the content hash re-deliveries are compared with.
    expect(found.summary.records).toMatchObject([
      {
        recordId: target.id,
        versionNo: 1,
        problem: 'chain-broken',
        catalogCode: 'xzcf',
        businessKey: expect.any(String),
      },
      { recordId: target.id, versionNo: 1, problem: 'content-hash-differs' },
    ]);
    expect(found.files).toEqual([]);
    const run = await fx.warehouse('runs').where({ id: found.summary.runId }).first();
    expect(run).toMatchObject({
      kind: 'verify',
      status: 'failed',
      errors_by_code: { 'chain-broken': 1, 'content-hash-differs': 1 },
    });
  });

  it('names the record whose chain hash was rewritten, and the file whose digest covered it', async () => {
    const target = await recordOf(0);
    const version = target.versions[1]!;
    const { rows: saved } = await tamper('SELECT chain_hash FROM record_versions WHERE id = $1', [
      version.id,
    ]);
    await tamper(`UPDATE record_versions SET chain_hash = repeat('0', 64) WHERE id = $1`, [version.id]);
    const found = await verify();
    await tamper('UPDATE record_versions SET chain_hash = $2 WHERE id = $1', [
      version.id,
      saved[0].chain_hash,
    ]);
    expect(found.code).toBe(4);
    expect(found.records).toEqual([target.id]);
    // Version 2 no longer fits its content, and version 3 no longer fits version 2.
    expect(found.summary.records.map((f) => [f.versionNo, f.problem])).toEqual([
      [2, 'chain-broken'],
      [3, 'chain-broken'],
    ]);
    expect(found.files).toEqual([version.source_file_id]);
  });

  it('names the record whose middle version was deleted', async () => {
    const target = await recordOf(0);
    const middle = target.versions[1]!;
    await tamper('CREATE TEMP TABLE deleted_version AS SELECT * FROM record_versions WHERE id = $1', [
      middle.id,
    ]);
    await tamper('DELETE FROM record_versions WHERE id = $1', [middle.id]);
    const found = await verify();
    await tamper('INSERT INTO record_versions SELECT * FROM deleted_version');
    await tamper('DROP TABLE deleted_version');
    expect(found.code).toBe(4);
    expect(found.records).toEqual([target.id]);
    expect(found.summary.records.map((f) => [f.versionNo, f.problem])).toEqual([
      [3, 'chain-broken'],
      [3, 'version-missing'],
    ]);
    expect(found.files).toEqual([middle.source_file_id]);
  });

  it('names the record whose current version was repointed to an earlier one (a correction undone)', async () => {
    const target = await recordOf(1);
    const [first, second] = target.versions;
    await tamper('UPDATE records SET current_version_id = $2 WHERE id = $1', [target.id, first!.id]);
    const found = await verify();
    await tamper('UPDATE records SET current_version_id = $2 WHERE id = $1', [target.id, second!.id]);
    expect(found.code).toBe(4);
    expect(found.records).toEqual([target.id]);
    expect(found.summary.records).toMatchObject([
      { versionNo: 1, problem: 'current-not-latest', detail: 'current is version 1 of 2' },
    ]);
  });

  it("names the record repointed to another record's version", async () => {
    const target = await recordOf(3);
    const other = await recordOf(4);
    await tamper('UPDATE records SET current_version_id = $2 WHERE id = $1', [
      target.id,
      other.versions[0]!.id,
    ]);
    const found = await verify();
    await tamper('UPDATE records SET current_version_id = $2 WHERE id = $1', [
      target.id,
      target.versions[0]!.id,
    ]);
    expect(found.code).toBe(4);
    expect(found.records).toEqual([target.id]);
    expect(found.summary.records).toMatchObject([{ problem: 'current-not-own-version' }]);
  });

  it("names the record whose subject was moved to another company's archive", async () => {
    const target = await recordOf(5);
    const { rows: saved } = await tamper('SELECT subject_code FROM records WHERE id = $1', [target.id]);
    await tamper(`UPDATE records SET subject_code = '91370112MA9A37366E' WHERE id = $1`, [target.id]);
    const found = await verify();
    await tamper('UPDATE records SET subject_code = $2 WHERE id = $1', [target.id, saved[0].subject_code]);
    expect(found.code).toBe(4);
    expect(found.records).toEqual([target.id]);
    expect(found.summary.records).toMatchObject([{ versionNo: 1, problem: 'subject-differs' }]);
    expect(found.summary.records[0]?.detail).toContain('91370112MA9A37366E');
  });

  it('names the file whose digest was changed, and no record', async () => {
    const [loaded] = await fx
      .warehouse('source_files')
      .where({ status: 'loaded' })
      .orderBy('id')
      .select('id', 'digest');
    await tamper(`UPDATE source_files SET digest = repeat('f', 64) WHERE id = $1`, [loaded.id]);
    const found = await verify();
    await tamper('UPDATE source_files SET digest = $2 WHERE id = $1', [loaded.id, loaded.digest]);
    expect(found.code).toBe(4);
    expect(found.records).toEqual([]);
    expect(found.files).toEqual([loaded.id]);
    expect(found.summary.files).toMatchObject([{ problem: 'file-digest-differs', catalogCode: 'xzcf' }]);
  });

  it('--catalog and --since scope what is checked', async () => {
    const target = await recordOf(2);
    const version = target.versions[0]!;
    const { rows: saved } = await tamper('SELECT data FROM record_versions WHERE id = $1', [version.id]);
    await tamper(`UPDATE record_versions SET data = jsonb_set(data, '{CF_NR}', '"警告"') WHERE id = $1`, [
      version.id,
    ]);
    try {
      const otherCatalog = await verify('--catalog', 'xzxk');
      expect(otherCatalog.code).toBe(0);
      expect(otherCatalog.summary.counts).toMatchObject({ records: 0, versions: 0, files: 0 });
      const thisCatalog = await verify('--catalog', 'xzcf');
      expect([thisCatalog.code, thisCatalog.records]).toEqual([4, [target.id]]);
      const tomorrow = await verify('--since', SHANGHAI_TOMORROW());
      expect(tomorrow.code).toBe(0);
      expect(tomorrow.summary.counts).toMatchObject({ records: 0, versions: 0, files: 0 });
      const today = await verify('--since', SHANGHAI_TODAY());
      expect([today.code, today.records]).toEqual([4, [target.id]]);
    } finally {
      await tamper('UPDATE record_versions SET data = $2 WHERE id = $1', [version.id, saved[0].data]);
    }
  });

  it('after every tampering was undone the warehouse verifies clean again', async () => {
    const { code, summary } = await verify();
    expect([code, summary.records, summary.files]).toEqual([0, [], []]);
  });

  it('digests every file to the same text with the plpgsql function of 025 as with the SQL one it replaced', async () => {
    const digests = async () => {
      const { rows: found } = await fx.owner.raw<{ rows: { id: string; stored: string; digest: string }[] }>(
        `SELECT id, digest AS stored, source_file_digest(id) AS digest FROM source_files
         WHERE status = 'loaded' ORDER BY id`,
      );
      return found;
    };
    const replaced = await digests();
    await fx.owner.transaction((trx) => digestPlan.down(trx));
    const before = await digests();
    await fx.owner.transaction((trx) => digestPlan.up(trx));
    // Files with lineage rows and one with a compact summary (the re-delivery): both parts of the text.
    const [summaries] = await fx.warehouse('unchanged_deliveries').count<{ count: string }[]>('* as count');
    expect([replaced.length > 2, Number(summaries?.count) > 0]).toEqual([true, true]);
    expect(replaced).toEqual(before);
    expect(replaced.every((file) => file.digest === file.stored)).toBe(true);
  });

  it('migrating an existing warehouse chains its versions and digests its files in version order', async () => {
    // As the owner (migrations create and drop; the engine's loader role may not).
    // 011 digests the loaded files of the warehouse it finds; a file's row stays as recorded since 041, so that
    // guard is off while 011 runs again here (in a real upgrade 011 runs before 041 exists).
    await fx.owner.transaction(async (trx) => {
      await versionChain.down(trx);
      await trx.raw('ALTER TABLE source_files DISABLE TRIGGER source_files_written_once');
      await versionChain.up(trx);
      await trx.raw('ALTER TABLE source_files ENABLE TRIGGER source_files_written_once');
      await grantVersionChain(trx); // what 012 grants on 011's functions
    });
    const { code, summary } = await verify();
    expect([code, summary.counts.versions, summary.records, summary.files]).toEqual([0, 9, [], []]);
  });
});
