import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// docs/warehouse.md "Database roles": one LOGIN user per duty, set up exactly as the docs say (a member of one
// role, nothing else), each running the real CLI. A command acts as the role of its duty, and a login that lacks
// it is told the GRANT to run (exit 2), without a stack trace.

const suffix = randomBytes(4).toString('hex');
const LOGINS = {
  officer: `credit_etl_test_zhang_san_${suffix}`,
  loader: `credit_etl_test_nightly_${suffix}`,
  reader: `credit_etl_test_auditor_${suffix}`,
} as const;
type Duty = keyof typeof LOGINS;

const GROUNDS = ['--basis', '鲁信用办函〔2026〕21号', '--reason', '提供单位书面确认原数据有误'];
const OPEN = [
  '--applicant',
  '济南异议示例有限公司',
  '--reason',
  '处罚决定已被撤销',
  '--received-at',
  '2026-11-02',
];

describe('a LOGIN user per duty runs the commands of its duty, and only those', () => {
  let fx: WarehouseFixture;
  let records: number[];
  const as = (duty: Duty, args: string[]) => {
    const url = new URL(fx.url);
    url.username = LOGINS[duty];
    url.password = '';
    return runCli(args, {
      DATABASE_URL: url.toString(),
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    });
  };
  /** Refused as configuration: exit 2, the one line saying what to run, no stack trace or knex warning. */
  const expectRefused = (result: { code: number | null; stderr: string }, grant: string) => {
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(grant);
    expect(result.stderr).not.toMatch(/\n\s+at |knex:|failed:/);
  };
  const count = async (table: string) =>
    (await fx.owner.raw(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;

  beforeAll(async () => {
    fx = await openWarehouseFixture('login_per_duty');
    // Loaded by the engine's code without the CLI: the catalog is not recorded in the warehouse yet.
    const rows = basePenalties(3, 2121).map((row) => edit(row, { 处罚决定日期: '2026-01-02' }));
    await fx.ingest([writeRows(fx.scratch, 'd1.csv', rows)]);
    records = await fx.owner('records').orderBy('id').pluck('id');
    for (const [duty, login] of Object.entries(LOGINS))
      await fx.owner.raw(`CREATE ROLE ${login} LOGIN IN ROLE credit_etl_${duty}`);
  });
  afterAll(async () => {
    // Before the fixture closes its connections: roles are the server's, and one left behind outlives the test.
    for (const login of Object.values(LOGINS))
      await fx?.owner.raw(`DROP ROLE IF EXISTS ${login}`).catch(() => undefined);
    await fx?.close();
  });

  it('an officer-only login registers an objection and corrects a record; the logs name it', async () => {
    const [first, second] = records as [number, number];
    // A correction validated by an entry the warehouse has not recorded is refused until the engine records it.
    const early = await as('officer', [
      'procedure',
      'correct',
      String(second),
      '--set',
      '处罚内容=罚款人民币三千元',
      ...GROUNDS,
    ]);
    expect(early.code, early.stderr).toBe(2);
    expect(early.stderr).toContain('目录条目 xzcf v');
    expect(early.stderr).toContain('is not recorded in the warehouse yet');
    expect(await count('procedure_log')).toBe(0);
    const engine = await as('loader', ['runs', 'list']);
    expect(engine.code, engine.stderr).toBe(0);

    const opened = await as('officer', ['objection', 'open', String(first), ...OPEN, '--json']);
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stderr).not.toContain('knex');
    const objection = JSON.parse(opened.stdout);
    expect(objection).toMatchObject({ recordId: first, inProgress: true });
    const corrected = await as('officer', [
      'procedure',
      'correct',
      String(second),
      '--set',
      '处罚内容=罚款人民币三千元',
      ...GROUNDS,
      '--json',
    ]);
    expect(corrected.code, corrected.stderr).toBe(0);
    expect(JSON.parse(corrected.stdout)).toMatchObject({ kind: 'correct', recordId: second });
    expect(await fx.owner('procedure_log').select('kind', 'record_id', 'db_user')).toEqual([
      { kind: 'correct', record_id: second, db_user: LOGINS.officer },
    ]);
    expect(await fx.owner('objection_log').where({ objection_id: objection.id }).pluck('db_user')).toEqual([
      LOGINS.officer,
    ]);
  }, 120_000);

  it('an officer-only login running the engine (ingest) is told to GRANT credit_etl_loader, exit 2', async () => {
    const file = writeRows(fx.scratch, 'officer.csv', basePenalties(2, 2122));
    const runs = await count('runs');
    const result = await as('officer', [
      'ingest',
      file,
      '--catalog',
      'xzcf',
      '--provider',
      '11370000MB2852362M',
      '--level',
      'province',
    ]);
    expectRefused(result, `GRANT credit_etl_loader TO "${LOGINS.officer}";`);
    expect(await count('runs')).toBe(runs);
  }, 60_000);

  it("the engine's loader-only login registering an objection is told to GRANT credit_etl_officer, exit 2", async () => {
    const objections = await count('objections');
    const result = await as('loader', ['objection', 'open', String(records[2]), ...OPEN]);
    expectRefused(result, `GRANT credit_etl_officer TO "${LOGINS.loader}";`);
    expect(result.stderr).toContain('不能办理法定程序和异议');
    expect(await count('objections')).toBe(objections);
  }, 60_000);

  it('a reader-only login reads (runs, record, objections, procedure log) and may not act as an officer', async () => {
    for (const args of [
      ['runs', 'list'],
      ['record', String(records[1])],
      ['objection', 'list'],
      ['procedure', 'log'],
    ]) {
      const result = await as('reader', args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    }
    expectRefused(
      await as('reader', ['repair', String(records[0]), ...GROUNDS]),
      `GRANT credit_etl_officer TO "${LOGINS.reader}";`,
    );
  }, 120_000);
});
