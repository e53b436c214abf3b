import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { createLogger } from '../src/log/logger.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { verifyObjectionLog } from '../src/warehouse/objection-log-chain.ts';
import { fixtureCli } from './support/fixture-cli.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli, startCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const SUBJECT = makeUscc('91', '370102', 3_160_001);
const OTHER = makeUscc('91', '370102', 3_160_002);
const USCC = '行政相对人代码_1(统一社会信用代码)';
const DECISION = '行政处罚决定书文号';
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
/** A resident ID number with a valid check character (shown masked everywhere). */
const APPLICANT_ID = '11010519491231002X';

/**
 * Objections (异议, Art. 18) through the real CLI on real PostgreSQL. Each test registers objections on its own
 * records, so the tests read in any order.
 */
describe('objections (Art. 18) through the CLI', { timeout: 600_000 }, () => {
  let fx: WarehouseFixture;
  // Legal persons only: a natural person's row carries no USCC (its subject is an ID number).
  const rows = basePenalties(30, 1616).filter((row) => row.行政相对人类别 !== '自然人');
  const penalty = (i: number, subject: string) =>
    edit(rows[i] as PenaltyRow, {
      [USCC]: subject,
      行政相对人名称: subject === SUBJECT ? '济南异议示例有限公司' : '济南另一示例有限公司',
      [DECISION]: `鲁济市监罚〔2026〕16${String(i).padStart(2, '0')}号`,
      // Decided before every receipt below: an objection is not received before its decision.
      处罚决定日期: '2026-01-02',
    });
  const decision = (i: number) => `鲁济市监罚〔2026〕16${String(i).padStart(2, '0')}号`;
  const { cli, json } = fixtureCli(() => fx);
  const recordOf = async (i: number): Promise<number> => (await json(['record', decision(i)])).id as number;
  const open = async (i: number, receivedAt: string, more: string[] = []) =>
    json([
      'objection',
      'open',
      decision(i),
      '--applicant',
      '济南异议示例有限公司',
      '--reason',
      '处罚决定已被复议机关撤销',
      '--received-at',
      receivedAt,
      '--operator',
      '李科员',
      ...more,
    ]);
  const decide = (command: 'close' | 'outcome', id: number, args: string[]) =>
    cli([
      'objection',
      command,
      String(id),
      '--note',
      '经核查，已告知信息主体',
      '--basis',
      '鲁信用办函〔2026〕16号',
      '--operator',
      '李科员',
      ...args,
    ]);

  beforeAll(async () => {
    fx = await openWarehouseFixture('objections');
    await fx.ingest(
      [
        writeRows(fx.scratch, 'p1.csv', [
          ...[0, 1, 2, 3, 4, 5].map((i) => penalty(i, SUBJECT)),
          ...[6, 7, 8].map((i) => penalty(i, OTHER)),
        ]),
      ],
      { receivedAt: at('2026-01-05') },
    );
  }, 120_000);
  afterAll(async () => fx?.close());

  it('received on Friday 2026-02-13, before the Spring Festival break, it is due on Wednesday 2026-02-25', async () => {
    // 国务院办公厅关于2026年部分节假日安排的通知: 春节 2月15日至23日放假调休，共9天；2月14日（星期六）、
    // 2月28日（星期六）上班. The day of receipt does not count: Sat 14 (adjusted workday) is day 1, the break
    // 15–23 counts nothing, Tue 24 is day 2, Wed 25 day 3. (Mon–Fri counting would say 2026-02-18; holidays
    // without the adjusted Saturday would say 2026-02-26.)
    const opened = await open(0, '2026-02-13');
    expect(opened).toMatchObject({
      recordId: await recordOf(0),
      receivedOn: '2026-02-13',
      dueOn: '2026-02-25',
      dueProvisional: false,
      stage: 'open',
      inProgress: true,
      channel: 'platform',
      providerCode: '113700000000000000',
    });
    // A receipt on a rest day counts from the next working day: Sun 2026-03-01 → Mon 2, Tue 3, Wed 4.
    expect(await open(1, '2026-03-01')).toMatchObject({ dueOn: '2026-03-04' });
  });

  it('marks the record at once in `record` and `subject`, text and --json', async () => {
    const opened = await open(2, '2026-11-02');
    const recordId = await recordOf(2);
    const mark = {
      objectionId: opened.id,
      stage: 'open',
      receivedOn: '2026-11-02',
      dueOn: '2026-11-05',
      dueProvisional: false,
      stageSince: '2026-11-02',
    };
    expect((await json(['record', String(recordId)])).objection).toEqual(mark);
    const shown = await cli(['record', String(recordId)]);
    expect(shown.stdout).toContain(
      `异议处理中 · objection #${opened.id}, 异议核查 (open), received 2026-11-02, due 2026-11-05`,
    );
    const archive = await json(['subject', SUBJECT]);
    const records = archive.groups.flatMap((group: { records: unknown[] }) => group.records);
    expect(records.find((r: { recordId: number }) => r.recordId === recordId).objection).toEqual(mark);
    expect(records.filter((r: { objection: unknown }) => r.objection === null).length).toBeGreaterThan(0);
    expect((await cli(['subject', SUBJECT])).stdout).toContain(
      `异议处理中 #${opened.id} (open, due 2026-11-05)`,
    );
    expect((await json(['record', decision(6)])).objection).toBeNull();
  });

  it('lists overdue objections and raises them like a failed run (objection check, exit 1)', async () => {
    const opened = await open(3, '2026-02-13');
    const overdueOn = async (asOf: string) =>
      (await json(['objection', 'list', '--overdue', '--as-of', asOf])).map((o: { id: number }) => o.id);
    expect(await overdueOn('2026-02-25')).not.toContain(opened.id); // the due day itself is in time
    expect(await overdueOn('2026-02-26')).toContain(opened.id);
    expect(await json(['objection', 'list', '--provider', '113700000000000001'])).toEqual([]);
    const listed = await cli(['objection', 'list', '--overdue', '--as-of', '2026-02-26']);
    // The state in Chinese, as the other states read (异议处理中 · 暂定期限已过, 办结：…), no English word in it.
    expect(listed.stdout).toMatch(new RegExp(`${opened.id}\\s.*2026-02-25.*异议处理中 · 已逾期`));
    expect(listed.stdout).not.toContain('OVERDUE');

    const check = await cli(['objection', 'check', '--as-of', '2026-02-26']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `#${opened.id} record ${opened.recordId} (xzcf), received 2026-02-13, due 2026-02-25`,
    );
    const run = await fx.warehouse('runs').where({ kind: 'objection-check' }).orderBy('id', 'desc').first();
    expect(run).toMatchObject({
      status: 'failed',
      errors_by_code: { 'objection-overdue': expect.any(Number) },
    });
    expect(run.error).toContain(`#${opened.id} record ${opened.recordId}`);
    const early = await cli(['objection', 'check', '--as-of', '2026-02-13', '--json']);
    expect(early.code).toBe(0);
    expect(JSON.parse(early.stdout)).toMatchObject({ status: 'completed', overdue: [] });
  });

  it('objection check --as-of a day not yet come is refused (exit 2) naming it, and no run is recorded', async () => {
    // A day that has not come cannot be judged: a failed objection-check run of it would stand for good.
    const today = todayInShanghai();
    const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const runs = async () =>
      (await fx.warehouse('runs').where({ kind: 'objection-check' }).select('id')).length;
    const before = await runs();
    for (const json of [[], ['--json']]) {
      const refused = await cli(['objection', 'check', '--as-of', tomorrow, ...json]);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stdout + refused.stderr).toContain(
        `--as-of ${tomorrow}：核查日期 ${tomorrow} 晚于今天 ${today}（Asia/Shanghai）`,
      );
      expect(refused.stdout).not.toContain('objection-check run');
    }
    expect(await runs()).toBe(before);
    // Today is a day already come: judged and recorded (failed or not, as other tests' objections stand).
    const now = await cli(['objection', 'check', '--as-of', today]);
    expect([0, 1], now.stderr).toContain(now.code);
    expect(await runs()).toBe(before + 1);
  });

  it('judges a past day as it stood then: a check closed since was overdue that day', async () => {
    const opened = await open(8, '2026-03-02');
    const dayAfterDue = new Date(Date.parse(`${opened.dueOn}T00:00:00Z`) + 86_400_000)
      .toISOString()
      .slice(0, 10);
    // Closed today, months after its due day: the platform answered late, and a check of that day says so.
    expect((await decide('close', opened.id, ['--result', 'rejected'])).code).toBe(0);
    const ids = (rows: { id: number }[]) => rows.map((row) => row.id);
    expect(ids(await json(['objection', 'list', '--overdue', '--as-of', dayAfterDue]))).toContain(opened.id);
    expect(ids(await json(['objection', 'list', '--overdue']))).not.toContain(opened.id);
    const then = await json(['objection', 'list', '--record', decision(8), '--as-of', dayAfterDue]);
    expect(then).toMatchObject([{ id: opened.id, inProgress: true, stage: 'open', overdue: true }]);
    const now = await json(['objection', 'list', '--record', decision(8)]);
    expect(now).toMatchObject([{ id: opened.id, inProgress: false, lastResult: 'rejected', overdue: false }]);
    // Before its receipt it was not awaited at all.
    expect(await json(['objection', 'list', '--record', decision(8), '--as-of', '2026-03-01'])).toEqual([]);
    const check = await cli(['objection', 'check', '--as-of', dayAfterDue, '--json']);
    expect(check.code).toBe(1);
    expect(ids(JSON.parse(check.stdout).overdue)).toContain(opened.id);
  });

  it('close upheld --withdraw: the record is withdrawn by a legal procedure named in the trail; the mark lifted', async () => {
    const opened = await open(4, '2026-11-02');
    const closed = await decide('close', opened.id, ['--result', 'upheld', '--withdraw', '--json']);
    expect(closed.code, closed.stderr).toBe(0);
    const done = JSON.parse(closed.stdout);
    expect(done.objection).toMatchObject({ inProgress: false, lastResult: 'upheld' });
    const procedureId = done.procedure.procedureId as number;
    const shown = await json(['objection', 'show', String(opened.id)]);
    expect(shown.steps.map((s: { action: string }) => s.action)).toEqual(['open', 'close']);
    expect(shown.steps[1]).toMatchObject({
      result: 'upheld',
      procedureId,
      basis: '鲁信用办函〔2026〕16号',
      note: '经核查，已告知信息主体',
      operator: '李科员',
      dbUser: 'postgres',
    });
    const record = await json(['record', String(opened.recordId)]);
    expect(record).toMatchObject({ status: 'withdrawn', objection: null, retiredBy: { id: procedureId } });
    expect(record.retiredBy.reason).toContain(`异议 #${opened.id} 异议核查结果：异议成立`);
    // A withdrawn record takes no new objection.
    const again = await cli([
      'objection',
      'open',
      String(opened.recordId),
      '--applicant',
      'x',
      '--reason',
      'y',
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('不能对其提出异议');
    // Nor an appeal: the result ended the record, which is no longer current; it is not marked 异议处理中 again.
    const appeal = await cli([
      'objection',
      'appeal',
      String(opened.id),
      '--basis',
      '申诉书',
      '--note',
      '申诉',
    ]);
    expect(appeal.code, appeal.stderr).toBe(2);
    expect(appeal.stderr).toContain(
      `异议 ${opened.id} 的异议成立结果已由程序 #${procedureId} 办理，记录 ${opened.recordId} 已撤销，不再是现行信息`,
    );
    expect(appeal.stderr).toContain('不能进入申诉阶段');
    expect((await json(['record', String(opened.recordId)])).objection).toBeNull();
    expect((await json(['objection', 'show', String(opened.id)])).steps).toHaveLength(2);
  });

  it('an appeal of a rejected check on a record a later procedure withdrew stays open (Art. 18 ¶2)', async () => {
    await fx.ingest([writeRows(fx.scratch, 'p-nine.csv', [penalty(9, SUBJECT)])], { receivedAt: new Date() });
    const opened = await open(9, todayInShanghai());
    expect((await decide('close', opened.id, ['--result', 'rejected'])).code).toBe(0);
    const withdrawn = await cli([
      'procedure',
      'withdraw',
      String(opened.recordId),
      '--basis',
      '鲁济市监复〔2026〕3号',
      '--reason',
      '原处罚决定被撤销',
    ]);
    expect(withdrawn.code, withdrawn.stderr).toBe(0);
    const appeal = await cli([
      'objection',
      'appeal',
      String(opened.id),
      '--basis',
      '申诉书',
      '--note',
      '申诉',
    ]);
    expect(appeal.code, appeal.stderr).toBe(0);
  });

  it('an objection received before its record came into the platform (its first load day) is registered with a warning', async () => {
    // Delivered today (the database's clock), decided long before: a receipt on 2026-09-30 is after the decision
    // but before the platform had the record (an objection migrated from an earlier system).
    const today = todayInShanghai();
    await fx.ingest([writeRows(fx.scratch, 'p-today.csv', [penalty(10, SUBJECT)])], {
      receivedAt: new Date(),
    });
    const early = await cli([
      'objection',
      'open',
      decision(10),
      '--applicant',
      '济南异议示例有限公司',
      '--reason',
      '处罚有误',
      '--received-at',
      '2026-09-30',
    ]);
    const recordId = await recordOf(10);
    expect(early.code, early.stderr).toBe(0);
    expect(early.stderr).toContain(
      `异议受理日期 2026-09-30 早于记录 ${recordId} 首次归集入平台的日期 ${today}：请核对受理日期`,
    );
    expect(await json(['objection', 'list', '--record', decision(10)])).toMatchObject([
      { recordId, receivedOn: '2026-09-30' },
    ]);
  });

  it('appeal stages keep the mark; review partly upheld corrects the record through a procedure', async () => {
    const opened = await open(5, '2026-11-02');
    const recordId = opened.recordId as number;
    const mark = async () => (await json(['record', String(recordId)])).objection?.stage ?? null;
    expect((await decide('close', opened.id, ['--result', 'rejected'])).code).toBe(0);
    expect(await mark()).toBeNull();
    // 行政复议 only after an appeal's result (Art. 18): refused, nothing written.
    const early = await cli([
      'objection',
      'appeal',
      String(opened.id),
      '--stage',
      'review',
      '--basis',
      'b',
      '--note',
      'n',
    ]);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('对申诉结果有异议的才能申请行政复议或提起诉讼');
    const appeal = ['--basis', '申诉书 2026-11-06', '--note', '信息主体向省发展改革委申诉'];
    expect((await cli(['objection', 'appeal', String(opened.id), ...appeal])).code).toBe(0);
    expect(await mark()).toBe('appeal');
    // The check it appeals was due 2026-11-05 and is finished: the mark says since when the appeal runs, not that
    // date as a deadline (dueOn stays in --json, the check's, with the day the stage began).
    const today = todayInShanghai();
    expect((await json(['record', String(recordId)])).objection).toEqual({
      objectionId: opened.id,
      stage: 'appeal',
      receivedOn: '2026-11-02',
      dueOn: '2026-11-05',
      dueProvisional: false,
      stageSince: today,
    });
    const appealed = (await cli(['record', String(recordId)])).stdout;
    expect(appealed).toContain(
      `异议处理中 · objection #${opened.id}, 申诉 (appeal) since ${today}, received 2026-11-02`,
    );
    expect(appealed).not.toContain('due 2026-11-05');
    expect((await cli(['subject', SUBJECT])).stdout).toContain(
      `异议处理中 #${opened.id} (appeal since ${today})`,
    );
    // objection list and show too: the due column says since when the appeal runs; --json keeps dueOn, the
    // check's, with stageSince.
    const appeals = ['objection', 'list', '--status', 'appeal', '--record', String(recordId)];
    expect(await json(appeals)).toMatchObject([
      { id: opened.id, stage: 'appeal', dueOn: '2026-11-05', stageSince: today },
    ]);
    const listed = (await cli(appeals)).stdout.split('\n');
    expect(listed[0]).toMatch(/^objection\s.*\sdue\s/);
    expect(listed[1]).toMatch(new RegExp(`^${opened.id}\\s.*\\ssince ${today}\\s+申诉\\s+异议处理中\\s`));
    expect(listed[1]).not.toContain('2026-11-05');
    const shownAppeal = (await cli(['objection', 'show', String(opened.id)])).stdout;
    expect(shownAppeal).toContain(
      `· 申诉 异议处理中 (record marked) · received 2026-11-02, check due 2026-11-05, appeal since ${today}`,
    );
    expect((await decide('outcome', opened.id, ['--stage', 'appeal', '--result', 'rejected'])).code).toBe(0);
    expect(await mark()).toBeNull();
    const review = ['--stage', 'review', '--basis', '鲁政复〔2026〕9号', '--note', '申请行政复议'];
    expect((await cli(['objection', 'appeal', String(opened.id), ...review])).code).toBe(0);
    expect(await mark()).toBe('review');
    expect(await json(['objection', 'list', '--status', 'review'])).toMatchObject([{ id: opened.id }]);
    // A stage decided on the wrong stage is refused; the mark stays.
    const wrong = await decide('outcome', opened.id, ['--stage', 'lawsuit', '--result', 'rejected']);
    expect(wrong.code).toBe(2);
    expect(await mark()).toBe('review');
    const partly = await decide('outcome', opened.id, [
      '--stage',
      'review',
      '--result',
      'partly',
      '--set',
      '备注=行政复议部分撤销原处罚',
      '--json',
    ]);
    expect(partly.code, partly.stderr).toBe(0);
    const procedureId = JSON.parse(partly.stdout).procedure.procedureId as number;
    expect(await mark()).toBeNull();
    const record = await json(['record', String(recordId)]);
    expect(record.current).toMatchObject({ procedureId, data: { BZ: '行政复议部分撤销原处罚' } });
    const trail = await json(['objection', 'show', String(opened.id)]);
    expect(trail.steps.map((s: { action: string; stage: string }) => `${s.action}:${s.stage}`)).toEqual([
      'open:open',
      'close:open',
      'appeal:appeal',
      'outcome:appeal',
      'appeal:review',
      'outcome:review',
    ]);
    expect(trail.steps.at(-1)).toMatchObject({ result: 'partly', procedureId });
    const text = await cli(['objection', 'show', String(opened.id)]);
    expect(text.stdout).toContain('行政复议');
    expect(text.stdout).toContain(`#${procedureId}`);
  });

  it('refuses wrong or missing options with a usage error (exit 2), and writes nothing', async () => {
    const opened = await open(6, '2026-11-02');
    const id = String(opened.id);
    const close = (...more: string[]) => ['objection', 'close', id, '--note', 'n', '--basis', 'b', ...more];
    const openOn = (...more: string[]) => ['objection', 'open', decision(7), '--applicant', 'a', ...more];
    const refusals: Array<[string[], string]> = [
      [close('--result', 'upheld'), 'must be carried out by a legal procedure'],
      [close('--result', 'rejected', '--withdraw'), 'changes nothing'],
      [close(), "'--result <result>' not specified"],
      [close('--result', 'maybe'), 'Allowed choices'],
      [close('--result', 'upheld', '--withdraw', '--set', '备注=x'), 'give one way'],
      [
        ['objection', 'close', 'abc', '--result', 'rejected', '--note', 'n', '--basis', 'b'],
        'not an objection id',
      ],
      [openOn(), "'--reason <text>' not specified"],
      [openOn('--reason', 'r', '--received-at', '2099-01-05'), 'in the future'],
      [openOn('--reason', 'r', '--received-at', '2026-02-30'), 'not a real date'],
      // Every decision of these rows is of 2026: an objection to it was not received in 2025.
      [openOn('--reason', 'r', '--received-at', '2025-06-02'), '异议受理日期不能早于该记录的决定日期'],
      [['objection', 'appeal', id, '--basis', 'b', '--note', 'n'], '仍在核查阶段处理中'],
    ];
    // Independent and all refused: run side by side.
    const results = await Promise.all(refusals.map(([args]) => cli(args)));
    refusals.forEach(([args, message], i) => {
      expect([args.join(' '), results[i]?.code]).toEqual([args.join(' '), 2]);
      expect(results[i]?.stderr).toContain(message);
    });
    expect(await json(['objection', 'list', '--record', decision(7)])).toEqual([]);
    const trail = await json(['objection', 'show', id]);
    expect(trail.steps.map((s: { action: string }) => s.action)).toEqual(['open']);
    expect((await json(['record', decision(6)])).status).toBe('current');
  });

  it('masks a resident ID number in the applicant and the reason, in every output', async () => {
    const opened = await json([
      'objection',
      'open',
      decision(7),
      '--applicant',
      `王某（身份证 ${APPLICANT_ID}）`,
      '--reason',
      `本人 ${APPLICANT_ID} 非该企业法定代表人`,
      '--received-at',
      '2026-11-02',
    ]);
    const outputs = [
      JSON.stringify(opened),
      ...(
        await Promise.all([
          cli(['objection', 'show', String(opened.id)]),
          cli(['objection', 'show', String(opened.id), '--json']),
          cli(['objection', 'list']),
          cli(['objection', 'list', '--json']),
        ])
      ).map((result) => result.stdout),
    ];
    for (const output of outputs) {
      expect(output).toContain('王某');
      expect(output).not.toContain(APPLICANT_ID);
    }
  });
});

describe('the objection log is append-only and verified', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  const { cli } = fixtureCli(() => fx);

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_log');
    await fx.ingest([writeRows(fx.scratch, 'l1.csv', basePenalties(2, 1617))], {
      receivedAt: at('2026-11-02'),
    });
  });
  afterAll(async () => fx?.close());

  it('refuses UPDATE, DELETE and TRUNCATE even to the owner; verify names a step or objection changed behind it', async () => {
    const [a] = await fx.warehouse('records').orderBy('id').pluck('id');
    for (const args of [
      [
        'objection',
        'open',
        String(a),
        '--applicant',
        '甲公司',
        '--reason',
        '不服',
        '--received-at',
        '2026-11-02',
      ],
      ['objection', 'close', '1', '--result', 'rejected', '--note', '不成立', '--basis', '函〔2026〕1号'],
    ]) {
      const result = await cli(args);
      expect(result.code, result.stderr).toBe(0);
    }
    for (const sql of [
      `UPDATE objection_log SET note = '改写'`,
      'DELETE FROM objection_log',
      'TRUNCATE objection_log CASCADE',
      `UPDATE objections SET due_on = '2026-12-31'`,
      'DELETE FROM objections',
      'TRUNCATE objections CASCADE',
    ])
      await expect(fx.owner.raw(sql), sql).rejects.toThrow(/append-only/);

    expect(await verifyObjectionLog(fx.warehouse)).toEqual([]);
    const tamper = (sql: string) =>
      fx.owner.transaction(async (trx) => {
        await trx.raw('SET LOCAL session_replication_role = replica'); // triggers off: behind the engine's back
        await trx.raw(sql);
      });
    await tamper(`UPDATE objection_log SET note = '事后改写' WHERE action = 'close'`);
    await tamper(`UPDATE objections SET due_on = '2026-12-31'`);
    const findings = await verifyObjectionLog(fx.warehouse);
    expect(findings.map((finding) => [finding.kind, finding.recordId])).toEqual([
      ['objection-differs-from-log', a],
      ['objection-log-altered', a],
    ]);
    const logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
    const verified = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect(verified.status).toBe('failed');
    expect(verified.records.map((finding) => finding.problem)).toEqual([
      'objection-differs-from-log',
      'objection-log-altered',
    ]);
  });
});

