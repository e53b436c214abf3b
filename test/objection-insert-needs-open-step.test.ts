import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { verifyObjectionLog } from '../src/warehouse/objection-log-chain.ts';
import { fromSourceCli } from './support/fixture-cli.ts';
import { LEGACY_HEADER, statusRow } from './support/legacy-status-rows.ts';
import { whileMigrationDown } from './support/migration-source.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * Review finding: `SET ROLE credit_etl_officer; INSERT INTO objections (…, created_at) VALUES (…, '2099-01-01')` was
 * taken, as it was from the engine's role: an objection with no open step in objection_log, which `objection list`,
 * `record` and `verify` did not show but `alreadyRaised()` counted as in progress, so every later 异议 a provider
 * sent for the record was dropped; and its `created_at` was the writer's. Migration 058: the database stamps
 * `created_at`, and an objection commits only with its open step (a deferred check at commit).
 */
const PROVINCE = '11370000MB2852362M';
const LOOKUPS = { authorityCodes: { 济南市市场监督管理局: '1137010000010001XF' } };
const MIGRATION = '058-objection-opened-with-its-step';
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const BARE = `INSERT INTO objections (record_id, catalog_code, channel, provider_code, applicant, reason, received_on,
                                     due_on, created_at)
              VALUES ($1, 'xzcf', 'provider', '${PROVINCE}', '甲', '乙', '2026-12-07', '2026-12-10', '2099-01-01')
              RETURNING id`;
const OPEN_STEP = `INSERT INTO objection_log (objection_id, action, operator, stage, db_user, hash)
                   VALUES ($1, 'open', '张科员', 'open', '', '')`;
const refusal = (id: number) =>
  `objection ${id} has no open step in objection_log: an objection is registered with its open step in the same transaction`;

