import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRecords } from '../src/records/record-history.ts';
import {
  appendObjectionStep,
  asOfficer,
  insertObjection,
} from '../src/warehouse/objection-log-repository.ts';
import { objectionMarks, objectionRows } from '../src/warehouse/objections-repository.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const at = (date: string) => new Date(`${date}T10:00:00+08:00`);

describe('objections in the warehouse (013-objections.ts)', () => {
  let fx: WarehouseFixture;
  let recordIds: number[];
  const opening = (recordId: number, channel: 'platform' | 'provider') => ({
    recordId,
    applicant: '济南示例有限公司',
    reason: '处罚已撤销',
    receivedOn: '2026-11-02',
    dueOn: '2026-11-05',
    channel,
    operator: '张科员',
  });

  beforeAll(async () => {
    fx = await openWarehouseFixture('objections_schema');
    await fx.ingest([writeRows(fx.scratch, 'd1.csv', basePenalties(3, 1601))], {
      receivedAt: at('2026-11-02'),
    });
    recordIds = (await fx.warehouse('records').orderBy('id').select('id')).map((r: { id: number }) => r.id);
    expect(recordIds).toHaveLength(3);
    void findRecords;
  });
  afterAll(async () => fx?.close());

  it('the engine (loader) opens only a provider-reported objection; the officer opens any', async () => {
    const [a, b] = recordIds as [number, number];
    await expect(insertObjection(fx.warehouse, opening(a, 'platform'))).rejects.toThrow(
      /only open an objection a provider reported/,
    );
    const provided = await insertObjection(fx.warehouse, opening(a, 'provider'));
    const platform = await asOfficer(fx.warehouse, (trx) => insertObjection(trx, opening(b, 'platform')));
    const marks = await objectionMarks(fx.warehouse, recordIds);
    expect([...marks.entries()]).toEqual([
      [
        a,
        {
          objectionId: provided,
          stage: 'open',
          receivedOn: '2026-11-02',
          dueOn: '2026-11-05',
          dueProvisional: false,
          stageSince: '2026-11-02',
        },
      ],
      [
        b,
        {
          objectionId: platform,
          stage: 'open',
          receivedOn: '2026-11-02',
          dueOn: '2026-11-05',
          dueProvisional: false,
          stageSince: '2026-11-02',
        },
      ],
    ]);
    await expect(
      appendObjectionStep(fx.warehouse, provided, {
        action: 'close',
        result: 'rejected',
        basis: 'x',
        operator: 'y',
      }),
    ).rejects.toThrow(/an officer decides it/);
    await asOfficer(fx.warehouse, (trx) =>
      appendObjectionStep(trx, provided, {
        action: 'close',
        result: 'rejected',
        basis: '鲁信用办函〔2026〕1号',
        operator: '张科员',
      }),
    );
    expect([...(await objectionMarks(fx.warehouse, recordIds)).keys()]).toEqual([b]);
    await expect(
      asOfficer(fx.warehouse, (trx) =>
        appendObjectionStep(trx, provided, { action: 'appeal', stage: 'lawsuit', basis: 'x', operator: 'y' }),
      ),
    ).rejects.toThrow(/对申诉结果有异议/);
    await asOfficer(fx.warehouse, (trx) =>
      appendObjectionStep(trx, provided, {
        action: 'appeal',
        stage: 'appeal',
        basis: '申诉书',
        operator: 'y',
      }),
    );
    expect((await objectionMarks(fx.warehouse, [a])).get(a)?.stage).toBe('appeal');
    const rows = await objectionRows(fx.warehouse, { status: 'appeal' });
    expect(rows.map((r) => r.id)).toEqual([provided]);
    expect(rows[0]?.providerCode).toBe('113700000000000000');
    await expect(fx.owner.raw('UPDATE objection_log SET note = ?', ['x'])).rejects.toThrow(/append-only/);
    await expect(fx.owner.raw('DELETE FROM objections')).rejects.toThrow(/append-only/);
    await expect(fx.owner.raw('TRUNCATE objection_log CASCADE')).rejects.toThrow(/append-only/);
  });
});
