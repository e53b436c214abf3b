import path from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import * as objectionsWaitForWithdrawal from '../migrations/042-objections-wait-for-withdrawal.ts';
import { createLogger } from '../src/log/logger.ts';
import { closeObjection } from '../src/objections/objection-workflow.ts';
import { type Grounds, supersedeRecord, withdrawRecord } from '../src/procedures/legal-procedures.ts';
import { ingestUnits, type RunSummary } from '../src/run/ingest-files.ts';
import type { WithdrawalSignals } from '../src/run/withdrawal-signals.ts';
import { connectWarehouse, type Warehouse } from '../src/warehouse/connect-warehouse.ts';
import {
  appendObjectionStep,
  asOfficer,
  insertObjection,
  type NewObjection,
} from '../src/warehouse/objection-log-repository.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { until } from './support/until.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = '11370000MB2852362M'; // 山东省 in config/providers.json
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const GROUNDS: Grounds = { basis: '鲁信用办函〔2026〕42号', reason: '异议核查', operator: '张科员' };
const REFUSED = (recordId: number) =>
  new RegExp(`记录 ${recordId} 不存在或已不是现行记录（已撤销或被取代）：不能对其提出异议`);
const WITHDRAW: WithdrawalSignals = { status: { column: '当前状态', values: ['撤销'] } };

/** A gate a transaction waits at before it commits: `reached` once it is there, `release()` lets it commit. */
function gate() {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { reached, reach, released, release };
}

/**
 * Migration 042: an objection is registered only on a record that is current once the registration holds the
 * record's row, so one registered while the record is being withdrawn or superseded waits for that procedure and is
 * refused when it commits (docs: "A withdrawn or superseded record takes no new objection"). Two real connections
 * each time: the procedure's transaction is held open until the registration is seen waiting for its lock
 * (pg_stat_activity), then committed.
 */
