import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendObjectionStep, asOfficer } from '../src/warehouse/objection-log-repository.ts';
import { holidaysWithout2026 } from './support/holiday-files.ts';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M';

/**
 * A provisional objection due date (a year without calendar data: counted Monday–Friday less the fixed-date
 * holidays) is not raised as overdue, and `calendar recompute` settles it with a step in the objection's log once
 * the year is added (038); every reader then takes the settled date. Received Wednesday 2026-09-30, before
 * National Day: Monday–Friday less 1–3 October says Wednesday 7 October (5, 6, 7); the 2026 notice gives 1–7
 * October off and Saturday 10 October as a working day (8, 9, 10).
 */
describe('provisional objection due dates: not overdue on a guess, settled by calendar recompute', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  let recordId: number;
  let objectionId: number;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'), ...env });
  const json = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = await cli([...args, '--json'], env);
    return { code: result.code, stderr: result.stderr, value: JSON.parse(result.stdout) };
  };
  const check = (asOf: string) => json(['objection', 'check', '--as-of', asOf]);

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_due_recompute');
    const [row] = basePenalties(1, 3801);
    await fx.ingest([writeRows(fx.scratch, 'p.csv', [edit(row!, { 处罚决定日期: '2026-01-02' })])], {
      receivedAt: new Date('2026-01-05T10:00:00+08:00'),
      provider: PROVINCE,
    });
    recordId = (await fx.warehouse('records').first('id')).id;
    const without2026 = holidaysWithout2026(fx.scratch);
    const opened = await json(
      [
        'objection',
        'open',
        String(recordId),
        '--applicant',
        '济南示例有限公司',
        '--reason',
        '处罚有误',
        '--received-at',
        '2026-09-30',
        '--operator',
        '李科员',
      ],
      { CREDIT_ETL_HOLIDAYS_FILE: without2026 },
    );
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.value).toMatchObject({ dueOn: '2026-10-07', dueProvisional: true });
    expect(opened.stderr).toContain('暂不计为逾期；该年数据录入后请运行 credit-etl calendar recompute 重算');
    objectionId = opened.value.id;
  }, 120_000);
  afterAll(async () => fx?.close());

  it('past its provisional due date in the holiday, the objection is not raised as overdue: a warning says 暂定', async () => {
    const during = await check('2026-10-08');
    expect(during.code, during.stderr).toBe(0);
    expect(during.value).toMatchObject({ status: 'completed', overdue: [] });
    expect(during.value.provisional.map((row: { id: number }) => row.id)).toEqual([objectionId]);
    const text = await cli(['objection', 'check', '--as-of', '2026-10-08']);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain('1 件异议已过暂定核查期限');
    expect(text.stderr).toContain(
      `#${objectionId} record ${recordId} (xzcf), received 2026-09-30, due 2026-10-07 暂定`,
    );
    const run = await fx.warehouse('runs').where({ id: during.value.runId }).first('status', 'counts');
    expect(run).toMatchObject({
      status: 'completed',
      counts: { checking: 1, overdue: 0, provisionalPastDue: 1 },
    });
    expect((await json(['objection', 'list', '--overdue', '--as-of', '2026-10-08'])).value).toEqual([]);
    const listed = await cli(['objection', 'list', '--as-of', '2026-10-08']);
    expect(listed.stdout).toContain('2026-10-07（暂定）');
    expect(listed.stdout).toContain('异议处理中 · 暂定期限已过');
    expect((await json(['record', String(recordId)])).value.objection).toMatchObject({
      dueOn: '2026-10-07',
      dueProvisional: true,
    });
  });

  it('`calendar recompute` settles the due date with a logged step; the objection row is never changed', async () => {
    const recomputed = await json(['calendar', 'recompute']);
    expect(recomputed.code, recomputed.stderr).toBe(0);
    expect(recomputed.value.objectionDues).toEqual({
      decided: 1,
      moved: 1,
      stillProvisional: 0,
      changes: [{ objectionId, from: '2026-10-07', to: '2026-10-10' }],
    });
    expect(
      await fx.warehouse('calendar_recomputes').where({ id: recomputed.value.id }).first(),
    ).toMatchObject({
      objection_dues_decided: 1,
      objection_dues_moved: 1,
      objection_dues_still_provisional: 0,
    });
    const shown = await json(['objection', 'show', String(objectionId)]);
    expect(shown.value).toMatchObject({ dueOn: '2026-10-10', dueProvisional: false });
    expect(shown.value.steps.at(-1)).toMatchObject({
      action: 'note',
      stage: 'open',
      note: '暂定核查期限 2026-10-07 按工作日日历重算为 2026-10-10',
      detail: {
        due: 'settled',
        dueOn: '2026-10-10',
        provisionalDueOn: '2026-10-07',
        recomputeId: recomputed.value.id,
      },
    });
    expect(
      await fx.warehouse('objections').where({ id: objectionId }).first('due_on', 'due_provisional'),
    ).toEqual({ due_on: '2026-10-07', due_provisional: true });
    // Every reader takes the settled date: the mark on the record, the list, the check.
    expect((await json(['record', String(recordId)])).value.objection).toMatchObject({
      dueOn: '2026-10-10',
      dueProvisional: false,
    });
    expect((await check('2026-10-09')).value.overdue).toEqual([]);
    expect((await check('2026-10-10')).value.overdue).toEqual([]);
    const after = await check('2026-10-12');
    expect(after.code).toBe(1);
    expect(after.value.overdue.map((row: { id: number }) => row.id)).toEqual([objectionId]);
    expect(after.value.provisional).toEqual([]);
    const overdue = await json(['objection', 'list', '--overdue', '--as-of', '2026-10-12']);
    expect(overdue.value).toMatchObject([{ id: objectionId, dueOn: '2026-10-10', overdue: true }]);
    // Settled once: a second recompute finds nothing; the chain covers the step.
    expect((await json(['calendar', 'recompute'])).value.objectionDues).toMatchObject({ decided: 0 });
    const verify = await cli(['verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('only the recompute settles a due date: a step naming no recompute of its transaction is refused', async () => {
    const settle = {
      action: 'note' as const,
      operator: '张科员',
      detail: { due: 'settled', dueOn: '2026-10-12' },
    };
    const [log] = await fx.warehouse('calendar_recomputes').orderBy('id').pluck('id');
    // The engine (the recompute's role) naming a recompute of another transaction.
    await expect(
      appendObjectionStep(fx.warehouse, objectionId, {
        ...settle,
        detail: { ...settle.detail, recomputeId: log },
      }),
    ).rejects.toThrow(`异议 ${objectionId} 的核查期限只能由 credit-etl calendar recompute 重算`);
    // The officer may write notes, not this one.
    await expect(
      asOfficer(fx.warehouse, (trx) => appendObjectionStep(trx, objectionId, settle)),
    ).rejects.toThrow(`异议 ${objectionId} 的核查期限只能由 credit-etl calendar recompute 重算`);
    // Inside a recompute's transaction, an objection already settled is refused too.
    await expect(
      fx.warehouse.transaction(async (trx) => {
        const [row] = await trx('calendar_recomputes')
          .insert({
            ran_by: 'test@host',
            calendar_file: 'x',
            calendar_version: 'x',
            calendar_years: 'x',
            timeliness_decided: 0,
            timeliness_late: 0,
            timeliness_still_pending: 0,
            deadlines_decided: 0,
            deadlines_moved: 0,
            deadlines_still_provisional: 0,
          })
          .returning('id');
        await appendObjectionStep(trx, objectionId, {
          ...settle,
          detail: { ...settle.detail, recomputeId: (row as { id: number }).id },
        });
      }),
    ).rejects.toThrow(new RegExp(`异议 ${objectionId} 的暂定核查期限已于 .* 重算为 2026-10-10：只重算一次`));
  });
});
