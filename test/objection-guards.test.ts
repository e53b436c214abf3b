import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { deadlineAfter } from '../src/calendar/provisional-deadline.ts';
import { createLogger } from '../src/log/logger.ts';
import { closeObjection, ObjectionRefused } from '../src/objections/objection-workflow.ts';
import { checkOverdueObjections } from '../src/objections/overdue-objections.ts';
import {
  recordVerificationAnswer,
  sendVerificationNotice,
  VerificationRefused,
} from '../src/objections/verification.ts';
import { correctRecord, type Grounds } from '../src/procedures/legal-procedures.ts';
import { connectWarehouse, type Warehouse } from '../src/warehouse/connect-warehouse.ts';
import {
  appendObjectionStep,
  asOfficer,
  insertObjection,
  type NewObjection,
  type NewObjectionStep,
} from '../src/warehouse/objection-log-repository.ts';
import { objectionRows } from '../src/warehouse/objections-repository.ts';
import { callProcedure } from '../src/warehouse/procedure-log-repository.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M'; // 山东省 in config/providers.json
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const GROUNDS: Grounds = { basis: '鲁信用办函〔2026〕32号', reason: '异议核查', operator: '张科员' };

/**
 * Migration 032 and the objection commands' guards: who may decide an objection (by privilege, whoever
 * connects), which procedure may carry out its result, and the dates and messages the officer is given.
 */
