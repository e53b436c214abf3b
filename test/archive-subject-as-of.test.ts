import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { periodEnd } from '../src/disclosure/civil-dates.ts';
import { appealObjection, closeObjection, openObjection } from '../src/objections/objection-workflow.ts';
import { correctRecord, reattributeRecord, withdrawRecord } from '../src/procedures/legal-procedures.ts';
import { findRecords } from '../src/records/record-history.ts';
import { asOfficer, insertObjection } from '../src/warehouse/objection-log-repository.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * `subject <code> --as-of <past day>` and `record <id> --as-of <past day>` show the subject as it stood at that
 * day's end (docs/objections-and-disclosure.md, Disclosure states): the records current then, under the subject
 * they had then, each with its version and objection mark of then, and only the records retired by then.
 * Everything below happens today; the past day is the one before, and the records were delivered the day before
 * that: a test cannot wait two days, so their first versions' time (the database's stamp) is set back behind the
 * engine's back (as disclosure-as-of.test.ts does), and so is one withdrawal's.
 */
const today = todayInShanghai();
const yesterday = dayBefore(today);
const decided = periodEnd(today, -2);
const COMPANY = makeUscc('91', '370102', 7_700_001);
const OTHER = makeUscc('91', '370102', 7_700_002);
const GROUNDS = { basis: '鲁济市监撤〔2026〕9号', reason: '依法办理', operator: '王科员' };