describe('schedule checks for overdue objections daily and raises them like a failed run', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_scheduled');
    await fx.ingest([writeRows(fx.scratch, 's1.csv', basePenalties(1, 1619))], {
      receivedAt: at('2026-11-02'),
    });
  });
  afterAll(async () => fx?.close());

  it('an objection received 2026-11-02 (due 2026-11-05) and still open: a failed objection-check run', async () => {
    const [id] = await fx.warehouse('records').pluck('id');
    const env = { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') };
    const opened = await runCli(
      [
        'objection',
        'open',
        String(id),
        '--applicant',
        '甲公司',
        '--reason',
        '不服',
        '--received-at',
        '2026-11-02',
        '--json',
      ],
      env,
    );
    expect(opened.code, opened.stderr).toBe(0);
    const objectionId = JSON.parse(opened.stdout).id as number;
    const pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelines, { recursive: true });
    // Every second, against the real clock: any day from 2026-11-06 on finds it overdue.
    const cli = startCli(['schedule'], {
      ...env,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_VERIFY_CRON: 'off',
      CREDIT_ETL_OBJECTION_CHECK_CRON: '* * * * * *',
    });
    try {
      for (let tries = 0; ; tries++) {
        const run = await fx
          .warehouse('runs')
          .where({ kind: 'objection-check' })
          .whereNot({ status: 'running' })
          .first();
        if (run) {
          expect(run).toMatchObject({ status: 'failed', errors_by_code: { 'objection-overdue': 1 } });
          expect(run.error).toContain(
            `#${objectionId} record ${id} (xzcf), received 2026-11-02, due 2026-11-05`,
          );
          break;
        }
        expect(tries, `no objection-check run finished: ${cli.output()}`).toBeLessThan(600);
        await sleep(100);
      }
    } finally {
      cli.child.kill('SIGTERM');
      expect((await cli.result).code).toBe(0);
    }
  });
});

