import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { formatRecordView } from '../src/cli/commands/record-command.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { type Grounds, withdrawRecord } from '../src/procedures/legal-procedures.ts';
import { recordDetails } from '../src/records/record-details.ts';
import { findRecords } from '../src/records/record-history.ts';
import { recordView } from '../src/records/record-view.ts';
import { subjectDiffersNote } from '../src/records/subject-differs.ts';
import { noticeRows } from '../src/report/notice-rows.ts';
import { createNotice } from '../src/report/notices.ts';
import { reportMasker } from '../src/report/report-columns.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import type { WithdrawalSignals } from '../src/run/withdrawal-signals.ts';
import { providerPeriodCounts } from '../src/warehouse/quality-repository.ts';
import { outcomeSum } from './support/cli-pipeline-fixture.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { warehouseState } from './support/warehouse-state.ts';
import { withEnv } from './support/with-env.ts';

/**
 * Two silent outcomes a review found (docs/warehouse.md "Outcomes and precedence"), each through the default path
 * (the fast path of re-deliveries where it can) and the full path (CREDIT_ETL_FAST_REDELIVERY=0), which must agree:
 *  1. a delivery filing a key under another subject (个体工商户 behind the placeholder USCC, told apart by the
 *     工商注册号 that is not in xzcf's key) was `updated`, moving a penalty into another business's archive;
 *  2. a withdrawn record re-delivered as live data with the content it was withdrawn with was `unchanged` (or
 *     `merged`), staying withdrawn with no signal.
 * Both are conflicts now: not applied, kept, shown by `record`, listed in review notices.
 */

const PROVINCE = { level: 'province', provider: '113700000000000000' } as const;
const CITY = { level: 'city', provider: '113701000000000000' } as const;
type Channel = typeof PROVINCE | typeof CITY;

const USCC = '行政相对人代码_1(统一社会信用代码)';
const REG_NUMBER = '行政相对人代码_2(工商注册号)';
const DECISION = '行政处罚决定书文号';
const PLACEHOLDER = '00000000000000000X';
/** 工商注册号 with their check digits; none reads as a 15-digit ID (digits 7–12 no date), so none is ever masked. */
const FIRST_BUSINESS = '440301103448669';
const OTHER_BUSINESS = '370202600543216';
const CITY_BUSINESS = '370302600777775';
const DELETED = 'del_flag';
const SOFT_DELETE: WithdrawalSignals = { softDelete: { column: DELETED, values: ['1'] } };
const GROUNDS: Grounds = { basis: '鲁信用办函〔2026〕21号', reason: '复核撤销', operator: '张科员' };

type Step =
  | { name: string; channel: Channel; rows: PenaltyRow[]; softDelete?: boolean }
  | { procedure: (fx: WarehouseFixture) => Promise<void> };

const day = (n: number) => new Date(`2026-11-${String(10 + n).padStart(2, '0')}T10:00:00+08:00`);

/** The same steps into two warehouses: the default ingest, and every row on the full path. */
async function deliverBothWays(label: string, steps: Step[]) {
  const [fast, full] = await Promise.all([
    openWarehouseFixture(`${label}_fast`),
    openWarehouseFixture(`${label}_full`),
  ]);
  try {
    const fastRuns = await deliverAll(fast, steps);
    const fullRuns = await withEnv({ CREDIT_ETL_FAST_REDELIVERY: '0' }, () => deliverAll(full, steps));
    return { fast, full, fastRuns, fullRuns };
  } catch (error) {
    await Promise.all([fast.close(), full.close()]);
    throw error;
  }
}

