import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { type Grounds, withdrawRecord } from '../src/procedures/legal-procedures.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { whileMigrationDown } from './support/migration-source.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * Review finding: verify compared the chained logs with the heads earlier verify runs stored in
 * `runs.counts.logHeads`, which the engine's login writes: a `runs` row it made up with a head that never existed
 * made every later verify fail (exit 4) for ever. The heads are now recorded by the database itself
 * (`verified_log_heads`, filled only by `record_verified_log_heads`, migration 059); those stored before are
 * copied in, so a cut is still found against heads recorded before the migration and after it.
 */
const MIGRATION = '059-log-heads-recorded-by-database';
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const GROUNDS: Grounds = {
  basis: '鲁信用办函〔2026〕41号',
  reason: '提供单位书面确认重复归集',
  operator: '张科员',
};

async function setUp(label: string, rows: number): Promise<{ fx: WarehouseFixture; records: number[] }> {
  const fx = await openWarehouseFixture(label);
  await fx.ingest([writeRows(fx.scratch, 'v1.csv', basePenalties(rows, 2201))], {
    receivedAt: at('2026-11-02'),
  });
  return { fx, records: (await fx.warehouse('records').orderBy('id').pluck('id')) as number[] };
}

/** `credit-etl verify` as the nightly job runs it: its exit code and the lines naming what it found. */
async function cliVerify(fx: WarehouseFixture) {
  const result = await runCli(['verify'], {
    DATABASE_URL: fx.url,
    CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
  });
  return { ...result, found: result.stdout.split('\n').filter((line) => line.startsWith('✗ ')) };
}

const verify = (fx: WarehouseFixture) =>
  verifyWarehouse(
    fx.warehouse,
    fx.catalog,
    {},
    createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false }),
  );

/** The finding's statement, word for word: heads a verify run never saw, in a runs row the loader inserts. */
const FORGED_HEADS = {
  logHeads: {
    procedure_log: { id: 2, hash: 'forged', entries: 500 },
    objection_log: { id: 50, hash: 'f', entries: 50 },
  },
};

