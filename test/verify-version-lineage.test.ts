import path from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../src/log/logger.ts';
import { correctRecord, type Grounds } from '../src/procedures/legal-procedures.ts';
import { findRecords } from '../src/records/record-history.ts';
import { compileEntry } from '../src/run/compiled-entry.ts';
import type { VerifyScope } from '../src/verify/integrity-finding.ts';
import { storedEntry } from '../src/verify/stored-entry.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { withEnv } from './support/with-env.ts';

const PROVINCE = { level: 'province', provider: '113700000000000000' } as const;
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const GROUNDS: Grounds = {
  basis: '鲁信用办函〔2026〕21号',
  reason: '提供单位书面确认原数据有误',
  operator: '张科员',
};
const SHANGHAI_DAY = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString().slice(0, 10);

/**
 * A version appended behind the engine and made current. Chained by the database, attributed to a file already
 * sealed, such a version is in no file's digest (a digest covers what the file's lineage reaches): only its
 * missing lineage row shows it was not delivered. The engine's role is refused it since 052 (a sealed file takes
 * no rows: test/sealed-files-take-nothing.test.ts); an owner who switches that check off is not, and verify finds it.
 */
describe('verify: a delivered version without the lineage row of its file and row', {
  timeout: 120_000,
}, () => {
  let fx: WarehouseFixture;
  let logger: Logger;
  const all = basePenalties(3400, 2121);
  const rows = all.slice(0, 400);
  const row = (i: number) => rows[i] as PenaltyRow;
  let firstFile: number;

  const recordOf = async (i: number) => {
    const [record] = await findRecords(fx.warehouse, row(i).行政处罚决定书文号!);
    if (!record) throw new Error(`no record for row ${i}`);
    return record.id;
  };
  const verify = (scope: VerifyScope = {}) => verifyWarehouse(fx.warehouse, fx.catalog, scope, logger);
  /** As a superuser with triggers off: only to put back what a test forged. */
  const asSuperuser = (sql: string, params: unknown[] = []) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw(sql, params as never);
    });

  /**
   * As the owner with 052's check of `table` off in its own transaction (ALTER TABLE is transactional): what the
   * engine's role is refused now.
   */
  const pastTheCheck = <T>(table: string, write: (trx: Knex.Transaction) => Promise<T>) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_file_being_loaded`);
      const written = await write(trx);
      await trx.raw(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_file_being_loaded`);
      return written;
    });

  /** What the auditor did: a version 3 of the record, filed under the first file (refused to the engine's role). */
  const forgeVersion = async (recordId: number) => {
    const current = await fx
      .warehouse('records as r')
      .join('record_versions as v', 'v.id', 'r.current_version_id')
      .where('r.id', recordId)
      .first('v.data', 'v.catalog_version');
    // A careful forger hands in the content hash of the data it writes (verify recomputes it).
    const data = { ...current.data, CF_NR: '警告' };
    const entry = storedEntry(fx.catalog, 'xzcf', current.catalog_version)!;
    const append = (db: Knex) =>
      db.raw<{ rows: { id: string; version_no: number }[] }>(
        `INSERT INTO record_versions (record_id, version_no, data, content_hash, catalog_version, formation_date,
                                      source_file_id, row_number, subject_code)
         SELECT v.record_id, v.version_no + 1, ?::jsonb, ?, v.catalog_version, v.formation_date, ?, 7, v.subject_code
         FROM records r JOIN record_versions v ON v.id = r.current_version_id WHERE r.id = ?
         RETURNING id, version_no`,
        [JSON.stringify(data), compileEntry(entry).contentHash(data), firstFile, recordId],
      );
    await expect(append(fx.warehouse)).rejects.toThrow(`file ${firstFile} is not being loaded`);
    const { rows: forged } = await pastTheCheck('record_versions', append);
    const version = forged[0]!;
    const { rows: previous } = await fx.warehouse.raw<{ rows: { current_version_id: string }[] }>(
      'SELECT current_version_id FROM records WHERE id = ?',
      [recordId],
    );
    await fx.warehouse.raw('UPDATE records SET current_version_id = ?, updated_at = now() WHERE id = ?', [
      version.id,
      recordId,
    ]);
    return {
      version,
      undo: async () => {
        await asSuperuser('UPDATE records SET current_version_id = ? WHERE id = ?', [
          previous[0]!.current_version_id,
          recordId,
        ]);
        await asSuperuser('DELETE FROM record_sources WHERE version_id = ?', [version.id]);
        await asSuperuser('DELETE FROM record_versions WHERE id = ?', [version.id]);
      },
    };
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_version_lineage');
    logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
    // A first load merged while it was read (its versions written before their lineage), with an exact repeat.
    const first = await withEnv({ CREDIT_ETL_MERGE_WHILE_READING: '100' }, () =>
      fx.ingest([writeRows(fx.scratch, 'd1.csv', [...rows, row(5)])], {
        ...PROVINCE,
        receivedAt: at('2026-11-02'),
      }),
    );
    expect(first.files[0]!.mergedWhileReading).toBeGreaterThan(0);
    firstFile = first.files[0]!.sourceFileId!;
    // A re-delivery updating two records (the rest unchanged), then a legal procedure's correction.
    const again = await fx.ingest(
      [
        writeRows(fx.scratch, 'd2.csv', [
          edit(row(0), { 处罚内容: '罚款人民币2万元（更正）' }),
          edit(row(1), { 处罚内容: '警告（更正）' }),
          ...rows.slice(2),
        ]),
      ],
      { ...PROVINCE, receivedAt: at('2026-11-09') },
    );
    expect(again.counts).toMatchObject({ updated: 2, unchanged: 398 });
    await correctRecord(fx.warehouse, fx.catalog, await recordOf(2), ['备注=更正'], GROUNDS);
    // A file over CREDIT_ETL_CHUNK_BYTES, loaded in chunks: 3,000 new records and an update.
    const chunked = await withEnv({ CREDIT_ETL_CHUNK_BYTES: String(1 << 20) }, () =>
      fx.ingest(
        [writeRows(fx.scratch, 'd3.csv', [edit(row(4), { 处罚内容: '警告（再更正）' }), ...all.slice(400)])],
        { ...PROVINCE, receivedAt: at('2026-11-16') },
      ),
    );
    expect(chunked.counts).toMatchObject({ inserted: 3000, updated: 1 });
    expect(await fx.owner('chunked_loads').where({ state: 'merged' }).count('* as n')).toEqual([{ n: 1 }]);
  });
  afterAll(async () => fx?.close());

  it('is clean after a load merged while read, an updating re-delivery, a legal correction and a chunked load', async () => {
    const clean = await verify();
    expect([clean.status, clean.records, clean.files]).toEqual(['completed', [], []]);
    expect(clean.counts).toMatchObject({ records: 3400, versions: 3404, files: 3 });
  });

  it('names the record given a version behind the engine, filed under a sealed file', async () => {
    const target = await recordOf(0);
    const { version, undo } = await forgeVersion(target);
    try {
      expect(version.version_no).toBe(3);
      const found = await verify();
      expect(found.status).toBe('failed');
      expect(found.records).toEqual([
        {
          recordId: target,
          catalogCode: 'xzcf',
          businessKey: expect.any(String),
          versionNo: 3,
          problem: 'version-without-lineage',
          detail: `file ${firstFile} row 7 has no lineage row that created this version`,
        },
      ]);
      // The gap this check closes: the file's digest never covered the version.
      expect(found.files).toEqual([]);
      const run = await fx.warehouse('runs').where({ id: found.runId }).first();
      expect(run).toMatchObject({
        kind: 'verify',
        status: 'failed',
        errors_by_code: { 'version-without-lineage': 1 },
      });
      // The scope: another catalog, or a day after the forgery, does not look at it; today does.
      expect((await verify({ catalogCode: 'xzxk' })).records).toEqual([]);
      expect((await verify({ since: new Date(`${SHANGHAI_DAY(32)}T00:00:00+08:00`) })).records).toEqual([]);
      const today = await verify({
        catalogCode: 'xzcf',
        since: new Date(`${SHANGHAI_DAY(8)}T00:00:00+08:00`),
      });
      expect(today.records.map((finding) => [finding.recordId, finding.problem])).toEqual([
        [target, 'version-without-lineage'],
      ]);
      // The operator's command exits 4.
      const cli = await runCli(['verify', '--json'], {
        DATABASE_URL: fx.url,
        CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      });
      expect(cli.code, cli.stderr).toBe(4);
    } finally {
      await undo();
    }
    expect((await verify()).status).toBe('completed');
  });

  it('a lineage row forged for it too, or one of another row, does not hide it', async () => {
    const target = await recordOf(3);
    const { version, undo } = await forgeVersion(target);
    // A careful forger: its timeliness copied from the record's first lineage row, so only the lineage can tell.
    const lineage = (rowNumber: number) =>
      pastTheCheck('record_sources', (trx) =>
        trx.raw(
          `INSERT INTO record_sources (record_id, version_id, outcome, run_id, source_file_id, row_number, provider_code,
                                     level, content_hash, received_at, late, working_days)
         SELECT v.record_id, v.id, 'updated', f.run_id, f.id, ?, f.provider_code, f.level, v.content_hash,
                f.received_at, first.late, first.working_days
         FROM record_versions v, source_files f,
           LATERAL (SELECT s.late, s.working_days FROM record_sources s WHERE s.record_id = v.record_id
                    ORDER BY s.id LIMIT 1) first
         WHERE v.id = ? AND f.id = ?`,
          [rowNumber, version.id, firstFile],
        ),
      );
    try {
      // Of another row than the version names: still no lineage row that created it; the file's digest moved.
      await lineage(8);
      const otherRow = await verify();
      expect(otherRow.records.map((finding) => [finding.recordId, finding.problem])).toEqual([
        [target, 'version-without-lineage'],
      ]);
      expect(otherRow.files.map((finding) => [finding.sourceFileId, finding.problem])).toEqual([
        [firstFile, 'file-digest-differs'],
      ]);
      // Of its own row: the version has its lineage, and the file's digest no longer fits what it reaches.
      await asSuperuser('DELETE FROM record_sources WHERE version_id = ?', [version.id]);
      await lineage(7);
      const ownRow = await verify();
      expect(ownRow.status).toBe('failed');
      expect(ownRow.records).toEqual([]);
      expect(ownRow.files.map((finding) => [finding.sourceFileId, finding.problem])).toEqual([
        [firstFile, 'file-digest-differs'],
      ]);
    } finally {
      await undo();
    }
    expect((await verify()).status).toBe('completed');
  });
});
