import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const CITY = { level: 'city', provider: '11370000MB2852362M' } as const;
const REFUSED = /file \d+ is not being loaded/;

/*
 * 052-sealed-files-take-nothing: a file takes versions, lineage, rejections and its unchanged-run summary only
 * while its unit loads it (loaded, no digest yet, its run running), whoever writes; and the summary tables refuse
 * TRUNCATE as the other history tables do. `fx.warehouse` is the engine (SET ROLE credit_etl_loader), `fx.owner`
 * the superuser.
 */
describe('a sealed file takes nothing more (real PostgreSQL)', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(4, 5202);
  /** The first load's file: its run completed, its digest set. */
  let first: { id: number; run_id: number };
  /** The re-delivery's file: it has an unchanged-run summary. */
  let second: { id: number; run_id: number };
  let record: { id: number; current_version_id: number };

  beforeAll(async () => {
    fx = await openWarehouseFixture('sealed_files');
    // The fourth row is rejected: the first file has a rejection to copy.
    const one = await fx.ingest(
      [
        writeRows(fx.scratch, 'first.csv', [
          rows[0]!,
          rows[1]!,
          rows[2]!,
          edit(rows[3]!, { 处罚决定日期: '2026-02-30' }),
        ]),
      ],
      CITY,
    );
    // A re-delivery of the three, without the rejected row: compacted into an unchanged-run summary.
    const two = await fx.ingest([writeRows(fx.scratch, 'second.csv', [rows[2]!, rows[1]!, rows[0]!])], CITY);
    const files = [one.files[0]!.sourceFileId, two.files[0]!.sourceFileId];
    [first, second] = await Promise.all(
      files.map((id) => fx.warehouse('source_files').where({ id }).first('id', 'run_id')),
    );
    record = await fx.warehouse('records').orderBy('id').first('id', 'current_version_id');
  });
  afterAll(async () => fx?.close());

  /** A version 2 of the record, edited, "delivered" by `file`, made current: the review's reproduction. */
  const attachVersion = (db: Knex, file: number) =>
    db.transaction(async (trx) => {
      const { rows: added } = await trx.raw<{ rows: { id: number }[] }>(
        `INSERT INTO record_versions (record_id, version_no, data, content_hash, catalog_version, formation_date,
                                      source_file_id, row_number, subject_code)
         SELECT v.record_id, v.version_no + 1, v.data || '{"CF_NR": "警告（改）"}', 'forged', v.catalog_version,
                v.formation_date, ?, 2, v.subject_code
         FROM record_versions v WHERE v.id = ? RETURNING id`,
        [file, record.current_version_id],
      );
      await trx('records').where({ id: record.id }).update({ current_version_id: added[0]!.id });
      return added[0]!.id;
    });

  /** A lineage row copied from the file's first one, as a row of `file`. */
  const attachLineage = (db: Knex, file: number) =>
    db.raw(
      `INSERT INTO record_sources (record_id, version_id, outcome, run_id, source_file_id, row_number, provider_code,
                                   level, content_hash, received_at, late, working_days)
       SELECT record_id, version_id, 'unchanged', run_id, ?, 99, provider_code, level, content_hash, received_at,
              late, working_days
       FROM record_sources WHERE source_file_id = ? ORDER BY id LIMIT 1`,
      [file, first.id],
    );

  it("refuses a version delivered by a file whose unit has ended, and the record's pointer stays (the loader)", async () => {
    await expect(attachVersion(fx.warehouse, first.id)).rejects.toThrow(
      `record_versions: file ${first.id} is not being loaded`,
    );
    expect(await fx.warehouse('records').where({ id: record.id }).first('current_version_id')).toEqual({
      current_version_id: record.current_version_id,
    });
    expect(await fx.warehouse('record_versions').where({ record_id: record.id }).pluck('id')).toEqual([
      record.current_version_id,
    ]);
  });

  it('refuses lineage, rejections, a summary and absences for a sealed file (the loader and the owner)', async () => {
    for (const db of [fx.warehouse, fx.owner]) {
      await expect(attachLineage(db, first.id)).rejects.toThrow(
        `record_sources: file ${first.id} is not being loaded`,
      );
      await expect(
        db.raw(
          `INSERT INTO rejections (run_id, source_file_id, row_number, catalog_code, provider_code, raw, errors)
           SELECT run_id, source_file_id, row_number + 100, catalog_code, provider_code, raw, errors
           FROM rejections WHERE source_file_id = ?`,
          [first.id],
        ),
      ).rejects.toThrow(`rejections: file ${first.id} is not being loaded`);
      // The first file has no summary: one claiming it re-delivered the three records unchanged.
      await expect(
        db('unchanged_deliveries').insert({
          source_file_id: first.id,
          run_id: first.run_id,
          catalog_code: 'xzcf',
          provider_code: CITY.provider,
          level: CITY.level,
          rows: 3,
          late: 0,
          absent: 0,
        }),
      ).rejects.toThrow(`unchanged_deliveries: file ${first.id} is not being loaded`);
      // The second file's summary: a record it held, listed as absent, ends the record's run there.
      await expect(
        db('unchanged_delivery_absences').insert({ source_file_id: second.id, record_id: record.id }),
      ).rejects.toThrow(`unchanged_delivery_absences: file ${second.id} is not being loaded`);
    }
    expect(await fx.owner('record_sources').where({ row_number: 99 })).toEqual([]);
    expect(await fx.owner('rejections').pluck('source_file_id')).toEqual([first.id]);
    expect(await fx.owner('unchanged_deliveries').pluck('source_file_id')).toEqual([second.id]);
    expect(await fx.owner('unchanged_delivery_absences')).toEqual([]);
    // The owner's attempt at the version too.
    await expect(attachVersion(fx.owner, first.id)).rejects.toThrow(REFUSED);
  });

  it('refuses rows of a file recorded now under a run that has ended, and of a file that does not exist', async () => {
    const underEndedRun = fx.warehouse.transaction(async (trx) => {
      const [file] = await trx('source_files')
        .insert({
          run_id: first.run_id,
          name: 'late.csv',
          catalog_code: 'xzcf',
          provider_code: CITY.provider,
          level: CITY.level,
          received_at: new Date(),
          status: 'loaded',
        })
        .returning('id');
      await attachLineage(trx, file.id);
    });
    await expect(underEndedRun).rejects.toThrow(REFUSED);
    await expect(attachLineage(fx.warehouse, 999_999)).rejects.toThrow(
      'record_sources: file 999999 is not being loaded',
    );
  });

  it('checks every file a statement names: a sealed one between two being loaded is refused', async () => {
    // The transaction's own two files, a and c, and between them b, loaded and sealed by another unit meanwhile.
    let b = 0;
    const forged = fx.warehouse.transaction(async (trx) => {
      const [{ id: runId }] = await trx('runs').insert({ kind: 'ingest' }).returning('id');
      const newFile = async (name: string) =>
        (
          await trx('source_files')
            .insert({
              run_id: runId,
              name,
              catalog_code: 'xzcf',
              provider_code: CITY.provider,
              level: CITY.level,
              received_at: new Date(),
              status: 'loaded',
            })
            .returning('id')
        )[0].id as number;
      const a = await newFile('a.csv');
      const between = await fx.ingest([writeRows(fx.scratch, 'between.csv', [rows[0]!, rows[1]!])], CITY);
      b = between.files[0]!.sourceFileId;
      const c = await newFile('c.csv');
      expect(a < b && b < c).toBe(true);
      await trx.raw(
        `INSERT INTO record_sources (record_id, version_id, outcome, run_id, source_file_id, row_number, provider_code,
                                     level, content_hash, received_at, late, working_days)
         SELECT s.record_id, s.version_id, 'unchanged', ?, f.id, 2, s.provider_code, s.level, s.content_hash,
                s.received_at, s.late, s.working_days
         FROM record_sources s, unnest(?::bigint[]) AS f (id)
         WHERE s.id = (SELECT min(id) FROM record_sources WHERE source_file_id = ?)`,
        [runId, [a, b, c], first.id],
      );
    });
    await expect(forged).rejects.toThrow(REFUSED);
    await expect(forged).rejects.toThrow(`record_sources: file ${b} is not being loaded`);
    expect(await fx.warehouse('record_sources').where({ row_number: 2, outcome: 'unchanged' })).toEqual([]);
  });

  it('lets the file being loaded take its rows: a correction, a re-delivery and a rejection load as before', async () => {
    const changed = edit(rows[1]!, { 处罚内容: '罚款人民币5万元（更正）' });
    const summary = await fx.ingest(
      [
        writeRows(fx.scratch, 'third.csv', [
          rows[0]!,
          changed,
          rows[2]!,
          edit(rows[3]!, { 处罚决定日期: '2026-02-30' }),
        ]),
      ],
      CITY,
    );
    expect(summary.files[0]).toMatchObject({ status: 'loaded' });
    expect(summary.files[0]!.counts).toMatchObject({ updated: 1, rejected: 1 });
  });

  it('refuses TRUNCATE of the unchanged-run summary and its absences, even for the owner', async () => {
    const summaries = await fx.owner('unchanged_deliveries').count();
    expect(summaries).not.toEqual([{ count: '0' }]);
    for (const statement of [
      'TRUNCATE unchanged_delivery_absences',
      'TRUNCATE unchanged_deliveries, unchanged_delivery_absences',
      'TRUNCATE unchanged_deliveries CASCADE',
    ]) {
      await expect(fx.owner.transaction((trx) => trx.raw(statement))).rejects.toThrow(/append-only/);
    }
    expect(await fx.owner('unchanged_deliveries').count()).toEqual(summaries);
  });

  it('checks once per statement, over its new rows, on each of the five tables', async () => {
    const { rows: triggers } = await fx.owner.raw<{ rows: { table: string; statement: boolean }[] }>(
      `SELECT tgrelid::regclass::text AS table, (tgtype & 1) = 0 AS statement
       FROM pg_trigger WHERE tgname LIKE '%\\_file\\_being\\_loaded' AND tgnewtable = 'new_rows' ORDER BY 1`,
    );
    expect(triggers).toEqual(
      [
        'record_sources',
        'record_versions',
        'rejections',
        'unchanged_deliveries',
        'unchanged_delivery_absences',
      ].map((table) => ({ table, statement: true })),
    );
    // provider_withdraw_delivered asks the same question, by the same function.
    const { rows: body } = await fx.owner.raw<{ rows: { text: string }[] }>(
      `SELECT pg_get_functiondef('provider_withdraw_delivered(bigint)'::regprocedure) AS text`,
    );
    expect(body[0]!.text).toContain('NOT source_file_being_loaded(f.id)');
  });
});