describe('a verify run the engine login makes up in runs names nothing to later runs', () => {
  let fx: WarehouseFixture;
  let records: number[];

  beforeAll(async () => {
    ({ fx, records } = await setUp('log_heads_by_db_forged', 2));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('the forged heads in runs.counts change no finding: verify stays clean, exit 0, run after run', async () => {
    await withdrawRecord(fx.warehouse, records[0]!, GROUNDS);
    expect((await verify(fx)).status).toBe('completed');
    await fx.warehouse('runs').insert({ kind: 'verify', status: 'completed', counts: FORGED_HEADS });
    for (const run of [1, 2]) {
      const cli = await cliVerify(fx);
      expect([cli.code, cli.found], `run ${run}: ${cli.stderr}`).toEqual([0, []]);
    }
    const summary = await verify(fx);
    expect([summary.status, summary.records]).toEqual(['completed', []]);
  }, 180_000);

  it('the loader may not write the heads; a run it makes up records the logs as they are', async () => {
    const run = await fx
      .owner('verified_log_heads')
      .orderBy('run_id', 'desc')
      .first('run_id', 'log', 'head_id', 'hash', 'entries');
    const row = {
      run_id: run.run_id,
      log: 'objection_log',
      head_id: 50,
      hash: 'f',
      entries: 50,
    };
    await expect(fx.warehouse('verified_log_heads').insert(row)).rejects.toThrow(
      /permission denied for table verified_log_heads/,
    );
    await expect(
      fx.warehouse('verified_log_heads').where({ run_id: run.run_id }).update({ entries: 500 }),
    ).rejects.toThrow(/permission denied for table verified_log_heads/);
    await expect(fx.warehouse('verified_log_heads').where({ run_id: run.run_id }).del()).rejects.toThrow(
      /permission denied for table verified_log_heads/,
    );
    // Not the owner either (a superuser passes grants, not triggers).
    await expect(fx.owner('verified_log_heads').insert(row)).rejects.toThrow(
      /verified_log_heads: INSERT refused: the heads a verify run saw are recorded only by record_verified_log_heads/,
    );
    await expect(
      fx.owner('verified_log_heads').where({ run_id: run.run_id }).update({ entries: 500 }),
    ).rejects.toThrow(/verified_log_heads: UPDATE refused/);
    await expect(fx.owner.raw('TRUNCATE verified_log_heads')).rejects.toThrow(
      /verified_log_heads: TRUNCATE refused/,
    );

    // The function takes only a verify run still running, once; what it records is the log, not the caller's.
    const [finished] = await fx.warehouse('runs').where({ kind: 'verify' }).orderBy('id').pluck('id');
    await expect(fx.warehouse.raw('SELECT * FROM record_verified_log_heads(?)', [finished])).rejects.toThrow(
      new RegExp(`run ${finished} is not a verify run still running \\(verify, completed\\)`),
    );
    const [ingest] = await fx.warehouse('runs').insert({ kind: 'ingest' }).returning('id');
    await expect(fx.warehouse.raw('SELECT * FROM record_verified_log_heads(?)', [ingest.id])).rejects.toThrow(
      /is not a verify run still running \(ingest, running\)/,
    );
    const [madeUp] = await fx
      .warehouse('runs')
      .insert({ kind: 'verify', counts: FORGED_HEADS })
      .returning('id');
    const { rows } = await fx.warehouse.raw('SELECT * FROM record_verified_log_heads(?)', [madeUp.id]);
    const head = await fx.owner('procedure_log').orderBy('id', 'desc').first('id', 'hash');
    expect(
      rows.map((r: { log: string; head_id: string; hash: string }) => [r.log, Number(r.head_id), r.hash]),
    ).toEqual([['procedure_log', Number(head.id), head.hash]]);
    await expect(fx.warehouse.raw('SELECT * FROM record_verified_log_heads(?)', [madeUp.id])).rejects.toThrow(
      /its log heads are already recorded, once/,
    );
    expect((await cliVerify(fx)).code).toBe(0);
  }, 180_000);
});

describe('a cut is found against heads recorded before the migration and after it', () => {
  let fx: WarehouseFixture;
  let records: number[];

  beforeAll(async () => {
    ({ fx, records } = await setUp('log_heads_by_db_history', 3));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('log-cut-back names the run before 059 (copied from its counts) and the run after it', async () => {
    const [a, b] = records as [number, number];
    const first = await withdrawRecord(fx.warehouse, a, GROUNDS);
    // Before 059: a verify run stored the heads it saw in its counts, as the engine did then.
    const before = await whileMigrationDown(fx.owner, MIGRATION, async () => {
      expect((await fx.owner.raw(`SELECT to_regclass('verified_log_heads') AS t`)).rows[0].t).toBeNull();
      const { rows } = await fx.warehouse.raw(
        `INSERT INTO runs (kind, status, finished_at, counts)
         SELECT 'verify', 'completed', now(), jsonb_build_object('logHeads', jsonb_build_object('procedure_log',
           jsonb_build_object('id', p.id, 'hash', p.hash, 'recordId', p.record_id, 'catalogCode', p.catalog_code,
             'entries', (SELECT count(*) FROM procedure_log))))
         FROM procedure_log p ORDER BY p.id DESC LIMIT 1
         RETURNING id`,
      );
      return Number(rows[0].id);
    });
    expect(
      await fx.owner('verified_log_heads').where({ run_id: before }).select('log', 'head_id', 'entries'),
    ).toEqual([{ log: 'procedure_log', head_id: first.procedureId, entries: 1 }]);

    const second = await withdrawRecord(fx.warehouse, b, GROUNDS);
    const after = await verify(fx);
    expect(after.status).toBe('completed');

    // Behind the engine: both entries deleted, the records put back; what is left of the chain checks.
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw('DELETE FROM procedure_log WHERE id IN (?, ?)', [first.procedureId, second.procedureId]);
      await trx.raw(`UPDATE records SET status = 'current', status_procedure_id = NULL WHERE id IN (?, ?)`, [
        a,
        b,
      ]);
    });
    const cut = await cliVerify(fx);
    expect(cut.code, cut.stderr).toBe(4);
    expect(cut.found).toEqual([
      expect.stringContaining(
        `✗ record ${a} (xzcf): log-cut-back: procedure_log entry #${first.procedureId} (hash`,
      ),
      expect.stringContaining(
        `✗ record ${b} (xzcf): log-cut-back: procedure_log entry #${second.procedureId} (hash`,
      ),
    ]);
    expect(cut.found[0]).toContain(`the newest verify run ${before} saw of 1, is gone`);
    expect(cut.found[1]).toContain(`the newest verify run ${after.runId} saw of 2, is gone`);
  }, 180_000);
});