async function deliverAll(fx: WarehouseFixture, steps: Step[]): Promise<Map<string, RunSummary>> {
  const runs = new Map<string, RunSummary>();
  for (const step of steps) {
    if ('procedure' in step) {
      await step.procedure(fx);
      continue;
    }
    const file = writeRows(
      fx.scratch,
      step.name,
      step.rows.map((row) => edit(row, { [DELETED]: row[DELETED] ?? '0' })),
      step.softDelete ? [...PENALTY_HEADER, DELETED] : PENALTY_HEADER,
    );
    // Blank lines make every file's bytes its own (the sha256 ledger skips a file delivered twice).
    appendFileSync(file, '\r\n'.repeat(runs.size + 1));
    runs.set(
      step.name,
      await fx.ingest([file], {
        ...step.channel,
        receivedAt: day(runs.size),
        ...(step.softDelete ? { withdrawals: SOFT_DELETE } : {}),
      }),
    );
  }
  return runs;
}

/** A generated legal person turned into a 个体工商户 behind the placeholder USCC, told by its 工商注册号. */
const soleTrader = (row: PenaltyRow, regNumber: string, name: string): PenaltyRow =>
  edit(row, {
    行政相对人类别: '个体工商户',
    [USCC]: PLACEHOLDER,
    [REG_NUMBER]: regNumber,
    行政相对人名称: name,
  });

const rotate = <T>(list: T[], by: number) => [...list.slice(by), ...list.slice(0, by)];

const countsOf = (runs: Map<string, RunSummary>, name: string) => {
  const run = runs.get(name);
  if (!run) throw new Error(`no file ${name}`);
  return run.files[0]!.counts;
};

/** The one record of a decision number, with its subject, status and number of versions. */
async function recordOf(fx: WarehouseFixture, decision: string) {
  const [found] = await findRecords(fx.warehouse, decision);
  if (!found) throw new Error(`no record for ${decision}`);
  const versions = await fx.warehouse('record_versions').where({ record_id: found.id }).count({ n: '*' });
  return {
    id: found.id,
    subject: found.subjectCode,
    status: found.status,
    versions: Number(versions[0]!.n),
  };
}

/** Every file of both ways: the same counts, and every row read ends in one outcome. */
function expectSameCountsBothWays(fastRuns: Map<string, RunSummary>, fullRuns: Map<string, RunSummary>) {
  expect([...fastRuns.keys()]).toEqual([...fullRuns.keys()]);
  for (const [name, run] of fastRuns) {
    const counts = run.files[0]!.counts;
    expect(counts, name).toEqual(countsOf(fullRuns, name));
    expect(outcomeSum(counts as unknown as Record<string, number>), name).toBe(counts.read);
  }
}

