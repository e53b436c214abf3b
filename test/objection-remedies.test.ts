import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import * as objectionsWaitForWithdrawal from '../migrations/042-objections-wait-for-withdrawal.ts';
import { closeObjection } from '../src/objections/objection-workflow.ts';
import { correctRecord, type Grounds } from '../src/procedures/legal-procedures.ts';
import { verifyObjectionLog } from '../src/warehouse/objection-log-chain.ts';
import {
  appendObjectionStep,
  asOfficer,
  insertObjection,
  type NewObjection,
  type NewObjectionStep,
} from '../src/warehouse/objection-log-repository.ts';
import { callProcedure } from '../src/warehouse/procedure-log-repository.ts';
import { holidaysWithout2026 } from './support/holiday-files.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M'; // 山东省 in config/providers.json
const DECISION = '行政处罚决定书文号';
const FACTS = '违法事实';
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const GROUNDS: Grounds = { basis: '鲁信用办函〔2026〕37号', reason: '异议核查', operator: '张科员' };

/** Legal persons' penalties, decided before every receipt below, each with a decision number of its own. */
const penalties = (count: number, seed: number, prefix: string): PenaltyRow[] =>
  basePenalties(count * 2, seed)
    .filter((row) => row.行政相对人类别 !== '自然人')
    .slice(0, count)
    .map((row, i) =>
      edit(row, {
        [DECISION]: `鲁济市监罚〔2026〕${prefix}${String(i).padStart(2, '0')}号`,
        处罚决定日期: '2026-01-02',
      }),
    );

/**
 * The four defects an audit found in the objection workflow (Art. 18), through the real CLI on real PostgreSQL:
 * a second objection on a record the first one's result ended, the provider's corrected re-delivery as the
 * remedy, a receipt in a year the calendar lacks, and Chinese messages for officers.
 */