describe('an objection registered while its record is being withdrawn (042-objections-wait-for-withdrawal.ts)', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  /** The officer's `objection open` on connections of its own, beside the procedure's. */
  let desk: Warehouse;
  let records: number[];
  const rows: PenaltyRow[] = basePenalties(20, 4201)
    .filter((row) => row.行政相对人类别 !== '自然人')
    .slice(0, 8)
    .map((row, i) =>
      edit(row, {
        行政处罚决定书文号: `鲁济市监罚〔2026〕42${String(i).padStart(2, '0')}号`,
        处罚决定日期: '2026-01-02',
      }),
    );
  // Row 4 is row 3's company under another decision number: a legitimate supersede (056 takes only the same
  // information: the same subject, or the same decision number).
  rows[4] = edit(rows[4]!, {
    行政相对人名称: rows[3]!.行政相对人名称!,
    '行政相对人代码_1(统一社会信用代码)': rows[3]!['行政相对人代码_1(统一社会信用代码)']!,
    法定代表人: rows[3]!.法定代表人!,
    法定代表人证件号码: rows[3]!.法定代表人证件号码!,
  });
  const opening = (recordId: number): NewObjection => ({
    recordId,
    applicant: '济南示例有限公司',
    reason: '处罚已撤销',
    receivedOn: '2026-11-02',
    dueOn: '2026-11-05',
    channel: 'platform',
    operator: '李科员',
  });
  /** What `objection open` does: the objection and its open step, in one transaction, as the officer. */
  const register = (recordId: number) => asOfficer(desk, (trx) => insertObjection(trx, opening(recordId)));
  const objectionsOn = async (recordId: number) =>
    (await fx.warehouse('objections').where({ record_id: recordId }).orderBy('id').pluck('id')) as number[];
  /** Resolves once a backend of this database runs `query…` and waits for a lock. */
  const waitingForLock = (what: string, query: string) =>
    until(
      what,
      async () => {
        const { rows: waiting } = await fx.owner.raw<{ rows: { pid: number }[] }>(
          `SELECT pid FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE ?
             AND cardinality(pg_blocking_pids(pid)) > 0`,
          [`${query}%`],
        );
        return waiting.length > 0 ? true : undefined;
      },
      { everyMs: 50 },
    );
  const registrationWaits = () =>
    waitingForLock('the registration to wait for the record', 'INSERT INTO objections');

  /** Runs `work` as the officer in a transaction that commits only once released. */
  const heldAsOfficer = <T>(work: (trx: Knex.Transaction) => Promise<T>) => {
    const held = gate();
    const committed = asOfficer(fx.warehouse, async (trx) => {
      const done = await work(trx);
      held.reach();
      await held.released;
      return done;
    });
    return { ...held, committed };
  };
  /** A delivery of `file` whose unit's transaction commits only once released. */
  const heldDelivery = async (file: string, withdrawals?: WithdrawalSignals) => {
    const held = gate();
    const unit = {
      ...(await localFileUnit(file, at('2026-11-03'))),
      beforeCommit: async () => {
        held.reach();
        await held.released;
      },
    };
    const logger = createLogger({ logFile: path.join(fx.scratch, 'held.log'), console: false });
    const committed: Promise<RunSummary> = ingestUnits(
      fx.warehouse,
      fx.catalog,
      {
        units: [unit],
        catalog: 'xzcf',
        providerCode: PROVINCE,
        level: 'province',
        encoding: 'auto',
        ...(withdrawals ? { withdrawals } : {}),
      },
      logger,
    );
    return { ...held, committed };
  };
  /** The registration, started once `held` holds the record and seen waiting for it; then `held` commits. */
  const registerAcross = async (held: { reached: Promise<void>; release(): void }, recordId: number) => {
    try {
      await held.reached;
      const registering = register(recordId);
      registering.catch(() => undefined);
      await registrationWaits();
      return { registering };
    } finally {
      held.release();
    }
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('objections_wait_for_withdrawal');
    desk = connectWarehouse(fx.url, { poolSize: 2 });
    await fx.ingest([writeRows(fx.scratch, 'w1.csv', rows)], {
      receivedAt: at('2026-01-05'),
      provider: PROVINCE,
    });
    records = (await fx.warehouse('records').orderBy('id').pluck('id')) as number[];
    expect(records).toHaveLength(rows.length);
  }, 120_000);
  afterAll(async () => {
    await desk?.destroy();
    await fx?.close();
  });

  it("is refused once an officer's withdrawal (procedure withdraw) commits", async () => {
    const recordId = records[0]!;
    const withdrawal = heldAsOfficer((trx) => withdrawRecord(trx, recordId, GROUNDS));
    const { registering: registered } = await registerAcross(withdrawal, recordId);
    await expect(registered).rejects.toThrow(REFUSED(recordId));
    await withdrawal.committed;
    expect(await fx.warehouse('records').where({ id: recordId }).first('status')).toEqual({
      status: 'withdrawn',
    });
    expect(await objectionsOn(recordId)).toEqual([]);
  });

  it("is refused once a sibling objection's upheld result withdraws the record (close --withdraw)", async () => {
    const recordId = records[1]!;
    const first = await register(recordId);
    // What `objection close <first> --result upheld --withdraw` does, in its one transaction.
    const closing = heldAsOfficer(async (trx) => {
      const { procedureId } = await withdrawRecord(trx, recordId, GROUNDS);
      await appendObjectionStep(trx, first, {
        action: 'close',
        result: 'upheld',
        procedureId,
        basis: GROUNDS.basis,
        note: '经核查，异议成立',
        operator: GROUNDS.operator,
        detail: { remedy: 'withdraw' },
      });
    });
    const { registering: registered } = await registerAcross(closing, recordId);
    await expect(registered).rejects.toThrow(REFUSED(recordId));
    await closing.committed;
    expect(await objectionsOn(recordId)).toEqual([first]);
  });

  it("is refused once a provider's 撤销 delivery commits (provider_withdraw_delivered)", async () => {
    const recordId = records[2]!;
    const file = writeRows(
      fx.scratch,
      'w2-withdraw.csv',
      [edit(rows[2]!, { 当前状态: '撤销' })],
      [...PENALTY_HEADER, '当前状态'],
    );
    const delivery = await heldDelivery(file, WITHDRAW);
    const { registering: registered } = await registerAcross(delivery, recordId);
    await expect(registered).rejects.toThrow(REFUSED(recordId));
    const summary = await delivery.committed;
    expect(summary.counts).toMatchObject({ read: 1, withdrawn: 1 });
    expect(await fx.warehouse('records').where({ id: recordId }).first('status')).toEqual({
      status: 'withdrawn',
    });
    expect(await objectionsOn(recordId)).toEqual([]);
  });

  it('is refused once a supersede commits; the record that supersedes it takes one', async () => {
    // The same company's penalty under a corrected decision number (rows[4]).
    const [oldId, newId] = [records[3]!, records[4]!];
    const supersede = heldAsOfficer((trx) => supersedeRecord(trx, oldId, newId, GROUNDS));
    const { registering: registered } = await registerAcross(supersede, oldId);
    await expect(registered).rejects.toThrow(REFUSED(oldId));
    await supersede.committed;
    expect(await objectionsOn(oldId)).toEqual([]);
    const onNew = await register(newId);
    expect(await objectionsOn(newId)).toEqual([onNew]);
  });

  it('registered first, it stands: the withdrawal waits for it, and the objection cites that withdrawal', async () => {
    const recordId = records[5]!;
    const registration = gate();
    const registered = asOfficer(desk, async (trx) => {
      const id = await insertObjection(trx, opening(recordId));
      registration.reach();
      await registration.released;
      return id;
    });
    let withdrawal: ReturnType<typeof withdrawRecord> | undefined;
    try {
      await registration.reached;
      withdrawal = withdrawRecord(fx.warehouse, recordId, GROUNDS);
      withdrawal.catch(() => undefined);
      await waitingForLock('the withdrawal to wait for the registration', 'SELECT procedure_withdraw(');
    } finally {
      registration.release();
    }
    const objectionId = await registered;
    const { procedureId } = await withdrawal!;
    const closed = await closeObjection(fx.warehouse, fx.catalog, objectionId, {
      result: 'upheld',
      basis: GROUNDS.basis,
      note: '登记后记录已撤销',
      operator: GROUNDS.operator,
      remedy: { kind: 'procedure', procedureId },
    });
    expect(closed.objection).toMatchObject({
      id: objectionId,
      inProgress: false,
      lastProcedureId: procedureId,
    });
  });

  it('a delivery that only moves the record to a newer version holds up no registration', async () => {
    const recordId = records[6]!;
    const file = writeRows(fx.scratch, 'w3-update.csv', [edit(rows[6]!, { 违法事实: '更正后的违法事实' })]);
    const delivery = await heldDelivery(file);
    let objectionId: number;
    try {
      // The unit has moved the record to its new version and holds the row until it commits: the registration
      // does not wait for it (no FOR SHARE), the record being current either way.
      await delivery.reached;
      objectionId = await register(recordId);
    } finally {
      delivery.release();
    }
    expect((await delivery.committed).counts).toMatchObject({ read: 1, updated: 1 });
    expect(await objectionsOn(recordId)).toEqual([objectionId]);
  });

  it('`down` restores the check in the statement snapshot (and drops the function), `up` the locked one', async () => {
    const state = async () => {
      const { rows: found } = await fx.owner.raw<{
        rows: {
          trigger: string;
          fn: string | null;
          owner: string | null;
          officer: boolean;
          loader: boolean;
        }[];
      }>(
        `SELECT pg_get_functiondef('objections_write'::regproc) AS trigger,
                p.oid::regprocedure::text AS fn, pg_get_userbyid(p.proowner) AS owner,
                coalesce(has_function_privilege('credit_etl_officer', p.oid, 'EXECUTE'), false) AS officer,
                coalesce(has_function_privilege('credit_etl_loader', p.oid, 'EXECUTE'), false) AS loader
         FROM (SELECT 1) one
         LEFT JOIN pg_proc p ON p.proname = 'objection_record_status'
           AND p.pronamespace = current_schema()::regnamespace`,
      );
      return found[0]!;
    };
    const locked = await state();
    expect(locked).toMatchObject({
      fn: 'objection_record_status(bigint)',
      owner: 'credit_etl_procedure',
      officer: true,
      loader: true,
    });
    expect(locked.trigger).toContain('objection_record_status(NEW.record_id)');
    await fx.owner.transaction((trx) => objectionsWaitForWithdrawal.down(trx));
    const snapshot = await state();
    expect(snapshot).toMatchObject({ fn: null, officer: false, loader: false });
    expect(snapshot.trigger).toContain(
      "NOT EXISTS (SELECT 1 FROM records WHERE id = NEW.record_id AND status = 'current')",
    );
    await fx.owner.transaction((trx) => objectionsWaitForWithdrawal.up(trx));
    expect(await state()).toEqual(locked);
    // Still refused as before for a record already withdrawn.
    await expect(register(records[0]!)).rejects.toThrow(REFUSED(records[0]!));
  });
});