describe('objection guards (032-objection-guards.ts)', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  let records: number[];
  const suffix = randomBytes(4).toString('hex');
  const password = randomBytes(12).toString('hex');
  const nightly = `credit_etl_test_nightly_${suffix}`;
  const clerk = `credit_etl_test_clerk_${suffix}`;
  const logins: Warehouse[] = [];
  /** A session of a login role as it connects, without the SET ROLE the engine and the CLI take. */
  const loginAs = (user: string): Warehouse => {
    const url = new URL(fx.url);
    url.username = user;
    url.password = password;
    const login = connectWarehouse(url.toString(), { poolSize: 1, role: null });
    logins.push(login);
    return login;
  };
  const opening = (recordId: number, channel: NewObjection['channel'] = 'platform'): NewObjection => ({
    recordId,
    applicant: '济南示例有限公司',
    reason: '处罚已撤销',
    receivedOn: '2026-11-02',
    dueOn: '2026-11-05',
    channel,
    operator: '张科员',
  });
  const open = (recordId: number) =>
    asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(recordId)));
  const step = (objectionId: number, taken: Partial<NewObjectionStep> = {}) =>
    asOfficer(fx.warehouse, (trx) =>
      appendObjectionStep(trx, objectionId, {
        action: 'close',
        result: 'upheld',
        basis: '鲁信用办函〔2026〕32号',
        operator: '张科员',
        ...taken,
      }),
    );
  const correct = async (recordId: number, remark: string) =>
    (await correctRecord(fx.warehouse, fx.catalog, recordId, [`备注=${remark}`], GROUNDS)).procedureId;

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_guards');
    await fx.ingest([writeRows(fx.scratch, 'g1.csv', basePenalties(9, 1632))], {
      receivedAt: at('2026-11-02'),
      provider: PROVINCE,
    });
    records = (await fx.warehouse('records').orderBy('id').pluck('id')) as number[];
    expect(records).toHaveLength(9);
    // docs/warehouse.md's engine login: a member of the loader that has not (yet) taken the role.
    await fx.owner.raw(`CREATE ROLE ${nightly} LOGIN PASSWORD '${password}' IN ROLE credit_etl_loader`);
    await fx.owner.raw(`CREATE ROLE ${clerk} LOGIN PASSWORD '${password}' IN ROLE credit_etl_officer`);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(logins.map((login) => login.destroy()));
    for (const role of [nightly, clerk])
      await fx?.owner.raw(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await fx?.close();
  });

  it('a login that is only a member of the loader opens a provider objection, never more; an officer login decides', async () => {
    const engine = loginAs(nightly);
    const [a, b] = records as [number, number];
    await expect(insertObjection(engine, opening(a, 'platform'))).rejects.toThrow(
      /only open an objection a provider reported/,
    );
    const provided = await insertObjection(engine, opening(b, 'provider'));
    await expect(
      appendObjectionStep(engine, provided, {
        action: 'close',
        result: 'rejected',
        basis: 'x',
        operator: 'y',
      }),
    ).rejects.toThrow(/an officer decides it/);
    await expect(
      appendObjectionStep(engine, provided, { action: 'note', note: 'x', operator: 'y' }),
    ).rejects.toThrow(/an officer decides it/);

    const officer = loginAs(clerk);
    await appendObjectionStep(officer, provided, {
      action: 'close',
      result: 'rejected',
      basis: '鲁信用办函〔2026〕1号',
      operator: '张科员',
    });
    const platform = await insertObjection(officer, opening(a, 'platform'));
    const steps = await fx
      .warehouse('objection_log')
      .orderBy('id')
      .select('objection_id', 'action', 'db_user');
    expect(steps).toEqual([
      { objection_id: provided, action: 'open', db_user: nightly },
      { objection_id: provided, action: 'close', db_user: clerk },
      { objection_id: platform, action: 'open', db_user: clerk },
    ]);
  });

  it('an upheld result cites no procedure run before its objection was opened', async () => {
    const [, , c] = records as [number, number, number];
    const before = await correct(c, '异议前的更正');
    const objection = await open(c);
    await expect(step(objection, { procedureId: before })).rejects.toThrow(
      new RegExp(`程序 #${before} 办理于 .*，早于异议 ${objection} 的登记（.*）：它不是该异议结果的办理`),
    );
  });

  it('an upheld result cites a procedure that changes the record, not a credit repair', async () => {
    const [, , , d] = records as [number, number, number, number];
    const objection = await open(d);
    const repair = await callProcedure(fx.warehouse, 'credit_etl_officer', 'procedure_repair', [
      d,
      JSON.stringify({ state: 'disclosed', repairableFrom: '2026-01-01', label: '公示中' }),
      GROUNDS.basis,
      GROUNDS.reason,
      GROUNDS.operator,
    ]);
    await expect(step(objection, { procedureId: repair })).rejects.toThrow(
      new RegExp(`程序 #${repair} 是信用修复，不改变记录的内容或状态`),
    );
  });

  it('one procedure carries out one result: two objections on a record cannot cite the same correction', async () => {
    const [, , , , e] = records as [number, number, number, number, number];
    const first = await open(e);
    const second = await open(e);
    const correction = await correct(e, '异议成立，更正');
    await step(first, { procedureId: correction });
    await expect(step(second, { procedureId: correction })).rejects.toThrow(
      new RegExp(`程序 #${correction} 已办理异议 ${first} 的核查结果`),
    );
  });

  it('a later stage may cite a procedure run after the objection was registered, before that stage opened (038)', async () => {
    // The check rejected, the record corrected before the appeal: the appeal upheld is carried out by that
    // correction (the record is right already, so no other could be run), once.
    const [, , c] = records as [number, number, number];
    const objection = await open(c);
    await step(objection, { result: 'rejected' });
    const betweenStages = await correct(c, '核查办结后的更正');
    await step(objection, { action: 'appeal', stage: 'appeal', result: undefined });
    await step(objection, {
      action: 'outcome',
      stage: 'appeal',
      result: 'partly',
      procedureId: betweenStages,
    });
    const cited = await fx
      .warehouse('objection_log')
      .where('objection_id', objection)
      .whereNotNull('procedure_id');
    expect(cited.map((row: { procedure_id: number }) => row.procedure_id)).toEqual([betweenStages]);
    await step(objection, { action: 'appeal', stage: 'review', result: undefined });
    await expect(
      step(objection, { action: 'outcome', stage: 'review', result: 'upheld', procedureId: betweenStages }),
    ).rejects.toThrow(
      `程序 #${betweenStages} 已办理异议 ${objection} 的申诉结果：一个程序只办理该异议的一个结果`,
    );
  });

  it('closing an objection in its appeal names the check result and the stage', async () => {
    const [, , , , , f] = records as [number, number, number, number, number, number];
    const objection = await open(f);
    await step(objection, { result: 'rejected' });
    await step(objection, { action: 'appeal', stage: 'appeal', result: undefined });
    const again = step(objection, { result: 'rejected' });
    await expect(again).rejects.toThrow(
      `异议 ${objection} 的核查已办结（异议不成立），不能再次办结：现在申诉阶段处理中，该阶段的结果用 objection outcome 登记`,
    );
    await expect(again).rejects.not.toThrow(/NULL/);
  });

  it("a procedure's refusal inside objection close is the database's message, not the SQL", async () => {
    const [, , , , , , g] = records as number[];
    const objection = await open(g!);
    const decided = closeObjection(fx.warehouse, fx.catalog, objection, {
      result: 'upheld',
      basis: GROUNDS.basis,
      note: '经核查，错误归集',
      operator: GROUNDS.operator,
      remedy: { kind: 'supersede', byRecordId: g! },
    });
    await expect(decided).rejects.toThrow(ObjectionRefused);
    await expect(decided).rejects.toThrow(new RegExp(`^记录 ${g} 不能取代它自己$`));
  });

  it('refuses a notice issued, or an answer given, on a day not yet come', async () => {
    const [, , , , , , , h] = records as number[];
    const [objection] = await objectionRows(fx.warehouse, { id: await open(h!) });
    const request = { operator: '张科员' };
    await expect(
      sendVerificationNotice(fx.warehouse, objection!, { ...request, issuedOn: '2026-11-04' }, '2026-11-03'),
    ).rejects.toThrow(
      new VerificationRefused(
        '核实通知的发出日期 2026-11-04 晚于今天 2026-11-03（Asia/Shanghai）：请填写实际发出的日期 (--issued-on is in the future: give the day the notice goes out)',
      ),
    );
    await sendVerificationNotice(
      fx.warehouse,
      objection!,
      { ...request, issuedOn: '2026-11-03' },
      '2026-11-03',
    );
    const answer = { answer: 'confirmed', basis: '鲁市监函〔2026〕9号', operator: '张科员' } as const;
    await expect(
      recordVerificationAnswer(
        fx.warehouse,
        objection!,
        { ...answer, answeredOn: '2026-11-05' },
        '2026-11-04',
      ),
    ).rejects.toThrow(/答复日期 2026-11-05 晚于今天 2026-11-04/);
    await recordVerificationAnswer(
      fx.warehouse,
      objection!,
      { ...answer, answeredOn: '2026-11-04' },
      '2026-11-04',
    );
  });

  it('objection check as of a past day counts only the objections received by then, as they stood that day', async () => {
    const logger = createLogger({ logFile: path.join(fx.scratch, 'check.log'), console: false });
    const all = await objectionRows(fx.warehouse);
    const awaitingNow = all.filter((objection) => objection.inProgress && objection.stage === 'open').length;
    // Every step after the opening was performed today, long after 2026-11-02: that day, each was awaiting its check.
    const receivedBy = all.filter((objection) => objection.receivedOn <= '2026-11-02').length;
    expect(receivedBy).toBeGreaterThan(awaitingNow);
    expect((await checkOverdueObjections(fx.warehouse, '2026-11-01', logger)).checking).toBe(0);
    expect((await checkOverdueObjections(fx.warehouse, '2026-11-02', logger)).checking).toBe(receivedBy);
    expect((await checkOverdueObjections(fx.warehouse, todayInShanghai(), logger)).checking).toBe(
      awaitingNow,
    );
  });

  it('subject shows the mark of a withdrawn record whose objection is in its appeal, as record does', async () => {
    const recordId = records[8]!;
    const objection = await open(recordId);
    await closeObjection(fx.warehouse, fx.catalog, objection, {
      result: 'upheld',
      basis: GROUNDS.basis,
      note: '经核查，异议成立',
      operator: GROUNDS.operator,
      remedy: { kind: 'withdraw' },
    });
    await step(objection, { action: 'appeal', stage: 'appeal', result: undefined });
    const [subject] = await fx.warehouse('records').where('id', recordId).pluck('subject_code');
    const env = { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') };
    const json = await runCli(['subject', subject as string, '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const retired = JSON.parse(json.stdout).retired as Array<{ recordId: number; objection: unknown }>;
    expect(retired.find((record) => record.recordId === recordId)).toMatchObject({
      status: 'withdrawn',
      objection: {
        objectionId: objection,
        stage: 'appeal',
        dueOn: '2026-11-05',
        stageSince: todayInShanghai(),
      },
    });
    const text = await runCli(['subject', subject as string], env);
    // The check, due 2026-11-05, is finished: the appeal shows since when it runs, not that day as a deadline.
    expect(text.stdout).toContain(`异议处理中 #${objection} (appeal since ${todayInShanghai()})`);
    expect(text.stdout).not.toContain('due 2026-11-05');
  });

  it('objection notify with a provisional deadline says it stays as issued, not that a recompute sets it', async () => {
    // Working days enough to reach a year the holiday calendar does not have yet.
    const workingDays = 3000;
    expect(deadlineAfter(todayInShanghai(), workingDays).provisional).toBe(true);
    const objection = await open(records[7]!);
    const result = await runCli(
      [
        'objection',
        'notify',
        String(objection),
        '--working-days',
        String(workingDays),
        '--out',
        path.join(fx.scratch, 'notice.xlsx'),
      ],
      { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      'it stays as issued (`calendar recompute` does not change a verification notice)',
    );
    expect(result.stdout).not.toContain('sets it');
  });
});