describe('objection results on ended and re-delivered records, through the CLI (037)', {
  timeout: 600_000,
}, () => {
  let fx: WarehouseFixture;
  let records: number[];
  const rows = penalties(8, 3701, '37');
  const env = () => ({ DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });
  const cli = (args: string[], more: NodeJS.ProcessEnv = {}) => runCli(args, { ...env(), ...more });
  const json = async (args: string[]) => {
    const result = await cli([...args, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  };
  const open = (recordId: number, receivedAt = '2026-11-02') =>
    json([
      'objection',
      'open',
      String(recordId),
      '--applicant',
      '济南异议示例有限公司',
      '--reason',
      '处罚决定已被复议机关撤销',
      '--received-at',
      receivedAt,
      '--operator',
      '李科员',
    ]);
  const decide = (command: 'close' | 'outcome', id: number, args: string[]) =>
    cli([
      'objection',
      command,
      String(id),
      '--note',
      '经核查，已告知信息主体',
      '--basis',
      '鲁信用办函〔2026〕37号',
      '--operator',
      '李科员',
      ...args,
    ]);

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_remedies_cli');
    await fx.ingest([writeRows(fx.scratch, 'r1.csv', rows)], {
      receivedAt: at('2026-01-05'),
      provider: PROVINCE,
    });
    records = (await fx.warehouse('records').orderBy('id').pluck('id')) as number[];
    expect(records).toHaveLength(rows.length);
  }, 120_000);
  afterAll(async () => fx?.close());

  it('a second objection on a record the first one withdrew cites that withdrawal with --procedure, and is settled', async () => {
    const recordId = records[0]!;
    const first = await open(recordId);
    const second = await open(recordId);
    const withdrawn = await decide('close', first.id, ['--result', 'upheld', '--withdraw', '--json']);
    expect(withdrawn.code, withdrawn.stderr).toBe(0);
    const procedureId = JSON.parse(withdrawn.stdout).procedure.procedureId as number;
    // Due 2026-11-05 and still open: overdue every day until it is decided.
    const overdue = async () =>
      ((await json(['objection', 'list', '--overdue'])) as { id: number }[]).map((row) => row.id);
    expect(await overdue()).toContain(second.id);

    const again = await decide('close', second.id, ['--result', 'upheld', '--withdraw']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      `记录 ${recordId} 已撤销（程序 #${procedureId}），不能再办理 --withdraw：若该程序已实现本异议的结果，请用 --procedure ${procedureId} 引用它`,
    );
    const cited = await decide('close', second.id, [
      '--result',
      'upheld',
      '--procedure',
      String(procedureId),
      '--json',
    ]);
    expect(cited.code, cited.stderr).toBe(0);
    expect(JSON.parse(cited.stdout).objection).toMatchObject({
      id: second.id,
      inProgress: false,
      lastResult: 'upheld',
      lastProcedureId: procedureId,
      lastVersionId: null,
    });
    expect(await overdue()).not.toContain(second.id);
    const listed = await cli(['objection', 'list', '--record', String(recordId)]);
    expect(listed.stdout.match(new RegExp(`办结：异议成立（程序 #${procedureId}）`, 'g'))).toHaveLength(2);
  });

  it("an appeal upheld cites the provider's withdrawal made during the check, which no objection cited (038)", async () => {
    const i = 7;
    const recordId = records[i]!;
    const objection = await open(recordId);
    const withdrawn = await fx.ingest(
      [
        writeRows(
          fx.scratch,
          'withdraw.csv',
          [edit(rows[i]!, { 当前状态: '撤销' })],
          [...PENALTY_HEADER, '当前状态'],
        ),
      ],
      { provider: PROVINCE, withdrawals: { status: { column: '当前状态', values: ['撤销'] } } },
    );
    expect(withdrawn.counts.withdrawn).toBe(1);
    const { status_procedure_id: procedureId } = await fx
      .warehouse('records')
      .where({ id: recordId })
      .first('status_procedure_id');
    // The check is rejected (the officer did not take the withdrawal for the answer); the subject appeals.
    expect((await decide('close', objection.id, ['--result', 'rejected'])).code).toBe(0);
    const appeal = [
      'objection',
      'appeal',
      String(objection.id),
      '--basis',
      '申诉书',
      '--note',
      '信息主体申诉',
    ];
    expect((await cli(appeal)).code).toBe(0);
    const upheld = (remedy: string[]) =>
      decide('outcome', objection.id, ['--stage', 'appeal', '--result', 'upheld', ...remedy]);
    const again = await upheld(['--withdraw']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`请用 --procedure ${procedureId} 引用它`);
    // What the CLI says to do is taken: the withdrawal came after the registration, though before the appeal.
    const cited = await upheld(['--procedure', String(procedureId), '--json']);
    expect(cited.code, cited.stderr).toBe(0);
    expect(JSON.parse(cited.stdout).objection).toMatchObject({
      id: objection.id,
      stage: 'appeal',
      inProgress: false,
      lastResult: 'upheld',
      lastProcedureId: procedureId,
    });
  });

  it("the provider's corrected re-delivery settles an objection: the run warns, --version cites it", async () => {
    const i = 1;
    const recordId = records[i]!;
    const objection = await open(recordId);
    const another = await open(recordId);
    const corrected = '经复核，当事人未超标排放，原违法事实有误，已更正';
    const ingest = await cli([
      'ingest',
      writeRows(fx.scratch, 'r2.csv', [edit(rows[i]!, { [FACTS]: corrected })]),
      '--catalog',
      'xzcf',
      '--provider',
      PROVINCE,
      '--level',
      'province',
    ]);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(ingest.stdout).toContain(
      `r2.csv: 2 record(s) with an objection in progress updated (有处理中异议的记录被更新): ` +
        `record ${recordId} → v2 (objection #${objection.id}), record ${recordId} → v2 (objection #${another.id})`,
    );
    const warnings = readFileSync(path.join(fx.scratch, 'cli.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('objection-record-updated'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(`记录 ${recordId} 有处理中的异议 #${objection.id}，本次报送将其更新为 v2`);
    expect(warnings[0]).toContain(`credit-etl objection close ${objection.id} --result upheld --version 2`);
    // Ids only: neither the subject nor the corrected content.
    expect(warnings.join('\n')).not.toContain(rows[i]!.行政相对人名称!);
    expect(warnings.join('\n')).not.toContain(corrected);

    // The delivery made the record right already: a correction to the same content is refused, as before.
    const same = await decide('close', objection.id, [
      '--result',
      'upheld',
      '--set',
      `${FACTS}=${corrected}`,
    ]);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('无需更正');
    // The version delivered before the objection was received settles nothing.
    const before = await decide('close', objection.id, ['--result', 'upheld', '--version', '1']);
    expect(before.code).toBe(2);
    expect(before.stderr).toContain(`记录 ${recordId} 的版本 v1 报送于`);
    expect(before.stderr).toContain(`早于异议 ${objection.id} 的登记`);
    const missing = await decide('close', objection.id, ['--result', 'upheld', '--version', 'v9']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`记录 ${recordId} 没有版本 v9`);

    const closed = await decide('close', objection.id, ['--result', 'upheld', '--version', 'v2', '--json']);
    expect(closed.code, closed.stderr).toBe(0);
    const done = JSON.parse(closed.stdout);
    expect(done.version).toMatchObject({ versionNo: 2 });
    expect(done.procedure).toBeUndefined();
    // One delivery settles both objections on the record.
    expect((await decide('close', another.id, ['--result', 'partly', '--version', '2'])).code).toBe(0);
    const listed = await json(['objection', 'list', '--record', String(recordId)]);
    expect(listed).toMatchObject([
      { id: objection.id, lastResult: 'upheld', lastVersionNo: 2, lastProcedureId: null },
      { id: another.id, lastResult: 'partly', lastVersionNo: 2, lastProcedureId: null },
    ]);
    expect((await cli(['objection', 'list', '--record', String(recordId)])).stdout).toContain(
      '办结：异议成立（报送更正 v2）',
    );
    const shown = await json(['objection', 'show', String(objection.id)]);
    expect(shown.steps[1]).toMatchObject({
      action: 'close',
      result: 'upheld',
      procedureId: null,
      versionNo: 2,
    });
    expect((await cli(['objection', 'show', String(objection.id)])).stdout).toContain('报送更正 v2');
    // One version carries out one result of an objection: not the appeal's too.
    const appeal = ['--basis', '申诉书', '--note', '信息主体申诉'];
    expect((await cli(['objection', 'appeal', String(objection.id), ...appeal])).code).toBe(0);
    const twice = await decide('outcome', objection.id, [
      '--stage',
      'appeal',
      '--result',
      'upheld',
      '--version',
      '2',
    ]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`记录 ${recordId} 的版本 v2 已办理异议 ${objection.id} 的核查结果`);
    // The chain covers the version a step cites.
    const verify = await cli(['verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('registers an objection in a year the calendar lacks, due date provisional (Mon–Fri), with a warning', async () => {
    const holidays = holidaysWithout2026(fx.scratch);
    const recordId = records[2]!;
    const args = ['objection', 'open', String(recordId), '--applicant', '济南异议示例有限公司'];
    // Wednesday 2026-09-30, before National Day: Mon–Fri less 1–3 October says Mon 5, Tue 6, Wed 7 October (the
    // 2026 notice gives 1–7 October off and Saturday 10 October as a working day: 8, 9, 10).
    const opened = await cli([...args, '--reason', '处罚有误', '--received-at', '2026-09-30'], {
      CREDIT_ETL_HOLIDAYS_FILE: holidays,
    });
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout).toContain('due 2026-10-07 (provisional: a year without calendar data)');
    expect(opened.stderr).toContain(
      '⚠ 异议核查期限 2026-10-07 为暂定：工作日日历缺少 2026 年数据，暂按周一至周五（除元旦、劳动节、国庆节）计算',
    );
    const [row] = await json(['objection', 'list', '--record', String(recordId)]);
    expect(row).toMatchObject({ receivedOn: '2026-09-30', dueOn: '2026-10-07', dueProvisional: true });
    // Art. 18 ¶2: marked at once.
    expect((await json(['record', String(recordId)])).objection).toMatchObject({ objectionId: row.id });
    expect((await cli(['objection', 'list', '--record', String(recordId)])).stdout).toContain(
      '2026-10-07（暂定）',
    );
    // With the year known the due date is the calendar's, not provisional.
    expect(await open(records[3]!, '2026-09-30')).toMatchObject({
      dueOn: '2026-10-10',
      dueProvisional: false,
    });
  });

  it("officers are told in Chinese: the database's stage titles and the CLI's refusals", async () => {
    const objection = await open(records[4]!);
    const id = String(objection.id);
    expect((await decide('close', objection.id, ['--result', 'rejected'])).code).toBe(0);
    const appeal = ['objection', 'appeal', id, '--basis', '申诉书', '--note', '信息主体申诉'];
    expect((await cli(appeal)).code).toBe(0);
    const wrongStage = await decide('outcome', objection.id, ['--stage', 'lawsuit', '--result', 'rejected']);
    expect(wrongStage.code).toBe(2);
    expect(wrongStage.stderr).toContain(`异议 ${id} 没有处理中的行政诉讼阶段：现在申诉阶段处理中`);
    expect((await decide('outcome', objection.id, ['--stage', 'appeal', '--result', 'rejected'])).code).toBe(
      0,
    );
    const secondAppeal = await cli(appeal);
    expect(secondAppeal.code).toBe(2);
    expect(secondAppeal.stderr).toContain(`异议 ${id} 已经过申诉阶段`);

    const refused = 'credit-etl: objection refused, nothing changed: ';
    const other = await open(records[5]!);
    const cases: Array<[string[], string]> = [
      [
        ['objection', 'close', String(other.id), '--result', 'upheld', '--note', 'n', '--basis', 'b'],
        `${refused}异议成立的结果须经法定程序办理（第十七条）：请给出 --withdraw（撤销）`,
      ],
      [
        [
          'objection',
          'close',
          String(other.id),
          '--result',
          'rejected',
          '--withdraw',
          '--note',
          'n',
          '--basis',
          'b',
        ],
        `${refused}异议不成立不改变记录：请去掉 --withdraw`,
      ],
      [
        [
          'objection',
          'open',
          String(records[6]),
          '--applicant',
          'a',
          '--reason',
          'r',
          '--received-at',
          '2099-01-05',
        ],
        `${refused}异议受理日期 2099-01-05 晚于今天`,
      ],
      [
        [
          'objection',
          'open',
          String(records[6]),
          '--applicant',
          'a',
          '--reason',
          ' ',
          '--received-at',
          '2026-11-02',
        ],
        `${refused}异议理由不能为空：请用 --reason 填写`,
      ],
      [
        [
          'objection',
          'open',
          String(records[6]),
          '--applicant',
          'a',
          '--reason',
          'r',
          '--received-at',
          '2025-06-02',
        ],
        `${refused}异议受理日期 2025-06-02 早于记录 ${records[6]} 的决定日期 2026-01-02`,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args)));
    cases.forEach(([args, message], i) => {
      expect([args.join(' '), results[i]?.code]).toEqual([args.join(' '), 2]);
      expect(results[i]?.stderr).toContain(message);
    });
  });
});

/**
 * 037's guard itself, by direct inserts as the officer: what an upheld result may cite, whoever writes the step.
 */
describe('what carries out an upheld objection result (037-objection-remedies.ts)', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  let records: number[];
  const rows = penalties(10, 3702, '38');
  const opening = (recordId: number): NewObjection => ({
    recordId,
    applicant: '济南示例有限公司',
    reason: '处罚已撤销',
    receivedOn: '2026-11-02',
    dueOn: '2026-11-05',
    channel: 'platform',
    operator: '张科员',
  });
  const open = (recordId: number) =>
    asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(recordId)));
  const step = (objectionId: number, taken: Partial<NewObjectionStep> = {}) =>
    asOfficer(fx.warehouse, (trx) =>
      appendObjectionStep(trx, objectionId, {
        action: 'close',
        result: 'upheld',
        basis: GROUNDS.basis,
        operator: GROUNDS.operator,
        ...taken,
      }),
    );
  const withdrawFor = async (objectionId: number) =>
    (
      await closeObjection(fx.warehouse, fx.catalog, objectionId, {
        result: 'upheld',
        basis: GROUNDS.basis,
        note: '经核查，异议成立',
        operator: GROUNDS.operator,
        remedy: { kind: 'withdraw' },
      })
    ).procedure!.procedureId;
  /** The record's version `versionNo`, by id. */
  const versionId = async (recordId: number, versionNo: number) =>
    (await fx.warehouse('record_versions').where({ record_id: recordId, version_no: versionNo }).first('id'))
      .id as number;
  /** A delivery of row `i` with other facts: the record's next version. */
  const redeliver = async (i: number, name: string) => {
    const summary = await fx.ingest(
      [writeRows(fx.scratch, name, [edit(rows[i]!, { [FACTS]: `更正：${name}` })])],
      {
        provider: PROVINCE,
      },
    );
    expect(summary.counts.updated).toBe(1);
    return summary;
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_remedies_guard');
    await fx.ingest([writeRows(fx.scratch, 'g1.csv', rows)], {
      receivedAt: at('2026-01-05'),
      provider: PROVINCE,
    });
    records = (await fx.warehouse('records').orderBy('id').pluck('id')) as number[];
    expect(records).toHaveLength(rows.length);
  }, 120_000);
  afterAll(async () => fx?.close());

  it('a second objection cites the withdrawal that carried out the first; a third step of the same objection does not', async () => {
    const recordId = records[0]!;
    const first = await open(recordId);
    const second = await open(recordId);
    const withdrawal = await withdrawFor(first);
    await step(second, { procedureId: withdrawal });
    const cited = await fx
      .warehouse('objection_log')
      .where({ procedure_id: withdrawal })
      .pluck('objection_id');
    expect(cited).toEqual([first, second]);
    // The second objection's appeal is not carried out by the same procedure again.
    await step(second, { action: 'appeal', stage: 'appeal', result: undefined });
    await expect(
      step(second, { action: 'outcome', stage: 'appeal', procedureId: withdrawal }),
    ).rejects.toThrow(`程序 #${withdrawal} 已办理异议 ${second} 的核查结果：一个程序只办理该异议的一个结果`);
    // A correction cited once stays one result's (032), the record being current.
    const other = records[1]!;
    const a = await open(other);
    const b = await open(other);
    const correction = (
      await correctRecord(fx.warehouse, fx.catalog, other, ['备注=异议成立，更正'], GROUNDS)
    ).procedureId;
    await step(a, { procedureId: correction });
    await expect(step(b, { procedureId: correction })).rejects.toThrow(
      new RegExp(`程序 #${correction} 已办理异议 ${a} 的核查结果：一个程序只办理一个结果`),
    );
  });

  it('refuses the procedure that ended another record', async () => {
    const [, , c, d] = records as [number, number, number, number];
    const ended = await withdrawFor(await open(c));
    const objection = await open(d);
    await expect(step(objection, { procedureId: ended })).rejects.toThrow(
      `程序 #${ended} 不是对异议 ${objection} 的记录 ${d} 办理的`,
    );
  });

  it('refuses the procedure that ended the record before this objection was registered', async () => {
    // Only a race got there before 042 (a withdrawn record takes no objection; since 042 neither does one being
    // withdrawn): with 042's check taken back, the objection is inserted while the withdrawal is not yet committed,
    // and its open step waits for the withdrawal's lock on the log. Objections registered so before 042 remain.
    const recordId = records[4]!;
    const first = await open(recordId);
    let late: Promise<number> | undefined;
    await fx.owner.transaction((trx) => objectionsWaitForWithdrawal.down(trx));
    const withdrawal = await asOfficer(fx.warehouse, async (trx) => {
      const id = await callProcedure(trx, 'credit_etl_officer', 'procedure_withdraw', [
        recordId,
        GROUNDS.basis,
        '异议 核查结果：异议成立',
        GROUNDS.operator,
      ]);
      await appendObjectionStep(trx, first, {
        action: 'close',
        result: 'upheld',
        procedureId: id,
        basis: GROUNDS.basis,
        operator: GROUNDS.operator,
      });
      late = open(recordId);
      // The objection passed the record's check (current, as this transaction has not committed) and waits on it.
      for (let tries = 0; ; tries++) {
        const waiting = await fx.owner.raw(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if (waiting.rows.length > 0) break;
        if (tries === 200) throw new Error('the second objection never waited for the withdrawal');
        await sleep(50);
      }
      return id;
    });
    const second = await late!;
    await fx.owner.transaction((trx) => objectionsWaitForWithdrawal.up(trx));
    expect(await fx.warehouse('records').where({ id: recordId }).first('status')).toEqual({
      status: 'withdrawn',
    });
    await expect(step(second, { procedureId: withdrawal })).rejects.toThrow(
      new RegExp(`程序 #${withdrawal} 办理于 .*，早于异议 ${second} 的登记（.*）：它不是该异议结果的办理`),
    );
  });

  it('cites a delivered version of the record, made after the objection was registered, once per objection', async () => {
    const i = 5;
    const recordId = records[i]!;
    const objection = await open(recordId);
    await expect(step(objection, { versionId: await versionId(recordId, 1) })).rejects.toThrow(
      new RegExp(`记录 ${recordId} 的版本 v1 报送于 .*，早于异议 ${objection} 的登记`),
    );
    await redeliver(i, 'g2.csv');
    const delivered = await versionId(recordId, 2);
    await expect(step(objection, { versionId: delivered, procedureId: 1 })).rejects.toThrow(
      `异议 ${objection} 的一个结果由一个程序或一个报送版本办理，不能两者都给`,
    );
    await step(objection, { versionId: delivered });
    await step(objection, { action: 'appeal', stage: 'appeal', result: undefined });
    await expect(
      step(objection, { action: 'outcome', stage: 'appeal', versionId: delivered }),
    ).rejects.toThrow(`记录 ${recordId} 的版本 v2 已办理异议 ${objection} 的核查结果`);
    await redeliver(i, 'g3.csv');
    await step(objection, {
      action: 'outcome',
      stage: 'appeal',
      result: 'partly',
      versionId: await versionId(recordId, 3),
    });
    expect(
      await fx
        .warehouse('objection_log')
        .where({ objection_id: objection })
        .whereNotNull('version_id')
        .pluck('version_id'),
    ).toEqual([delivered, await versionId(recordId, 3)]);
    expect(await verifyObjectionLog(fx.warehouse)).toEqual([]);
  });

  it('refuses a version a legal procedure wrote, and a version of another record', async () => {
    const [, , , , , , g, h] = records as number[];
    const objection = await open(g!);
    const correction = (await correctRecord(fx.warehouse, fx.catalog, g!, ['备注=更正'], GROUNDS))
      .procedureId;
    await expect(step(objection, { versionId: await versionId(g!, 2) })).rejects.toThrow(
      `记录 ${g} 的版本 v2 是法定程序 #${correction} 写入的，不是数据提供单位报送的：请用 --procedure ${correction} 引用该程序`,
    );
    await redeliver(7, 'g4.csv');
    const elsewhere = await versionId(h!, 2);
    await expect(step(objection, { versionId: elsewhere })).rejects.toThrow(
      `版本 #${elsewhere} 不是异议 ${objection} 的记录 ${g} 的版本`,
    );
    expect(await fx.warehouse('objection_log').where({ objection_id: objection }).pluck('action')).toEqual([
      'open',
    ]);
  });

  it('an appeal cites a version delivered while the check was open: every remedy is bounded by the registration (038)', async () => {
    const i = 8;
    const recordId = records[i]!;
    const objection = await open(recordId);
    await redeliver(i, 'g5.csv');
    await step(objection, { result: 'rejected' });
    await step(objection, { action: 'appeal', stage: 'appeal', result: undefined });
    await step(objection, { action: 'outcome', stage: 'appeal', versionId: await versionId(recordId, 2) });
    expect(
      await fx.warehouse('objection_log').where({ objection_id: objection }).orderBy('id').pluck('action'),
    ).toEqual(['open', 'close', 'appeal', 'outcome']);
  });

  it('a load that began before an objection was registered does not name its version for --version (038)', async () => {
    // The load's version is stamped with its transaction's start, the objection's registration with the clock: an
    // objection registered while the load runs is later than the version, and the trigger refuses to cite it.
    const i = 9;
    const recordId = records[i]!;
    let load: Promise<Awaited<ReturnType<typeof redeliver>>> | undefined;
    const objection = await fx.owner.transaction(async (trx) => {
      await trx.raw('LOCK TABLE objections IN ACCESS EXCLUSIVE MODE');
      load = redeliver(i, 'g6.csv');
      // The load merged (its version written) and waits to read the objections on the records it updated.
      for (let tries = 0; ; tries++) {
        const waiting = await fx.owner.raw(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE '%v.source_file_id%'`,
        );
        if (waiting.rows.length > 0) break;
        if (tries === 400) throw new Error('the load never waited for the objections');
        await sleep(50);
      }
      return insertObjection(trx, opening(recordId));
    });
    const summary = await load!;
    expect(summary.files[0]?.objectionsUpdated ?? []).toEqual([]);
    await expect(step(objection, { versionId: await versionId(recordId, 2) })).rejects.toThrow(
      new RegExp(`记录 ${recordId} 的版本 v2 报送于 .*，早于异议 ${objection} 的登记`),
    );
  });
});