describe('an objection is registered with its open step, at the database’s time (058)', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  let records: number[];
  const sessions: pg.Client[] = [];
  /** A session of the test's login (a superuser) acting as `role`, as the review's reproduction has it. */
  const as = async (role: 'credit_etl_officer' | 'credit_etl_loader'): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: fx.url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query(`SET ROLE ${role}`);
    sessions.push(client);
    return client;
  };
  const deliver = async (name: string, number: number, status: string) => {
    const file = path.join(fx.scratch, name);
    writeFileSync(file, toCsv(LEGACY_HEADER, [statusRow(3, number, status)]));
    return fx.ingest([file], { provider: PROVINCE, receivedAt: at('2026-12-01'), lookups: LOOKUPS });
  };
  const objectionsOn = (recordId: number) =>
    fx.owner('objections').where({ record_id: recordId }).select('*');
  const cli = fromSourceCli(() => fx);

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_insert_needs_open_step');
    for (const [i, number] of [5801, 5802, 5803, 5804, 5805, 5806].entries())
      await deliver(`first-${i}.csv`, number, '正常');
    records = (await fx.owner('records').orderBy('id').pluck('id')) as number[];
    expect(records).toHaveLength(6);
  }, 200_000);
  afterAll(async () => {
    await Promise.all(sessions.map((session) => session.end().catch(() => undefined)));
    await fx?.close();
  });

  it('refuses a bare INSERT at commit, as the officer and as the engine, naming the objection', async () => {
    for (const [role, recordId] of [
      ['credit_etl_officer', records[0]!],
      ['credit_etl_loader', records[1]!],
    ] as const) {
      const session = await as(role);
      // As the review ran it: one statement, its own transaction.
      const alone = await session.query(BARE, [recordId]).catch((error: Error) => error);
      expect(alone, role).toBeInstanceOf(Error);
      expect((alone as Error).message).toContain('/ 异议 ');
      expect((alone as { code?: string }).code).toBe('23514');
      // In a transaction: the INSERT passes, the commit is refused.
      await session.query('BEGIN');
      const { rows } = await session.query<{ id: string }>(BARE, [recordId]);
      const id = Number(rows[0]!.id);
      const committed = await session.query('COMMIT').catch((error: Error) => error);
      expect(committed, role).toBeInstanceOf(Error);
      expect((committed as Error).message).toContain(refusal(id));
      expect((committed as Error).message).toContain(`异议 ${id} 没有登记步骤`);
      expect(await objectionsOn(recordId), role).toEqual([]);
    }
    // The record takes a provider's 异议 afterwards: nothing stands in progress without being registered.
    const summary = await deliver('objected.csv', 5802, '异议');
    expect(summary.files[0]!.providerObjections).toEqual({ opened: 1, known: 0 });
    const [opened] = await objectionsOn(records[1]!);
    expect(await fx.owner('objection_log').where({ objection_id: opened.id }).pluck('action')).toEqual([
      'open',
    ]);
    expect(await verifyObjectionLog(fx.warehouse)).toEqual([]);
  });

  it('stamps created_at with the transaction’s time: a 2099 of the writer’s is not kept', async () => {
    const session = await as('credit_etl_officer');
    await session.query('BEGIN');
    const { rows } = await session.query<{ id: string }>(BARE, [records[2]!]);
    const id = Number(rows[0]!.id);
    await session.query(OPEN_STEP, [id]);
    const now = (await session.query<{ now: Date }>('SELECT now()')).rows[0]!.now;
    await session.query('COMMIT');
    const [stored] = await objectionsOn(records[2]!);
    expect(Number(stored.id)).toBe(id);
    expect(stored.created_at.getTime()).toBe(now.getTime());
    expect(await verifyObjectionLog(fx.warehouse)).toEqual([]);
  });

  it('`objection open` and a provider’s 异议 row open an objection as before', async () => {
    const opened = await cli([
      ...[
        'objection',
        'open',
        String(records[3]!),
        '--applicant',
        '济南示例有限公司',
        '--reason',
        '处罚已撤销',
      ],
      ...['--received-at', '2026-12-07', '--operator', '张科员', '--json'],
    ]);
    expect(opened.code, opened.stderr).toBe(0);
    const id = JSON.parse(opened.stdout).id as number;
    const delivered = await deliver('objected-2.csv', 5805, '异议');
    expect(delivered.files[0]!.providerObjections).toEqual({ opened: 1, known: 0 });
    const listed = await cli(['objection', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const shown = JSON.parse(listed.stdout) as { id: number; recordId: number }[];
    expect(shown.map((objection) => objection.recordId)).toEqual(
      expect.arrayContaining([records[3]!, records[4]!]),
    );
    expect(shown.map((objection) => objection.id)).toContain(id);
    expect(await verifyObjectionLog(fx.warehouse)).toEqual([]);
  });

  it('down restores the previous state exactly (the bare INSERT goes through); up closes it again', async () => {
    const triggers = async () =>
      (
        await fx.owner.raw<{ rows: { tgname: string }[] }>(
          `SELECT tgname FROM pg_trigger WHERE tgrelid = 'objections'::regclass AND NOT tgisinternal ORDER BY tgname`,
        )
      ).rows.map((row) => row.tgname);
    const functions = async () =>
      (
        await fx.owner.raw<{ rows: { proname: string }[] }>(
          `SELECT proname FROM pg_proc WHERE proname IN ('objections_stamp', 'objection_opened_with_its_step')
           ORDER BY proname`,
        )
      ).rows.map((row) => row.proname);
    expect(await triggers()).toEqual([
      'objection_opened_with_its_step',
      'objections_no_truncate',
      'objections_stamp',
      'objections_write',
    ]);
    await whileMigrationDown(fx.owner, MIGRATION, async () => {
      expect(await triggers()).toEqual(['objections_no_truncate', 'objections_write']);
      expect(await functions()).toEqual([]);
      const session = await as('credit_etl_officer');
      await session.query(BARE, [records[5]!]);
      const [kept] = await objectionsOn(records[5]!);
      expect(kept.created_at.getTime()).toBeGreaterThan(Date.parse('2098-12-31T00:00:00Z'));
    });
    expect(await functions()).toEqual(['objection_opened_with_its_step', 'objections_stamp']);
    const session = await as('credit_etl_loader');
    await expect(session.query(BARE, [records[5]!])).rejects.toThrow(/has no open step in objection_log/);
    expect(await objectionsOn(records[5]!)).toHaveLength(1);
  });
});
