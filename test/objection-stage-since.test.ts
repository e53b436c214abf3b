import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueCell } from '../src/cli/format-objection.ts';
import {
  appendObjectionStep,
  asOfficer,
  insertObjection,
} from '../src/warehouse/objection-log-repository.ts';
import { objectionMarks, objectionRows } from '../src/warehouse/objections-repository.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const at = (date: string) => new Date(`${date}T10:00:00+08:00`);

/**
 * `stageSince` (objection-state-sql.ts STATE): the day the stage of an objection's last step began, whether it is
 * still in progress or decided since: the receipt for the platform's check, the day its `appeal` step was recorded
 * for an appeal, review or lawsuit; never the day a later step decided it.
 */
describe("an objection's stageSince, in progress and decided (objection-state-sql.ts)", () => {
  let fx: WarehouseFixture;
  let recordIds: number[];
  const opening = (recordId: number) => ({
    recordId,
    applicant: '济南示例有限公司',
    reason: '处罚已撤销',
    receivedOn: '2026-11-02',
    dueOn: '2026-11-05',
    channel: 'platform' as const,
    operator: '张科员',
  });
  const step = (objectionId: number, action: 'close' | 'appeal' | 'outcome', stage: 'open' | 'appeal') =>
    asOfficer(fx.warehouse, (trx) =>
      appendObjectionStep(trx, objectionId, {
        action,
        stage,
        ...(action === 'appeal' ? {} : { result: 'rejected' as const }),
        basis: '鲁信用办函〔2026〕1号',
        operator: '张科员',
      }),
    );
  /** Steps are stamped with the clock: the days they would have had, behind the engine's back (triggers off). */
  const backdate = (objectionId: number, days: Record<string, string>) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      for (const [action, day] of Object.entries(days))
        await trx('objection_log')
          .where({ objection_id: objectionId, action })
          .update({ performed_at: at(day) });
    });
  const row = async (id: number) => {
    const [found] = await objectionRows(fx.warehouse, { id });
    if (!found) throw new Error(`objection ${id} not listed`);
    return found;
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('objection_stage_since');
    await fx.ingest([writeRows(fx.scratch, 'd1.csv', basePenalties(2, 1701))], {
      receivedAt: at('2026-11-02'),
    });
    recordIds = (await fx.warehouse('records').orderBy('id').select('id')).map((r: { id: number }) => r.id);
    expect(recordIds).toHaveLength(2);
  });
  afterAll(async () => fx?.close());

  it('an appeal entered 2026-11-06 and decided today began 2026-11-06, not today', async () => {
    const [recordId] = recordIds as [number];
    const id = await asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(recordId)));
    await step(id, 'close', 'open');
    await step(id, 'appeal', 'appeal');
    await backdate(id, { open: '2026-11-02', close: '2026-11-04', appeal: '2026-11-06' });
    expect((await objectionMarks(fx.warehouse, [recordId])).get(recordId)).toMatchObject({
      stage: 'appeal',
      stageSince: '2026-11-06',
    });
    expect(await row(id)).toMatchObject({ stage: 'appeal', inProgress: true, stageSince: '2026-11-06' });

    await step(id, 'outcome', 'appeal'); // today
    const decided = await row(id);
    expect(decided).toMatchObject({
      stage: 'appeal',
      inProgress: false,
      dueOn: '2026-11-05',
      stageSince: '2026-11-06',
    });
    // objection list's due column: the day the appeal began, not the check's due date nor the day it was decided.
    expect(dueCell(decided)).toBe('since 2026-11-06');
  });

  it("a check closed today began on the objection's receipt", async () => {
    const [, recordId] = recordIds as [number, number];
    const id = await asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(recordId)));
    await step(id, 'close', 'open'); // today, long after its receipt
    const closed = await row(id);
    expect(closed).toMatchObject({ stage: 'open', inProgress: false, stageSince: '2026-11-02' });
    expect(dueCell(closed)).toBe('2026-11-05');
  });
});