describe('a delivery naming another subject for a key: a conflict on both paths, the record keeps its subject', () => {
  const rows = basePenalties(8, 41);
  // Row 0: a 个体工商户 behind the placeholder; `moved`: another business, same 处罚机关 and 文书号, so the same key.
  const first = soleTrader(rows[0]!, FIRST_BUSINESS, '泉城区示例小吃店');
  const moved = soleTrader(rows[0]!, OTHER_BUSINESS, '历下区另一家五金店');
  const base = [first, ...rows.slice(1, 6)];
  // A record the city holds, and the province's row naming another business for it.
  const cityOwn = soleTrader(rows[6]!, CITY_BUSINESS, '槐荫区示例理发店');
  const cityOwnMoved = soleTrader(rows[6]!, OTHER_BUSINESS, '历下区另一家五金店');
  const without = (list: PenaltyRow[], row: PenaltyRow) => list.filter((r) => r !== row);
  const steps: Step[] = [
    { name: 's1-first.csv', channel: PROVINCE, rows: base },
    { name: 's2-same.csv', channel: PROVINCE, rows: rotate(base, 2) },
    { name: 'c1-city-own.csv', channel: CITY, rows: [cityOwn] },
    // The province over the city's record: a higher channel, but another subject.
    { name: 's3-over-city.csv', channel: PROVINCE, rows: [...base, cityOwnMoved] },
    // In one file: the key twice, the second row naming another subject.
    { name: 's4-both-in-file.csv', channel: PROVINCE, rows: [...rotate(base, 1), moved] },
    // The other subject first (a conflict against the record), then the record's own row (in-file, rejected).
    { name: 's5-moved-first.csv', channel: PROVINCE, rows: [moved, ...without(base, first), first] },
    { name: 'c2-city-moved.csv', channel: CITY, rows: [moved] },
    // Night after night the province sends the other business: a conflict each night, never applied.
    { name: 's6-moved.csv', channel: PROVINCE, rows: [moved, ...rotate(without(base, first), 1)] },
    { name: 's7-moved-again.csv', channel: PROVINCE, rows: [...rotate(without(base, first), 2), moved] },
  ];
  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: Map<string, RunSummary>;
  let fullRuns: Map<string, RunSummary>;

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBothWays('subject_moved', steps));
  }, 240_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('judges the row naming another subject a conflict, from any channel, never updated, on both paths', () => {
    expectSameCountsBothWays(fastRuns, fullRuns);
    const counts = (name: string) => countsOf(fastRuns, name);
    expect(counts('s1-first.csv')).toMatchObject({ read: 6, inserted: 6 });
    expect(counts('s2-same.csv')).toMatchObject({ read: 6, unchanged: 6 });
    expect(counts('c1-city-own.csv')).toMatchObject({ read: 1, inserted: 1 });
    expect(counts('s3-over-city.csv')).toMatchObject({ read: 7, unchanged: 6, conflict: 1, updated: 0 });
    expect(counts('s4-both-in-file.csv')).toMatchObject({ read: 7, unchanged: 6, rejected: 1, updated: 0 });
    expect(counts('s5-moved-first.csv')).toMatchObject({
      read: 7,
      conflict: 1,
      unchanged: 5,
      rejected: 1,
      updated: 0,
    });
    expect(counts('c2-city-moved.csv')).toMatchObject({ read: 1, conflict: 1 });
    for (const name of ['s6-moved.csv', 's7-moved-again.csv'])
      expect(counts(name), name).toMatchObject({ read: 6, conflict: 1, unchanged: 5, updated: 0 });
    // The fast path took the province's re-delivered rows, and only those.
    expect(fastRuns.get('s2-same.csv')!.files[0]!.fastRows).toBe(6);
    expect(fastRuns.get('s7-moved-again.csv')!.files[0]!.fastRows).toBeGreaterThan(0);
  });

  it("keeps each record under its own subject, one version, both ways: no penalty moves to another's archive", async () => {
    for (const fx of [fast, full]) {
      expect(await recordOf(fx, first[DECISION]!)).toMatchObject({
        subject: FIRST_BUSINESS,
        status: 'current',
        versions: 1,
      });
      expect(await recordOf(fx, cityOwn[DECISION]!)).toMatchObject({
        subject: CITY_BUSINESS,
        status: 'current',
        versions: 1,
      });
      const [current] = await fx
        .warehouse('records as r')
        .join('record_versions as v', 'v.id', 'r.current_version_id')
        .where('r.subject_code', FIRST_BUSINESS)
        .select('v.data', 'v.subject_code');
      expect(current).toMatchObject({
        subject_code: FIRST_BUSINESS,
        data: { CF_XDR_GSZC: FIRST_BUSINESS, CF_XDR_MC: '泉城区示例小吃店' },
      });
      expect(await fx.warehouse('records').where('subject_code', OTHER_BUSINESS)).toEqual([]);
    }
    const [fastState, fullState] = await Promise.all([
      warehouseState(fast.warehouse),
      warehouseState(full.warehouse),
    ]);
    expect(fastState).toEqual(fullState);
  });

  it('rejects the second subject of a key in one file with its own code and a message naming both subjects', async () => {
    for (const fx of [fast, full]) {
      const rejected = await fx
        .warehouse('rejections as j')
        .join('source_files as f', 'f.id', 'j.source_file_id')
        .whereIn('f.name', ['s4-both-in-file.csv', 's5-moved-first.csv'])
        .orderBy('f.id')
        .select('f.name', 'j.row_number', 'j.errors');
      expect(
        rejected.map((row) => [row.name, row.row_number, row.errors.map((e: { code: string }) => e.code)]),
      ).toEqual([
        ['s4-both-in-file.csv', 8, ['subject-differs-in-batch']],
        ['s5-moved-first.csv', 8, ['subject-differs-in-batch']],
      ]);
      const [inFile, movedFirst] = rejected.map((row) => row.errors[0]);
      expect(inFile).toMatchObject({ field: '*', value: '7' });
      // s4: the record's own row came first (row 7 after the rotation), the other business last.
      expect(inFile.message).toBe(
        `与第7行的业务主键相同，但行政相对人不同：本行的主体代码为"${OTHER_BUSINESS}"，第7行的主体代码为"${FIRST_BUSINESS}"。` +
          '同一决定文书号在该业务主键下不能同时归属两个主体，本行未入库（第7行按正常规则处理）：请勿直接删除，请与平台联系，核实该文书号应归属的主体',
      );
      expect(movedFirst.message).toContain(
        `本行的主体代码为"${FIRST_BUSINESS}"，第2行的主体代码为"${OTHER_BUSINESS}"`,
      );
      expect(movedFirst.message).not.toContain('删除重复行');
    }
  });

  it('`record` shows each such conflict, pending, with the reason in Chinese naming both subject codes', async () => {
    const reason = subjectDiffersNote(OTHER_BUSINESS, FIRST_BUSINESS);
    expect(reason).toContain('主体不一致');
    for (const fx of [fast, full]) {
      const { id } = await recordOf(fx, first[DECISION]!);
      const details = (await recordDetails(fx.warehouse, fx.catalog, id, todayInShanghai()))!;
      const conflicts = details.view.lineage.filter((source) => source.outcome === 'conflict');
      // s5, s6, s7 from the province, c2 from the city.
      expect(conflicts).toHaveLength(4);
      for (const conflict of conflicts) expect(conflict.note).toBe(reason);
      // The province holds the record, yet its latest word disagrees: pending, as the city's is.
      expect(details.view.disagreements.map((d) => [d.level, d.status, d.reason]).sort()).toEqual([
        ['city', 'pending', reason],
        ['province', 'pending', reason],
      ]);
      const page = formatRecordView(details.view, details.entry);
      expect(page).toContain(reason);
      expect(page).toContain(`subject ${FIRST_BUSINESS}`);

      // The province's row for the city's record: the higher channel's conflict, pending too.
      const city = await recordOf(fx, cityOwn[DECISION]!);
      const cityDetails = (await recordDetails(fx.warehouse, fx.catalog, city.id, todayInShanghai()))!;
      expect(cityDetails.view.disagreements.map((d) => [d.level, d.status, d.reason])).toEqual([
        ['province', 'pending', subjectDiffersNote(OTHER_BUSINESS, CITY_BUSINESS)],
      ]);
    }
  });

  it('lists every such conflict in the review notice, saying first that the subject differs, with both codes', async () => {
    for (const fx of [fast, full]) {
      const notice = await createNotice(fx.warehouse, fx.catalog, {
        providerCode: PROVINCE.provider,
        scope: { kind: 'provider', providerCode: PROVINCE.provider, from: '2026-11-01', to: '2026-11-30' },
        issuedOn: '2026-11-30',
        operator: '李科员',
      });
      const listed = [];
      for await (const row of noticeRows(fx.warehouse, fx.catalog, notice.id)) listed.push(row);
      const conflicts = listed.filter((row) => row.kind === 'conflict');
      // s3's row over the city's record, and the other business in s5, s6 and s7: one entry a delivery, as any
      // conflict sent again.
      expect(conflicts.map((row) => [row.file, row.errors[0]?.code])).toEqual([
        ['s3-over-city.csv', 'record-subject-differs'],
        ['s5-moved-first.csv', 'record-subject-differs'],
        ['s6-moved.csv', 'record-subject-differs'],
        ['s7-moved-again.csv', 'record-subject-differs'],
      ]);
      expect(conflicts[0]!.errors[0]!.message).toContain(
        `本次报送的主体代码"${OTHER_BUSINESS}"与该记录的主体代码"${CITY_BUSINESS}"不一致`,
      );
      expect(conflicts[1]!.errors[0]!.message).toContain(
        `本次报送的主体代码"${OTHER_BUSINESS}"与该记录的主体代码"${FIRST_BUSINESS}"不一致`,
      );
      // Not "another provider of the level holds it": the province holds the record itself.
      expect(conflicts[1]!.errors.map((error) => error.code)).not.toContain('record-of-another-provider');
      const masker = reportMasker(fx.catalog, false, 'provider');
      const shown = masker.error('xzcf', conflicts[1]!.errors[0]!, conflicts[1]!.raw, conflicts[1]!.current);
      expect(shown.message).toContain(OTHER_BUSINESS);
      expect(shown.message).toContain(FIRST_BUSINESS);
      const rejected = listed.filter((row) => row.kind === 'rejected');
      expect(rejected.map((row) => [row.file, row.errors[0]?.code, row.businessKey !== null])).toEqual([
        ['s4-both-in-file.csv', 'subject-differs-in-batch', true],
        ['s5-moved-first.csv', 'subject-differs-in-batch', true],
      ]);
    }
  });
});

