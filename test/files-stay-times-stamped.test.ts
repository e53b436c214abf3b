import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../migrations/index.ts';
import { recordsAsOf } from '../src/warehouse/disclosure-repository.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const MIGRATION = '041-files-stay-times-stamped';
const PROVINCE = { provider: '113700000000000000', level: 'province' } as const;
/** The day the forgeries below claim, and a time in it. */
const BACK_DATED_DAY = '2026-01-10';
const BACK_DATED = '2026-01-10 10:00:00+08';
/** A file's times as the engine writes them (the database stamps its own start over it). */
const NOW = { received_at: new Date(), started_at: new Date() };

const STAYS = /file \d+ was recorded by a transaction that has ended, and stays as recorded/;

/**
 * 041-files-stay-times-stamped, as the review tried it with the engine's own login: a loaded file's row rewritten
 * after its unit committed, and history back-dated (a run, a file, a version before its predecessor) so that
 * `report disclosure --as-of` showed a version on a day it did not exist. `fx.warehouse` is the engine (SET ROLE
 * credit_etl_loader), `fx.owner` the superuser.
 */
describe("a recorded file stays, and history's times are the database's", () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(3, 4101);
  let loaded: Record<string, unknown> & { id: number; run_id: number };
  let skipped: Record<string, unknown> & { id: number };

  beforeAll(async () => {
    fx = await openWarehouseFixture('files_stay_times_stamped');
    const first = writeRows(fx.scratch, 'first.csv', rows);
    await fx.ingest([first], PROVINCE);
    await fx.ingest([writeRows(fx.scratch, 'again.csv', rows)], PROVINCE);
    loaded = await fx.owner('source_files').where({ status: 'loaded' }).orderBy('id').first();
    skipped = await fx.owner('source_files').where({ status: 'skipped' }).orderBy('id').first();
    expect(loaded.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(skipped).toBeDefined();
  });
  afterAll(async () => fx?.close());

  it("refuses to rewrite a loaded file's row once its unit committed: every column, the loader and the owner", async () => {
    const review = `UPDATE source_files SET sha256 = repeat('0', 64), counts = '{"read": 1}', encoding = 'gb18030',
      forced = true, same_content_as = ${skipped.id}, finished_at = '2020-01-01', error = 'x' WHERE id = ${loaded.id}`;
    for (const who of [fx.warehouse, fx.owner]) await expect(who.raw(review)).rejects.toThrow(STAYS);
    // Each column the loader may update (010, 015), one at a time.
    for (const change of [
      { sha256: 'f'.repeat(64) },
      { encoding: 'gb18030' },
      { columns: JSON.stringify([]) },
      { counts: JSON.stringify({ read: 1 }) },
      { blank_lines: 7 },
      { threshold: JSON.stringify({ exceeded: false }) },
      { error_code: 'x' },
      { error: 'x' },
      { finished_at: new Date('2020-01-01T00:00:00Z') },
      { same_content_as: skipped.id },
      { forced: true },
      { full_dump: JSON.stringify({ exceeded: false }) },
    ]) {
      await expect(fx.warehouse('source_files').where({ id: loaded.id }).update(change)).rejects.toThrow(
        STAYS,
      );
    }
    // A skipped (or failed) unit's row too: its reason and the load it points at are what the provider was told.
    await expect(
      fx.warehouse('source_files').where({ id: skipped.id }).update({ error: 'x', same_content_as: null }),
    ).rejects.toThrow(STAYS);
    expect(await fx.owner('source_files').where({ id: loaded.id }).first()).toEqual(loaded);
    expect(await fx.owner('source_files').where({ id: skipped.id }).first()).toEqual(skipped);
  });

  it('lets the transaction that records a file write it, as a unit does, and nothing after its commit', async () => {
    const runId = (await fx.warehouse('runs').insert({ kind: 'ingest' }).returning('id'))[0].id as number;
    const fileId = await fx.warehouse.transaction(async (trx) => {
      const [file] = await trx('source_files')
        .insert({ ...channelOf(loaded), run_id: runId, name: 'own.csv', status: 'loaded', ...NOW })
        .returning('id');
      // The ledger, the digest, then the finish: the order of load-staged.ts.
      await trx('source_files').where({ id: file.id }).update({ forced: true, same_content_as: loaded.id });
      await trx.raw('UPDATE source_files SET digest = source_file_digest(id) WHERE id = ?', [file.id]);
      await trx('source_files')
        .where({ id: file.id })
        .update({ sha256: 'a'.repeat(64), counts: JSON.stringify({ read: 0 }), finished_at: new Date(0) });
      return file.id as number;
    });
    const stored = await fx.warehouse('source_files').where({ id: fileId }).first();
    expect(stored).toMatchObject({ forced: true, same_content_as: loaded.id, sha256: 'a'.repeat(64) });
    // The finish is the clock's, whatever the UPDATE said.
    expect(stored.finished_at.getTime()).toBeGreaterThanOrEqual(stored.started_at.getTime());
    await expect(
      fx
        .warehouse('source_files')
        .where({ id: fileId })
        .update({ counts: JSON.stringify({ read: 9 }) }),
    ).rejects.toThrow(STAYS);
  });

  it('stamps a run, a file and a version with the clock: back-dated history is recorded as of now, and chained so', async () => {
    const record = await fx.warehouse('records').orderBy('id').first('id', 'current_version_id');
    const forged = await fx.warehouse.transaction(async (trx) => {
      const [{ now }] = (await trx.raw('SELECT now() AS now')).rows;
      const [run] = await trx('runs')
        .insert({ kind: 'ingest', pipeline: 'xzcf-province', status: 'running', started_at: BACK_DATED })
        .returning(['id', 'started_at']);
      const [file] = await trx('source_files')
        .insert({
          ...channelOf(loaded),
          run_id: run.id,
          name: `xzcf-province-${BACK_DATED_DAY}.csv`,
          status: 'loaded',
          received_at: BACK_DATED,
          started_at: BACK_DATED,
          finished_at: BACK_DATED,
        })
        .returning(['id', 'started_at', 'finished_at', 'received_at']);
      // A version 2 dated before its version 1, with a chain hash of the forger's own.
      const { rows: versions } = await trx.raw(
        `INSERT INTO record_versions (record_id, version_no, data, content_hash, catalog_version, formation_date,
                                      source_file_id, row_number, subject_code, created_at, chain_hash)
         SELECT v.record_id, 2, v.data || '{"CF_NR_FK": 0.01}', v.content_hash, v.catalog_version, v.formation_date,
                ?, 2, v.subject_code, ?, 'x'
         FROM record_versions v WHERE v.id = ? RETURNING *`,
        [file.id, BACK_DATED, record.current_version_id],
      );
      const { rows: chained } = await trx.raw(
        `SELECT version_chain_hash(p.chain_hash, v) AS hash FROM record_versions v
         JOIN record_versions p ON p.record_id = v.record_id AND p.version_no = 1 WHERE v.id = ?`,
        [versions[0].id],
      );
      const [finished] = await trx('runs')
        .where({ id: run.id })
        .update({ status: 'completed', finished_at: BACK_DATED })
        .returning('finished_at');
      return { now, run, file, version: versions[0], chained: chained[0].hash, finished };
    });
    const now = forged.now.getTime();
    expect(forged.run.started_at.getTime()).toBe(now);
    expect(forged.finished.finished_at.getTime()).toBe(now);
    expect(forged.file.started_at.getTime()).toBe(now);
    expect(forged.file.finished_at.getTime()).toBe(now);
    expect(forged.version.created_at.getTime()).toBe(now);
    // The hash is of the row as stored: the stamped time, which verify recomputes.
    expect(forged.version.chain_hash).toBe(forged.chained);
    // The provider's delivery time is a claim, kept as given.
    expect(forged.file.received_at.getTime()).toBe(new Date(BACK_DATED).getTime());
    // The day it claims, the warehouse held no version of the record: the disclosure of then does not show it.
    expect((await recordsAsOf(fx.warehouse, [record.id], BACK_DATED_DAY)).has(record.id)).toBe(false);
  });

  it("withdraws a provider's records only with a file of a run still running", async () => {
    const record = await fx.warehouse('records').orderBy('id', 'desc').first('id', 'current_version_id');
    const finishedRun = loaded.run_id;
    const runningRun = (await fx.warehouse('runs').insert({ kind: 'ingest' }).returning('id'))[0].id;
    const withdraw = (runId: number) =>
      fx.warehouse.transaction(async (trx) => {
        const [file] = await trx('source_files')
          .insert({ ...channelOf(loaded), run_id: runId, name: 'withdraw.csv', status: 'loaded', ...NOW })
          .returning('id');
        await trx('record_sources').insert({
          record_id: record.id,
          version_id: record.current_version_id,
          outcome: 'withdrawn',
          run_id: runId,
          source_file_id: file.id,
          row_number: 2,
          provider_code: PROVINCE.provider,
          level: PROVINCE.level,
          content_hash: 'x',
          received_at: new Date(),
          late: false,
          withdrawal_signal: 'del_flag=1',
        });
        return (await trx.raw('SELECT provider_withdraw_delivered(?) AS done', [file.id])).rows[0].done;
      });
    // A file filed under a run that ended: not a delivery being loaded. Since 052 its withdrawal request is refused
    // already (a file not being loaded takes no lineage), by the test provider_withdraw_delivered applies.
    await expect(withdraw(finishedRun)).rejects.toThrow(/record_sources: file \d+ is not being loaded/);
    expect((await fx.warehouse('records').where({ id: record.id }).first()).status).toBe('current');
    expect(await withdraw(runningRun)).toBe(1);
  });

  it('goes down and up again: the times written are kept without it, stamped with it', async () => {
    const migrationSource: Knex.MigrationSource<string> = {
      getMigrations: async () => MIGRATIONS.map(([name]) => name),
      getMigrationName: (name) => name,
      getMigration: async (name) => MIGRATIONS.find(([candidate]) => candidate === name)![1],
    };
    const startOf = async () => {
      let started: Date | undefined;
      await fx.warehouse
        .transaction(async (trx) => {
          [{ started_at: started }] = await trx('runs')
            .insert({ kind: 'ingest', started_at: BACK_DATED })
            .returning('started_at');
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      return started!.getTime();
    };
    await fx.owner.migrate.down({ migrationSource, name: MIGRATION });
    expect(await startOf()).toBe(new Date(BACK_DATED).getTime());
    await fx.warehouse('source_files').where({ id: loaded.id }).update({ error: 'x' });
    await fx.owner.migrate.up({ migrationSource, name: MIGRATION });
    expect(await startOf()).not.toBe(new Date(BACK_DATED).getTime());
    await expect(
      fx.warehouse('source_files').where({ id: loaded.id }).update({ error: null }),
    ).rejects.toThrow(STAYS);
  });
});

/** A file row's channel and catalog, as the loaded file's. */
function channelOf(file: Record<string, unknown>) {
  return {
    catalog_code: file.catalog_code,
    catalog_version: file.catalog_version,
    provider_code: file.provider_code,
    level: file.level,
  };
}