describe('who may register and decide objections: members of credit_etl_officer', () => {
  let fx: WarehouseFixture;
  const user = `credit_etl_test_clerk_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const cli = (args: string[]) => {
    const url = new URL(fx.url);
    url.username = user;
    url.password = password;
    return runCli(args, {
      DATABASE_URL: url.toString(),
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    });
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_officer');
    await fx.ingest([writeRows(fx.scratch, 'o1.csv', basePenalties(1, 1618))], {
      receivedAt: at('2026-11-02'),
    });
    await fx.owner.raw(`CREATE ROLE ${user} LOGIN PASSWORD '${password}' IN ROLE credit_etl_loader`);
  });
  afterAll(async () => {
    await fx?.owner.raw(`DROP ROLE IF EXISTS ${user}`).catch(() => undefined);
    await fx?.close();
  });

  it('a loader-only user is refused with the GRANT to run; once an officer, the log names it', async () => {
    const [id] = await fx.warehouse('records').pluck('id');
    const args = [
      'objection',
      'open',
      String(id),
      '--applicant',
      '甲公司',
      '--reason',
      '不服',
      '--received-at',
      '2026-11-02',
    ];
    const refused = await cli(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`GRANT credit_etl_officer TO "${user}";`);
    expect(await fx.warehouse('objections').count({ n: '*' })).toEqual([{ n: 0 }]);
    await fx.owner.raw(`GRANT credit_etl_officer TO ${user}`);
    const done = await cli([...args, '--json']);
    expect(done.code, done.stderr).toBe(0);
    const steps = await fx.warehouse('objection_log').select('action', 'db_user');
    expect(steps).toEqual([{ action: 'open', db_user: user }]);
  }, 180_000);
});