describe('a withdrawn record re-delivered as live data: a conflict on both paths, the record stays withdrawn', () => {
  const rows = basePenalties(5, 43);
  const [a, b, , d] = rows as [PenaltyRow, PenaltyRow, PenaltyRow, PenaltyRow, PenaltyRow];
  const flagged = (row: PenaltyRow) => edit(row, { [DELETED]: '1' });
  const steps: Step[] = [
    // The province's 前置库 table with a soft-delete flag; the city re-delivers two of its records.
    { name: 'n1-first.csv', channel: PROVINCE, rows, softDelete: true },
    { name: 'c1-city.csv', channel: CITY, rows: [a, b] },
    { name: 'c2-city-same.csv', channel: CITY, rows: [b, a] },
    { name: 'n2-a-deleted.csv', channel: PROVINCE, rows: [flagged(a), ...rows.slice(1)], softDelete: true },
    // The flag cleared again, the row as it was: not brought back, not a silent re-delivery.
    { name: 'n3-a-again.csv', channel: PROVINCE, rows: rotate(rows, 1), softDelete: true },
    { name: 'n4-a-again.csv', channel: PROVINCE, rows: rotate(rows, 2), softDelete: true },
    // The city's cache predates the withdrawal (full path), then is kept after it (its rows recognised).
    { name: 'c3-city-after.csv', channel: CITY, rows: [a, b] },
    { name: 'c4-city-after.csv', channel: CITY, rows: [b, a] },
    { name: 'c5-city-after.csv', channel: CITY, rows: [a, b] },
    // An officer withdraws d: the province's next rows of it are conflicts too.
    {
      procedure: async (fx) => {
        await withdrawRecord(fx.warehouse, (await recordOf(fx, d[DECISION]!)).id, GROUNDS);
      },
    },
    { name: 'n5-after-procedure.csv', channel: PROVINCE, rows: rotate(rows, 3), softDelete: true },
  ];
  let fast: WarehouseFixture;
  let full: WarehouseFixture;
  let fastRuns: Map<string, RunSummary>;
  let fullRuns: Map<string, RunSummary>;

  beforeAll(async () => {
    ({ fast, full, fastRuns, fullRuns } = await deliverBothWays('withdrawn_again', steps));
  }, 240_000);
  afterAll(async () => Promise.all([fast?.close(), full?.close()]));

  it('counts every delivery of a withdrawn record a conflict, never unchanged or merged, on both paths', async () => {
    expectSameCountsBothWays(fastRuns, fullRuns);
    const counts = (name: string) => countsOf(fastRuns, name);
    expect(counts('n1-first.csv')).toMatchObject({ read: 5, inserted: 5 });
    expect(counts('c1-city.csv')).toMatchObject({ read: 2, merged: 2 });
    expect(counts('c2-city-same.csv')).toMatchObject({ read: 2, unchanged: 2 });
    expect(counts('n2-a-deleted.csv')).toMatchObject({ read: 5, withdrawn: 1, unchanged: 4 });
    for (const name of ['n3-a-again.csv', 'n4-a-again.csv'])
      expect(counts(name), name).toMatchObject({ read: 5, conflict: 1, unchanged: 4, merged: 0 });
    for (const name of ['c3-city-after.csv', 'c4-city-after.csv', 'c5-city-after.csv'])
      expect(counts(name), name).toMatchObject({ read: 2, conflict: 1, unchanged: 1, merged: 0 });
    expect(counts('n5-after-procedure.csv')).toMatchObject({ read: 5, conflict: 2, unchanged: 3 });
    // The city's re-deliveries were recognised before the withdrawal and after it, all but the withdrawn record.
    const fastRows = (name: string) => fastRuns.get(name)!.files[0]!.fastRows;
    expect(fastRows('c2-city-same.csv')).toBe(2);
    expect(fastRows('c4-city-after.csv')).toBe(1);
    expect(fastRows('c5-city-after.csv')).toBe(1);
    // Not brought back, both ways: the records stay withdrawn with the one version they had.
    for (const fx of [fast, full]) {
      expect(await recordOf(fx, a[DECISION]!)).toMatchObject({ status: 'withdrawn', versions: 1 });
      expect(await recordOf(fx, d[DECISION]!)).toMatchObject({ status: 'withdrawn', versions: 1 });
      expect(await recordOf(fx, b[DECISION]!)).toMatchObject({ status: 'current', versions: 1 });
    }
    const [fastState, fullState] = await Promise.all([
      warehouseState(fast.warehouse),
      warehouseState(full.warehouse),
    ]);
    expect(fastState).toEqual(fullState);
  });

  it('shows the conflicts in `record` and in the review notice, which says the record was withdrawn', async () => {
    for (const fx of [fast, full]) {
      const { id } = await recordOf(fx, a[DECISION]!);
      const details = (await recordDetails(fx.warehouse, fx.catalog, id, todayInShanghai()))!;
      expect(details.view.status).toBe('withdrawn');
      const conflicts = details.view.lineage.filter((source) => source.outcome === 'conflict');
      expect(conflicts.map((source) => [source.fileName, source.note?.startsWith('not applied')])).toEqual([
        ['n3-a-again.csv', true],
        ['n4-a-again.csv', true],
        ['c3-city-after.csv', true],
        ['c4-city-after.csv', true],
        ['c5-city-after.csv', true],
        ['n5-after-procedure.csv', true],
      ]);
      const notice = await createNotice(fx.warehouse, fx.catalog, {
        providerCode: PROVINCE.provider,
        scope: { kind: 'provider', providerCode: PROVINCE.provider, from: '2026-11-01', to: '2026-11-30' },
        issuedOn: '2026-11-30',
        operator: '李科员',
      });
      const listed = [];
      for await (const row of noticeRows(fx.warehouse, fx.catalog, notice.id)) listed.push(row);
      // One entry a night the province sent the withdrawn row, as for any conflict sent again; no field differs.
      expect(listed.map((row) => [row.kind, row.file, row.errors.map((error) => error.code)])).toEqual([
        ['conflict', 'n3-a-again.csv', ['record-withdrawn']],
        ['conflict', 'n4-a-again.csv', ['record-withdrawn']],
        ['conflict', 'n5-after-procedure.csv', ['record-withdrawn']],
        ['conflict', 'n5-after-procedure.csv', ['record-withdrawn']],
      ]);
      expect(listed[0]!.errors[0]!.message).toMatch(
        /^该记录已依法定程序撤销（依据：.*n2-a-deleted\.csv.*），本次报送未采用/,
      );
      expect(listed[2]!.errors[0]!.message + listed[3]!.errors[0]!.message).toContain(GROUNDS.basis);
    }
  });

  it('counts in the quality bulletin the first such conflict as new, its nightly repeats as re-deliveries', async () => {
    for (const fx of [fast, full]) {
      const [province] = (
        await providerPeriodCounts(fx.warehouse, '2026-11-01', '2026-11-30', 'province')
      ).filter((counts) => counts.provider_code === PROVINCE.provider);
      // n1 inserted 5; n2 withdrew a (new); n3's conflict is new (the province had withdrawn a); n4's is the same
      // row sent again, as is n5's (and n5's d: the content the province always sent); every unchanged row too.
      expect(province).toMatchObject({ sources: 7, accepted: 6, conflicts: 1, redelivered: 18, rejected: 0 });
      const [city] = (await providerPeriodCounts(fx.warehouse, '2026-11-01', '2026-11-30', 'city')).filter(
        (counts) => counts.provider_code === CITY.provider,
      );
      // The city's rows of a are what it always sent: re-deliveries, before the withdrawal and after.
      expect(city).toMatchObject({ sources: 2, accepted: 2, conflicts: 0, redelivered: 8 });
    }
  });
});

