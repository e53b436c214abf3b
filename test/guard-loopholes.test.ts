import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../migrations/index.ts';
import { syncCatalogEntries } from '../src/cli/sync-catalog-entries.ts';
import { createNotice } from '../src/report/notices.ts';
import { emptyCounts } from '../src/warehouse/outcome-counts.ts';
import { finishRun, startRun } from '../src/warehouse/runs-repository.ts';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/*
 * 033-guards-without-loopholes, 035-finished-runs-stay, 036-level-only-rises and 046-records-stay-times-stamped: what
 * the engine's own login could do around the guards, refused by the database.
 * `fx.warehouse` is the engine (every connection SET ROLE credit_etl_loader); `fx.owner` the superuser.
 */
describe("the guards hold against the engine's own login", () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(3, 3303);
  let record: { id: number; current_version_id: number };
  let firstVersion: number;

  beforeAll(async () => {
    fx = await openWarehouseFixture('guard_loopholes');
    // The third row is rejected: the first run has something to notify.
    await fx.ingest([
      writeRows(fx.scratch, 'first.csv', [
        rows[0]!,
        rows[1]!,
        edit(rows[2]!, { 处罚决定日期: '2026-02-30' }),
      ]),
    ]);
    await fx.ingest([writeRows(fx.scratch, 'second.csv', [edit(rows[0]!, { 备注: '第二版' }), rows[1]!])]);
    [record] = await fx.warehouse('records').orderBy('id').limit(1);
    firstVersion = (
      await fx.warehouse('record_versions').where({ record_id: record.id, version_no: 1 }).first()
    ).id;
  });
  afterAll(async () => fx?.close());

  it('a temp table named like a warehouse table does not stand in for it in records_guard', async () => {
    const shadowed = fx.warehouse.transaction(async (trx) => {
      // The loader may create temp tables (the merge stages in them): one shadowing record_versions says the old
      // version is the newest.
      await trx.raw(
        `CREATE TEMP TABLE record_versions (id bigint, record_id bigint, version_no int, source_file_id bigint,
           procedure_id bigint) ON COMMIT DROP`,
      );
      // The delivering file of the old version: its channel is the record's level, so only the order stops it.
      const { source_file_id: file } = await trx('public.record_versions')
        .where({ id: firstVersion })
        .first();
      await trx.raw('INSERT INTO record_versions VALUES (?, ?, 99, ?, NULL), (?, ?, 1, ?, NULL)', [
        firstVersion,
        record.id,
        file,
        record.current_version_id,
        record.id,
        file,
      ]);
      await trx.raw('UPDATE public.records SET current_version_id = ? WHERE id = ?', [
        firstVersion,
        record.id,
      ]);
    });
    await expect(shadowed).rejects.toThrow(/may only become a newer version/);
    expect((await fx.warehouse('records').where({ id: record.id }).first()).current_version_id).toBe(
      record.current_version_id,
    );
  });

  it('every plpgsql function of the warehouse runs with its search_path pinned, pg_temp last', async () => {
    const { rows: functions } = await fx.owner.raw<{ rows: { name: string; config: string[] | null }[] }>(
      `SELECT p.proname AS name, p.proconfig AS config FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
       WHERE p.pronamespace = current_schema()::regnamespace AND l.lanname = 'plpgsql' ORDER BY 1`,
    );
    expect(functions.length).toBeGreaterThan(20);
    const unpinned = functions.filter(
      ({ config }) => !config?.some((setting) => /^search_path=\S+, pg_temp$/.test(setting)),
    );
    expect(unpinned.map(({ name }) => name)).toEqual([]);
  });

  it("a file's status moves only as the engine moves it: no skipped file loaded again, no sealed file failed", async () => {
    const loaded = await fx.warehouse('source_files').where({ status: 'loaded' }).orderBy('id').first();
    expect(loaded.digest).toMatch(/^[0-9a-f]{64}$/);
    for (const who of [fx.warehouse, fx.owner]) {
      await expect(who('source_files').where({ id: loaded.id }).update({ status: 'failed' })).rejects.toThrow(
        /stays so/,
      );
    }
    // A skipped file (the channel's latest load sent again, byte for byte) cannot pass for one being loaded.
    const again = [rows[0]!, rows[1]!, edit(rows[2]!, { 处罚决定日期: '2026-02-30' })];
    await fx.ingest([writeRows(fx.scratch, 'latest.csv', again)]);
    await fx.ingest([writeRows(fx.scratch, 'latest-again.csv', again)]);
    const skipped = await fx.warehouse('source_files').where({ status: 'skipped' }).first();
    expect(skipped).toBeDefined();
    await expect(
      fx.warehouse('source_files').where({ id: skipped.id }).update({ status: 'loaded' }),
    ).rejects.toThrow(/stays so/);
  });

  it("a finished run's outcome stays: no failure made a success, no reason blanked; only its attempts count up", async () => {
    const finished = await fx.warehouse('runs').where({ status: 'completed' }).orderBy('id').first();
    expect(finished).toBeDefined();
    for (const who of [fx.warehouse, fx.owner]) {
      for (const change of [
        { status: 'failed' },
        { counts: JSON.stringify({ ...finished.counts, rejected: 0 }) },
        { error: 'rewritten' },
        { finished_at: new Date('2026-01-01T00:00:00Z') },
      ]) {
        await expect(who('runs').where({ id: finished.id }).update(change)).rejects.toThrow(/stays so/);
      }
      await expect(who('runs').where({ id: finished.id }).update({ attempts: 0 })).rejects.toThrow(
        /only goes up/,
      );
    }
    // A pipeline's retries are counted onto the attempt's run after it ended.
    await fx.warehouse('runs').where({ id: finished.id }).update({ attempts: 2 });
    expect(await fx.warehouse('runs').where({ id: finished.id }).first()).toEqual({
      ...finished,
      attempts: 2,
    });
    // A running run is finished once.
    const runId = await startRun(fx.warehouse, 'ingest', {});
    const result = { status: 'failed', counts: emptyCounts(), errorsByCode: {}, error: 'x' } as const;
    await finishRun(fx.warehouse, runId, result);
    await expect(finishRun(fx.warehouse, runId, { ...result, status: 'completed' })).rejects.toThrow(
      /ended failed and stays so/,
    );
  });

  it("a record's level alone only rises: a lower channel that delivered the same content does not take it", async () => {
    // 036 reads the order of the channels from the entry as synced, as every command syncs it at start.
    await syncCatalogEntries(fx.warehouse, fx.catalog.entries);
    // A decision of its own: the fixture's rows share their numbers with any other seed's first rows.
    const same = edit(basePenalties(1, 3304)[0]!, { 行政处罚决定书文号: '鲁济市监罚〔2026〕9036号' });
    await fx.ingest([writeRows(fx.scratch, 'city-first.csv', [same])], {
      provider: '11370100MB28174284',
      level: 'city',
    });
    const province = await fx.ingest([writeRows(fx.scratch, 'province-same.csv', [same])], {
      provider: '113700000000000000',
      level: 'province',
    });
    expect(province.counts).toMatchObject({ merged: 1 });
    const merged = await fx.warehouse('records').orderBy('id', 'desc').first();
    expect(merged.level).toBe('province');
    for (const who of [fx.warehouse, fx.owner]) {
      await expect(who('records').where({ id: merged.id }).update({ level: 'city' })).rejects.toThrow(
        /level of record \d+ only rises \(province → city/,
      );
    }
    expect((await fx.warehouse('records').where({ id: merged.id }).first()).level).toBe('province');
  });

  it('an entry generation only counts up: set back or deleted, it is refused', async () => {
    const [generation] = await fx.warehouse('entry_generations').where({ catalog_code: 'xzcf' });
    expect(Number(generation.generation)).toBeGreaterThan(1);
    for (const who of [fx.warehouse, fx.owner]) {
      await expect(
        who('entry_generations').where({ catalog_code: 'xzcf' }).update({ generation: 1 }),
      ).rejects.toThrow(/only counts up/);
    }
    await expect(fx.owner('entry_generations').where({ catalog_code: 'xzcf' }).delete()).rejects.toThrow(
      /only counts up/,
    );
    await expect(fx.owner.raw('TRUNCATE entry_generations')).rejects.toThrow(/only counts up/);
  });

  it('a notice event is stamped with the session user and the clock, whatever the writer says', async () => {
    const [run] = await fx.warehouse('runs').orderBy('id').limit(1);
    const notice = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: '113700000000000000',
      scope: { kind: 'run', runId: run.id },
      issuedOn: '2026-11-20',
    });
    const { rows: sessions } = await fx.warehouse.raw<{ rows: { session: string }[] }>(
      'SELECT session_user AS session',
    );
    const session = sessions[0]?.session;
    const before = Date.now();
    const [event] = await fx
      .warehouse('notice_events')
      .insert({
        notice_id: notice.id,
        kind: 'sent',
        channel: '电子邮件',
        recipient: '某局',
        operator: '张三',
        db_user: 'zhang_san',
        at: new Date('2026-01-01T00:00:00Z'),
      })
      .returning(['db_user', 'at']);
    expect(event.db_user).toBe(session);
    expect(new Date(event.at).getTime()).toBeGreaterThanOrEqual(before - 5_000);
  });

  it('a legal procedure with a basis, reason or operator blank in any way (a tab, U+3000) is refused by the database', async () => {
    for (const [basis, reason, operator] of [
      ['\t', '理由', '张科员'],
      ['x号', '\u3000', '张科员'],
      ['x号', '理由', '\u00a0\u200b'],
    ]) {
      await expect(
        fx.warehouse.transaction(async (trx) => {
          await trx.raw('SET LOCAL ROLE credit_etl_officer');
          await trx.raw('SELECT procedure_withdraw(?, ?, ?, ?)', [record.id, basis!, reason!, operator!]);
        }),
      ).rejects.toThrow(/法定程序必须注明/);
    }
    expect((await fx.warehouse('records').where({ id: record.id }).first()).status).toBe('current');
  });

  it("a record's updated_at does not move alone: back-dated, set to now or ahead, by the loader or the owner", async () => {
    const before = await fx.owner('records').where({ id: record.id }).first();
    for (const who of [fx.warehouse, fx.owner]) {
      // The review's statement, then a no-op that only says the time is now, then a time ahead.
      await who.raw(`UPDATE records SET updated_at = now() - interval '1 year' WHERE id = ?`, [record.id]);
      await who.raw('UPDATE records SET updated_at = now() WHERE id = ?', [record.id]);
      await who('records')
        .where({ id: record.id })
        .update({ updated_at: new Date('2099-01-01T00:00:00Z') });
    }
    expect(await fx.owner('records').where({ id: record.id }).first()).toEqual(before);
  });

  it("a record that changes gets the database's clock as updated_at, whatever the UPDATE says", async () => {
    const moved = await rolledBack(fx.warehouse, async (trx) => {
      const [{ now }] = (await trx.raw('SELECT now() AS now')).rows;
      const { current_version_id: current } = await trx('records').where({ id: record.id }).first();
      const file = await trx('source_files')
        .join('record_versions as v', 'v.source_file_id', 'source_files.id')
        .where('v.id', current)
        .first('source_files.*');
      const [run] = await trx('runs').insert({ kind: 'ingest' }).returning('id');
      const [ownFile] = await trx('source_files')
        .insert({
          catalog_code: file.catalog_code,
          catalog_version: file.catalog_version,
          provider_code: file.provider_code,
          level: file.level,
          run_id: run.id,
          name: 'own.csv',
          status: 'loaded',
          received_at: new Date(),
          started_at: new Date(),
        })
        .returning('id');
      // A newer version of the record, delivered by its channel: the pointer may move to it (records_guard).
      const { rows: versions } = await trx.raw(
        `INSERT INTO record_versions (record_id, version_no, data, content_hash, catalog_version, formation_date,
                                      source_file_id, row_number, subject_code)
         SELECT record_id, version_no + 1, data || '{"CF_NR_FK": 0.01}', content_hash, catalog_version,
                formation_date, ?, 2, subject_code
         FROM record_versions WHERE id = ? RETURNING id`,
        [ownFile.id, current],
      );
      const [row] = await trx('records')
        .where({ id: record.id })
        .update({ current_version_id: versions[0].id, updated_at: BACK_DATED })
        .returning('updated_at');
      return { now, updatedAt: row.updated_at };
    });
    expect(moved.updatedAt.getTime()).toBe(moved.now.getTime());
  });

  it("a new record's created_at and updated_at are the database's clock, whatever the INSERT says", async () => {
    for (const who of [fx.warehouse, fx.owner]) {
      const inserted = await rolledBack(who, async (trx) => {
        const [{ now }] = (await trx.raw('SELECT now() AS now')).rows;
        const [row] = await trx('records')
          .insert({
            catalog_code: 'xzcf',
            business_key: 'forged',
            level: 'province',
            current_version_id: record.current_version_id,
            created_at: BACK_DATED,
            updated_at: BACK_DATED,
          })
          .returning(['created_at', 'updated_at']);
        return { now, row };
      });
      expect(inserted.row.created_at.getTime()).toBe(inserted.now.getTime());
      expect(inserted.row.updated_at.getTime()).toBe(inserted.now.getTime());
    }
  });

  it("the engine's merge stamps its transaction's time: a correction's updated_at and a new record's times are its new version's", async () => {
    const corrected = await fx.warehouse('records').orderBy('id').offset(1).first();
    const fresh = edit(basePenalties(1, 3306)[0]!, { 行政处罚决定书文号: '鲁济市监罚〔2026〕9046号' });
    const result = await fx.ingest([
      writeRows(fx.scratch, 'corrected.csv', [edit(rows[1]!, { 备注: '更正' }), fresh]),
    ]);
    expect(result.counts).toMatchObject({ inserted: 1, updated: 1 });
    const versionOf = async (id: number) => {
      const now = await fx.warehouse('records').where({ id }).first();
      const version = await fx.warehouse('record_versions').where({ id: now.current_version_id }).first();
      return { now, version };
    };
    const after = await versionOf(corrected.id);
    expect(after.version.version_no).toBeGreaterThan(1);
    expect(after.now.updated_at.getTime()).toBe(after.version.created_at.getTime());
    expect(after.now.updated_at.getTime()).toBeGreaterThan(corrected.updated_at.getTime());
    const added = await versionOf((await fx.warehouse('records').orderBy('id', 'desc').first()).id);
    expect(added.version.version_no).toBe(1);
    expect(added.now.created_at.getTime()).toBe(added.version.created_at.getTime());
    expect(added.now.updated_at.getTime()).toBe(added.version.created_at.getTime());
  });

  it("goes down and up again: a record's updated_at is what the writer says without 046, stamped with it", async () => {
    const name = '046-records-stay-times-stamped';
    const migrationSource: Knex.MigrationSource<string> = {
      getMigrations: async () => MIGRATIONS.map(([migration]) => migration),
      getMigrationName: (migration) => migration,
      getMigration: async (migration) => MIGRATIONS.find(([candidate]) => candidate === migration)![1],
    };
    const backDated = () =>
      rolledBack(fx.warehouse, async (trx) => {
        const [row] = await trx('records')
          .where({ id: record.id })
          .update({ updated_at: BACK_DATED })
          .returning('updated_at');
        return row.updated_at.getTime();
      });
    await fx.owner.migrate.down({ migrationSource, name });
    expect(await backDated()).toBe(new Date(BACK_DATED).getTime());
    await fx.owner.migrate.up({ migrationSource, name });
    expect(await backDated()).not.toBe(new Date(BACK_DATED).getTime());
  });
});

/** A time the forgeries above claim. */
const BACK_DATED = '2026-01-10 10:00:00+08';

/** What `work` returned, its transaction rolled back: a forgery tried leaves nothing behind. */
async function rolledBack<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const rollback = new Error('rolled back');
  let result: T | undefined;
  await db
    .transaction(async (trx) => {
      result = await work(trx);
      throw rollback;
    })
    .catch((error) => {
      if (error !== rollback) throw error;
    });
  return result as T;
}
