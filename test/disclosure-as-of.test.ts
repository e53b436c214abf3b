import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { periodEnd } from '../src/disclosure/civil-dates.ts';
import { correctRecord, reattributeRecord, withdrawRecord } from '../src/procedures/legal-procedures.ts';
import { findRecords } from '../src/records/record-history.ts';
import { asOfficer, insertObjection } from '../src/warehouse/objection-log-repository.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * A past day (`--as-of`) is judged as it stood at that day's end (Asia/Shanghai): an objection being handled
 * then is labelled (Art. 18 ¶2), a record withdrawn or corrected by a later procedure shows its status and
 * version of then, a record not yet in the warehouse is not shown. Everything below happens today; the past day is
 * the one before, and the records were delivered the day before that: a test cannot wait two days, so their first
 * versions' time (the database's stamp) is set back behind the engine's back.
 */
const today = todayInShanghai();
const yesterday = dayBefore(today);
const decided = periodEnd(today, -2);
const GROUNDS = { basis: '鲁济市监撤〔2026〕9号', reason: '依法办理', operator: '王科员' };

function dayBefore(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

describe('disclosure on a past day: the state of that day', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(6, 2026);
  const penalty = (i: number, decision: string) =>
    edit(rows[i] as PenaltyRow, {
      行政处罚决定书文号: decision,
      处罚类别: '罚款',
      处罚决定日期: decided,
      公示截止期: '',
    });
  const disputed = penalty(0, '鲁济市监罚〔2026〕5101号');
  const withdrawn = penalty(1, '鲁济市监罚〔2026〕5102号');
  const corrected = penalty(2, '鲁济市监罚〔2026〕5103号');
  const reattributed = penalty(3, '鲁济市监罚〔2026〕5104号');
  const cli = (args: string[]) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });
  const idOf = async (decision: string) => {
    const found = await findRecords(fx.warehouse, decision);
    expect(found).toHaveLength(1);
    return found[0]!.id;
  };
  const disclosure = async (id: number, asOf?: string) => {
    const shown = await cli(['record', String(id), ...(asOf ? ['--as-of', asOf] : []), '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    return JSON.parse(shown.stdout).disclosure;
  };
  const report = async (asOf: string) => {
    const out = path.join(fx.scratch, `disclosure-${asOf}.json`);
    const done = await cli(['report', 'disclosure', '--as-of', asOf, '--out', out]);
    expect(done.code, done.stderr).toBe(0);
    return JSON.parse(readFileSync(out, 'utf8'));
  };
  const reported = (shown: { records: Array<{ fields: Record<string, string> }> }, decision: string) =>
    shown.records.find((r) => r.fields.CF_WSH === decision);

  beforeAll(async () => {
    fx = await openWarehouseFixture('disclosure_as_of');
    const summary = await fx.ingest([
      writeRows(fx.scratch, 'd.csv', [disputed, withdrawn, corrected, reattributed]),
    ]);
    expect(summary.counts.inserted).toBe(4);
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica'); // triggers off: delivered two days ago
      await trx.raw(`UPDATE record_versions SET created_at = created_at - interval '2 days'`);
    });
    // Received the day before, closed (rejected) today.
    const objectionId = await asOfficer(fx.warehouse, async (trx) =>
      insertObjection(trx, {
        recordId: await idOf('鲁济市监罚〔2026〕5101号'),
        applicant: '济南示例有限公司',
        reason: '罚款金额有误',
        receivedOn: yesterday,
        dueOn: today,
        channel: 'platform',
        operator: '王科员',
      }),
    );
    const closed = await cli([
      'objection',
      'close',
      String(objectionId),
      '--result',
      'rejected',
      '--note',
      '经核查，异议不成立',
      '--basis',
      '鲁信用办函〔2026〕21号',
      '--operator',
      '王科员',
    ]);
    expect(closed.code, closed.stderr).toBe(0);
    await withdrawRecord(fx.warehouse, await idOf('鲁济市监罚〔2026〕5102号'), GROUNDS);
    // 警告 without a 公示截止期: 轻微, not shown (原则上不公示) from today on.
    await correctRecord(
      fx.warehouse,
      fx.catalog,
      await idOf('鲁济市监罚〔2026〕5103号'),
      ['处罚类别=警告'],
      GROUNDS,
    );
  }, 120_000);
  afterAll(async () => fx?.close());

  it('an objection being handled that day labels the record 异议处理中 in record and report disclosure', async () => {
    const id = await idOf('鲁济市监罚〔2026〕5101号');
    const then = await disclosure(id, yesterday);
    expect(then).toMatchObject({ state: 'objection', asOf: yesterday });
    expect(then.label).toMatch(/^异议处理中（异议 #\d+，/);
    const shown = await report(yesterday);
    expect(reported(shown, '鲁济市监罚〔2026〕5101号')).toMatchObject({
      state: 'objection',
      objection: expect.stringMatching(/^异议处理中/),
    });
    // Closed today: no label now.
    expect(await disclosure(id)).toMatchObject({ state: 'disclosed', asOf: today });
    expect(reported(await report(today), '鲁济市监罚〔2026〕5101号')).toMatchObject({ state: 'disclosed' });
  }, 120_000);

  it('a record withdrawn by a later procedure is shown on the day before, and not from the day of withdrawal', async () => {
    const id = await idOf('鲁济市监罚〔2026〕5102号');
    expect(await disclosure(id, yesterday)).toMatchObject({ state: 'disclosed' });
    expect(reported(await report(yesterday), '鲁济市监罚〔2026〕5102号')).toMatchObject({
      state: 'disclosed',
    });
    expect(await disclosure(id)).toMatchObject({ state: 'not-disclosed', reason: 'withdrawn' });
    const now = await report(today);
    expect(reported(now, '鲁济市监罚〔2026〕5102号')).toBeUndefined();
    expect(now.counts.withdrawn).toBe(1);
  }, 120_000);

  it('a record reattributed today shows under its old subject the day before, the new record not at all', async () => {
    const old = await idOf('鲁济市监罚〔2026〕5104号');
    const done = await reattributeRecord(
      fx.warehouse,
      fx.catalog,
      old,
      makeUscc('91', '370102', 2_026_104),
      [],
      GROUNDS,
    );
    const created = done.newRecordId!;
    const then = await report(yesterday);
    const shown = (id: number) => then.records.find((r: { recordId: number }) => r.recordId === id);
    expect(shown(old)).toMatchObject({ state: 'disclosed' });
    expect(shown(created)).toBeUndefined();
    expect(then.counts.records).toBe(4);
    expect(await disclosure(created, yesterday)).toMatchObject({
      state: 'not-disclosed',
      reason: 'not-recorded',
      label: '不公示：当日尚无此记录',
    });
    expect(await disclosure(old, yesterday)).toMatchObject({ state: 'disclosed' });
    // Today: the new record in its place.
    const now = await report(today);
    expect(now.records.find((r: { recordId: number }) => r.recordId === created)).toMatchObject({
      state: 'disclosed',
    });
    expect(now.records.find((r: { recordId: number }) => r.recordId === old)).toBeUndefined();
  }, 120_000);

  it('a record corrected by a later procedure is judged by the version current that day', async () => {
    const id = await idOf('鲁济市监罚〔2026〕5103号');
    const then = await disclosure(id, yesterday);
    expect(then).toMatchObject({ state: 'disclosed', period: { severity: '一般', severityValue: '罚款' } });
    expect(reported(await report(yesterday), '鲁济市监罚〔2026〕5103号')?.fields.CF_CFLB).toBe('罚款');
    expect(await disclosure(id)).toMatchObject({ state: 'not-disclosed', reason: 'minor' });
    expect(reported(await report(today), '鲁济市监罚〔2026〕5103号')).toBeUndefined();
  }, 120_000);
});
