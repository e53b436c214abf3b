import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../migrations/index.ts';
import { createLogger } from '../src/log/logger.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { verifyObjectionLog } from '../src/warehouse/objection-log-chain.ts';
import { asOfficer, insertObjection, type NewObjection } from '../src/warehouse/objection-log-repository.ts';
import { verifyProcedureLog } from '../src/warehouse/procedure-log-chain.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { fixturePath, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * Review finding: an officer forked objection_log (and procedure_log) with a REPEATABLE READ transaction. The chain
 * triggers lock, then read the log's newest entry: with a snapshot older than the lock, that entry is one another
 * session has since chained past, and two entries carry the same prev_hash. Migration 050 refuses an append in any
 * transaction that is not READ COMMITTED; and verify counts the entries up to each head an earlier run saw, so that
 * deleting one of a fork's two entries (the rest still links) is found (`log-entries-deleted`).
 */
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const suffix = randomBytes(4).toString('hex');
const password = randomBytes(12).toString('hex');
const clerk = `credit_etl_test_fork_${suffix}`;

const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => MIGRATIONS.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS.find(([candidate]) => candidate === name)![1],
};

const opening = (recordId: number): NewObjection => ({
  recordId,
  applicant: '济南示例有限公司',
  reason: '处罚已撤销',
  receivedOn: '2026-11-02',
  dueOn: '2026-11-05',
  channel: 'platform',
  operator: '张科员',
});

const NOTE = `INSERT INTO objection_log (objection_id, action, stage, note, operator, hash)
              VALUES ($1, 'note', 'open', $2, 'rev', '') RETURNING id`;
const WITHDRAW = `SELECT procedure_withdraw($1, '鲁信用办函〔2026〕32号', '重复记录', '张科员') AS id`;

/** A warehouse with penalties (xzcf) and, for a procedure on a record of another catalog, enforcements (xzqz). */
async function setUp(
  label: string,
): Promise<{ fx: WarehouseFixture; records: number[]; enforcements: number[] }> {
  const fx = await openWarehouseFixture(label);
  await fx.ingest([writeRows(fx.scratch, 'f1.csv', basePenalties(5, 2050))], {
    receivedAt: at('2026-11-02'),
  });
  await fx.ingest([fixturePath('xzqz', 'basic', 'input.csv')], {
    catalog: 'xzqz',
    receivedAt: at('2026-11-02'),
  });
  const of = async (catalog: string) =>
    (await fx.warehouse('records').where({ catalog_code: catalog }).orderBy('id').pluck('id')) as number[];
  return { fx, records: await of('xzcf'), enforcements: await of('xzqz') };
}

describe('a hash-chained log is appended only READ COMMITTED (050)', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  let records: number[];
  let enforcements: number[];
  const sessions: pg.Client[] = [];
  /** An officer's session as the review's reproduction has it: the officer login, SET ROLE credit_etl_officer. */
  const officer = async (): Promise<pg.Client> => {
    const url = new URL(fx.url);
    url.username = clerk;
    url.password = password;
    const client = new pg.Client({ connectionString: url.toString() });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('SET ROLE credit_etl_officer');
    sessions.push(client);
    return client;
  };

  beforeAll(async () => {
    ({ fx, records, enforcements } = await setUp('log_chain_isolation'));
    await fx.owner.raw(`CREATE ROLE ${clerk} LOGIN PASSWORD '${password}' IN ROLE credit_etl_officer`);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(sessions.map((session) => session.end().catch(() => undefined)));
    await fx?.owner.raw(`DROP ROLE IF EXISTS ${clerk}`).catch(() => undefined);
    await fx?.close();
  });

  it('refuses an objection step in a REPEATABLE READ or SERIALIZABLE transaction: the log is not forked', async () => {
    const first = await asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(records[0]!)));
    const second = await asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(records[1]!)));
    for (const level of ['REPEATABLE READ', 'SERIALIZABLE']) {
      const [a, b] = [await officer(), await officer()];
      await a.query(`BEGIN ISOLATION LEVEL ${level}`);
      await a.query('SELECT count(*) FROM objection_log'); // the snapshot is taken
      await b.query(NOTE, [second, 'b']);
      const refused = await a
        .query(NOTE, [first, 'a'])
        .then(() => a.query('COMMIT'))
        .catch((error: Error) => error)
        .finally(() => a.query('ROLLBACK'));
      expect(refused, level).toBeInstanceOf(Error);
      expect((refused as Error).message).toMatch(
        new RegExp(
          `objection_log is hash-chained: append to it only in a READ COMMITTED transaction \\(this one is ${level}\\)`,
        ),
      );
      expect((refused as { code?: string }).code).toBe('25000');
    }
    expect(await verifyObjectionLog(fx.warehouse)).toEqual([]);
    const forks = await fx.owner.raw(
      'SELECT prev_hash FROM objection_log GROUP BY prev_hash HAVING count(*) > 1',
    );
    expect(forks.rows).toEqual([]);
  });

  it('refuses a legal procedure in a REPEATABLE READ transaction (records of two catalogs: nothing else conflicts)', async () => {
    const [a, b] = [await officer(), await officer()];
    await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await a.query('SELECT count(*) FROM procedure_log');
    await b.query(WITHDRAW, [records[2]]);
    const refused = await a
      .query(WITHDRAW, [enforcements[0]])
      .then(() => a.query('COMMIT'))
      .catch((error: Error) => error)
      .finally(() => a.query('ROLLBACK'));
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(
      /procedure_log is hash-chained: append to it only in a READ COMMITTED transaction \(this one is REPEATABLE READ\)/,
    );
    expect(await verifyProcedureLog(fx.warehouse)).toEqual([]);
    expect((await fx.warehouse('records').where({ id: enforcements[0] }).first()).status).toBe('current');
  });

  it('chains the same interleaving READ COMMITTED to the newest entry: the engine’s way, unchanged', async () => {
    const objection = await asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(records[3]!)));
    const [a, b] = [await officer(), await officer()];
    await a.query('BEGIN'); // READ COMMITTED, the server's default
    await a.query('SELECT count(*) FROM objection_log');
    const other = await b.query(NOTE, [objection, 'b']);
    const own = await a.query(NOTE, [objection, 'a']);
    await a.query('COMMIT');
    const [before, after] = await fx
      .owner('objection_log')
      .whereIn('id', [other.rows[0].id, own.rows[0].id])
      .orderBy('id')
      .select('id', 'hash', 'prev_hash');
    expect(after.prev_hash).toBe(before.hash);
    await b.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    await b.query(WITHDRAW, [records[4]]);
    await b.query('COMMIT');
    expect(await verifyObjectionLog(fx.warehouse)).toEqual([]);
    expect(await verifyProcedureLog(fx.warehouse)).toEqual([]);
  });
});