function dayBefore(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

interface ShownRecord {
  recordId: number;
  versionNo: number;
  data: Record<string, unknown>;
  disclosure: { state: string; asOf: string } | null;
  objection: { objectionId: number; stage: string } | null;
}
interface ShownArchive {
  asOf: string;
  groups: Array<{ records: ShownRecord[] }>;
  retired: Array<{
    recordId: number;
    status: string;
    objection: { objectionId: number; stage: string } | null;
  }>;
}

describe('a subject and its records on a past day: as they stood at its end', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(6, 2026);
  const penalty = (i: number, decision: string) =>
    edit(rows[i] as PenaltyRow, {
      行政相对人名称: '济南历下示例餐饮有限公司',
      行政相对人类别: '法人及非法人组织',
      '行政相对人代码_1(统一社会信用代码)': COMPANY,
      证件类型: '',
      证件号码: '',
      行政处罚决定书文号: decision,
      处罚类别: '罚款',
      处罚内容: '罚款人民币1万元',
      处罚决定日期: decided,
      公示截止期: '',
    });
  const DECISIONS = {
    withdrawn: '鲁济市监罚〔2026〕5201号',
    reattributed: '鲁济市监罚〔2026〕5202号',
    corrected: '鲁济市监罚〔2026〕5203号',
    objectionToday: '鲁济市监罚〔2026〕5204号',
    objectionYesterday: '鲁济市监罚〔2026〕5205号',
    retiredYesterday: '鲁济市监罚〔2026〕5206号',
  } as const;
  const ids = {} as Record<keyof typeof DECISIONS, number>;
  const objections = {} as Record<'today' | 'yesterday' | 'retired', number>;
  let then: ShownArchive;
  let now: ShownArchive;

  const cli = async (args: string[]) => {
    const done = await runCli(args, {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    });
    expect(done.code, done.stderr).toBe(0);
    return JSON.parse(done.stdout);
  };
  const records = (archive: ShownArchive) => archive.groups.flatMap((group) => group.records);
  const shown = (archive: ShownArchive, id: number) => records(archive).find((r) => r.recordId === id);

  beforeAll(async () => {
    fx = await openWarehouseFixture('archive_subject_as_of');
    const summary = await fx.ingest([
      writeRows(
        fx.scratch,
        'd.csv',
        Object.values(DECISIONS).map((decision, i) => penalty(i, decision)),
      ),
    ]);
    expect(summary.counts.inserted).toBe(6);
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica'); // triggers off: delivered two days ago
      await trx.raw(`UPDATE record_versions SET created_at = created_at - interval '2 days'`);
    });
    for (const [name, decision] of Object.entries(DECISIONS)) {
      const found = await findRecords(fx.warehouse, decision);
      expect(found).toHaveLength(1);
      ids[name as keyof typeof DECISIONS] = found[0]!.id;
    }
    await withdrawRecord(fx.warehouse, ids.withdrawn, GROUNDS);
    await reattributeRecord(fx.warehouse, fx.catalog, ids.reattributed, OTHER, [], GROUNDS);
    await correctRecord(fx.warehouse, fx.catalog, ids.corrected, ['处罚内容=罚款人民币2万元'], GROUNDS);
    const opening = {
      applicant: '济南历下示例餐饮有限公司',
      reason: '罚款金额有误',
      channel: 'platform',
      operator: '王科员',
    } as const;
    objections.today = (
      await openObjection(fx.warehouse, { ...opening, recordId: ids.objectionToday, receivedOn: today })
    ).objection.id;
    objections.yesterday = await asOfficer(fx.warehouse, async (trx) =>
      insertObjection(trx, {
        ...opening,
        recordId: ids.objectionYesterday,
        receivedOn: yesterday,
        dueOn: today,
      }),
    );
    // Received today, rejected, the record then withdrawn by a procedure of its own, and the rejection appealed
    // (申诉): the retired record is marked again today. (A result that itself withdrew the record leaves nothing to
    // appeal.) Its withdrawal is set back a day: retired yesterday, and not marked then (the objection came today).
    const retired = await openObjection(fx.warehouse, {
      ...opening,
      recordId: ids.retiredYesterday,
      receivedOn: today,
    });
    objections.retired = retired.objection.id;
    await closeObjection(fx.warehouse, fx.catalog, objections.retired, {
      result: 'rejected',
      basis: '鲁信用办函〔2026〕16号',
      note: '经核查，异议不成立',
      operator: '王科员',
    });
    await withdrawRecord(fx.warehouse, ids.retiredYesterday, GROUNDS);
    await appealObjection(fx.warehouse, objections.retired, {
      stage: 'appeal',
      basis: '申诉〔2026〕1号',
      note: '当事人申诉',
      operator: '王科员',
    });
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw(
        `UPDATE procedure_log SET performed_at = performed_at - interval '1 day' WHERE record_id = ? AND kind = 'withdraw'`,
        [ids.retiredYesterday],
      );
    });
    then = await cli(['subject', COMPANY, '--as-of', yesterday, '--json']);
    now = await cli(['subject', COMPANY, '--json']);
  }, 600_000);
  afterAll(async () => fx?.close());

  it('lists the records current that day: one withdrawn or reattributed since is there, under its old subject', () => {
    expect(then.asOf).toBe(yesterday);
    expect(records(then).map((r) => r.recordId)).toEqual(
      [ids.withdrawn, ids.reattributed, ids.corrected, ids.objectionToday, ids.objectionYesterday].sort(
        (a, b) => b - a,
      ),
    );
    for (const id of [ids.withdrawn, ids.reattributed]) {
      expect(shown(then, id)?.disclosure).toMatchObject({ state: 'disclosed', asOf: yesterday });
    }
    // Today: withdrawn, reattributed (the new record is the other subject's), retired.
    expect(records(now).map((r) => r.recordId)).toEqual(
      [ids.corrected, ids.objectionToday, ids.objectionYesterday].sort((a, b) => b - a),
    );
  });

  it("shows that day's version beside that day's disclosure, not today's", () => {
    expect(shown(then, ids.corrected)).toMatchObject({ versionNo: 1, data: { CF_NR: '罚款人民币1万元' } });
    expect(shown(now, ids.corrected)).toMatchObject({ versionNo: 2, data: { CF_NR: '罚款人民币2万元' } });
  });

  it('lists as no longer current only the records retired by that day', () => {
    expect(then.retired.map((r) => r.recordId)).toEqual([ids.retiredYesterday]);
    expect(now.retired.map((r) => r.recordId).sort()).toEqual(
      [ids.withdrawn, ids.reattributed, ids.retiredYesterday].sort(),
    );
  });

  it("marks the records, retired ones too, with that day's objections: one received today is not shown for yesterday", () => {
    expect(shown(then, ids.objectionToday)?.objection).toBeNull();
    expect(shown(now, ids.objectionToday)?.objection).toMatchObject({ objectionId: objections.today });
    expect(shown(then, ids.objectionYesterday)?.objection).toMatchObject({
      objectionId: objections.yesterday,
    });
    expect(then.retired[0]?.objection).toBeNull();
    expect(now.retired.find((r) => r.recordId === ids.retiredYesterday)?.objection).toMatchObject({
      objectionId: objections.retired,
      stage: 'appeal',
    });
  });

  it("`record --as-of` marks the record with that day's objection", async () => {
    const before = await cli(['record', String(ids.objectionToday), '--as-of', yesterday, '--json']);
    expect(before.objection).toBeNull();
    expect(before.disclosure).toMatchObject({ state: 'disclosed', asOf: yesterday });
    const after = await cli(['record', String(ids.objectionToday), '--json']);
    expect(after.objection).toMatchObject({ objectionId: objections.today });
    const received = await cli(['record', String(ids.objectionYesterday), '--as-of', yesterday, '--json']);
    expect(received.objection).toMatchObject({ objectionId: objections.yesterday });
  }, 120_000);
});