describe('the subject reason masks a person’s number, as every other message does', () => {
  it('masks a resident ID subject code in the `record` note and in a notice message, never a 工商注册号', async () => {
    const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
    const entry = catalog.entries.find((candidate) => candidate.code === 'xzcf' && candidate.version === 3);
    const person = '37160219680525249X';
    const base = basePenalties(1, 47)[0]!;
    const current = {
      CF_XDR_LB: '自然人',
      CF_XDR_MC: '张三',
      CF_XDR_ZJLX: '身份证',
      CF_XDR_ZJHM: person,
      CF_WSH: base[DECISION]!,
    };
    // A delivery that would file the person's decision under a business (not a row validation lets through in
    // xzcf, whose key holds the ID number: the masking is what is checked).
    const delivered = {
      ...current,
      CF_XDR_LB: '个体工商户',
      CF_XDR_SHDM: PLACEHOLDER,
      CF_XDR_GSZC: FIRST_BUSINESS,
    };
    const at = new Date('2026-11-20T10:00:00+08:00');
    const view = recordView(
      {
        record: {
          id: 1,
          catalogCode: 'xzcf',
          businessKey: `x\u001f${base[DECISION]}\u001f\u001f${person}`,
          subjectCode: person,
          level: 'province',
          currentVersionId: 1,
          status: 'current',
          supersededBy: null,
          statusProcedureId: null,
          createdAt: at,
          updatedAt: at,
        },
        versions: [
          {
            id: 1,
            versionNo: 1,
            data: current,
            contentHash: 'a',
            catalogVersion: 3,
            formationDate: null,
            sourceFileId: 1,
            fileName: 'f.csv',
            rowNumber: 2,
            runId: 1,
            procedureId: null,
            createdAt: at,
          },
        ],
        sources: [
          {
            id: 2,
            versionId: null,
            outcome: 'conflict',
            runId: 2,
            sourceFileId: 2,
            fileName: 'g.csv',
            rowNumber: 2,
            providerCode: PROVINCE.provider,
            level: 'province',
            contentHash: 'b',
            conflictData: delivered,
            receivedAt: at,
            late: false,
            workingDays: 1,
            createdAt: at,
          },
        ],
        unchanged: [],
        procedures: [],
        supersededBy: undefined,
      },
      entry,
    );
    const note = view.lineage[0]!.note!;
    expect(note).toBe(subjectDiffersNote(FIRST_BUSINESS, '3716**********249X'));
    expect(JSON.stringify(view)).not.toContain(person);
    const masker = reportMasker(catalog, false, 'provider');
    const message = `本次报送的主体代码"${FIRST_BUSINESS}"与该记录的主体代码"${person}"不一致：同一业务主键的记录不能经报送改归另一主体`;
    const shown = masker.error('xzcf', { field: '*', message }, {}, current).message;
    expect(shown).toContain(FIRST_BUSINESS);
    expect(shown).not.toContain(person);
  });
});