describe('verify counts the entries up to each head an earlier run saw (a fork cut back still links)', () => {
  let fx: WarehouseFixture;
  let records: number[];

  beforeAll(async () => {
    ({ fx, records } = await setUp('log_entries_deleted'));
  }, 120_000);
  afterAll(async () => fx?.close());

  it('names entries deleted before that head: log-entries-deleted on every run, on top of the chain’s own findings', async () => {
    // A fork as it was made before 050: migration 050 taken down for it, put back after.
    await fx.owner.migrate.down({ migrationSource, name: '050-log-chains-read-committed' });
    const first = await asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(records[0]!)));
    const second = await asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(records[1]!)));
    const [a, b] = [new pg.Client({ connectionString: fx.url }), new pg.Client({ connectionString: fx.url })];
    await Promise.all([a.connect(), b.connect()]);
    let forked: { b: number; a: number };
    try {
      await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await a.query('SELECT count(*) FROM objection_log');
      const inB = await b.query(NOTE, [second, 'b']);
      const inA = await a.query(NOTE, [first, 'a']);
      await a.query('COMMIT');
      forked = { b: Number(inB.rows[0].id), a: Number(inA.rows[0].id) };
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
    await fx.owner.migrate.up({ migrationSource, name: '050-log-chains-read-committed' });
    const prev = await fx.owner('objection_log').whereIn('id', [forked.a, forked.b]).pluck('prev_hash');
    expect(new Set(prev).size).toBe(1);

    const logFile = path.join(fx.scratch, 'verify.log');
    const logger = createLogger({ logFile, console: false });
    const seen = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect(seen.records.map((finding) => finding.problem)).toEqual(['objection-log-broken-link']);
    expect(seen.counts.logHeads?.objection_log).toMatchObject({ id: forked.a, entries: 4 });

    // The superuser deletes the fork's first entry (triggers off): what is left links, the head is still there.
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw('DELETE FROM objection_log WHERE id = ?', [forked.b]);
    });
    expect(await verifyObjectionLog(fx.warehouse)).toEqual([]);
    const cut = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect(cut.status).toBe('failed');
    expect(cut.records).toEqual([
      {
        recordId: null,
        catalogCode: null,
        businessKey: null,
        versionNo: null,
        problem: 'log-entries-deleted',
        detail: expect.stringContaining(
          `objection_log holds 3 entries up to #${forked.a}, the newest verify run ${seen.runId} saw, which counted 4: 1 deleted`,
        ),
      },
    ]);
    // Found again on the next run: it checks against every head an earlier run saw, not the last run's alone.
    const again = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect([again.status, again.records]).toEqual(['failed', cut.records]);
    await logger.close();
  });
});
