import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { createLogger, type Logger } from '../src/log/logger.ts';
import { correctRecord, type Grounds } from '../src/procedures/legal-procedures.ts';
import { findRecords } from '../src/records/record-history.ts';
import { UncheckedEntries } from '../src/verify/stored-entry.ts';
import { verifyFileDigests } from '../src/verify/verify-file-digests.ts';
import { verifyHistory } from '../src/verify/verify-history.ts';
import { verifyKeys } from '../src/verify/verify-keys.ts';
import { verifyRepairs } from '../src/verify/verify-repairs.ts';
import { verifyTimeliness } from '../src/verify/verify-timeliness.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import type { Warehouse } from '../src/warehouse/connect-warehouse.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVINCE = { level: 'province', provider: '113700000000000000' } as const;
const STATUS = '当前状态';
const SIGNALS = { status: { column: STATUS, values: ['撤销'], objection: ['异议'] } };
const HEADER = [...PENALTY_HEADER, STATUS];
const PAGES_WITH_LOADS = 8;
const GROUNDS: Grounds = {
  basis: '鲁信用办函〔2026〕41号',
  reason: '提供单位书面确认原数据有误',
  operator: '张科员',
};

/**
 * `verify` runs nightly (CREDIT_ETL_VERIFY_CRON) while loads commit. Each of its checks compares what it compares
 * within one statement (a record with its versions and lineage, a file with its digest, a log's chain, a record's
 * state with the procedure that set it): PostgreSQL reads a statement with one snapshot, so a load committing
 * between two statements, or between two pages of one, is either wholly seen by a check or not at all. Here a real
 * load (new records, updates, a withdrawal through the procedure log, a provider's objection through the objection
 * log) and a legal correction commit before each statement verify runs, and before each page of its paged checks:
 * nothing may be reported. A check split over two statements would report the load as tampering here.
 */
describe('verify while loads commit between its reads', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  let logger: Logger;
  const all = basePenalties(1200, 4242);
  const row = (i: number): PenaltyRow => ({ ...(all[i] as PenaltyRow), [STATUS]: '正常' });
  let loads = 0;
  let fresh = 80;

  /**
   * One nightly load and one officer's correction, committed: two records updated, one withdrawn by its provider
   * (a procedure_log entry) and, `withNew`, three new records and one the provider reports an objection to (an
   * objection_log step).
   */
  const loadAndCorrect = async (withNew: boolean) => {
    loads += 1;
    const updated = [row((loads * 2) % 40), row((loads * 2 + 1) % 40)].map((r) =>
      edit(r, { 处罚内容: `警告（第${loads}次更正）` }),
    );
    const added = withNew ? [row(fresh), row(fresh + 1), row(fresh + 2)] : [];
    const objected = withNew ? [{ ...row(fresh + 3), [STATUS]: '异议' }] : [];
    const withdrawn = { ...row(40 + (loads % 20)), [STATUS]: '撤销' };
    fresh += 4;
    const file = writeRows(
      fx.scratch,
      `load-${loads}.csv`,
      [...updated, ...added, ...objected, withdrawn],
      HEADER,
    );
    const summary = await fx.ingest([file], { ...PROVINCE, withdrawals: SIGNALS, receivedAt: new Date() });
    expect(summary.counts).toMatchObject({
      updated: 2,
      inserted: added.length + objected.length,
      rejected: 0,
    });
    const [record] = await findRecords(fx.warehouse, row(60 + (loads % 20)).行政处罚决定书文号!);
    if (record?.status === 'current')
      await correctRecord(fx.warehouse, fx.catalog, record.id, [`备注=第${loads}次更正`], GROUNDS);
  };

  /**
   * The engine's warehouse, with a load committed before each statement verify sends (`raw`): before the first
   * run of each statement text, and with `everyPage` before each of its next pages too, up to PAGES_WITH_LOADS (a
   * keyset reads on past what its last page saw: a load before every page would keep it going), new records only
   * the first time.
   */
  const loadingBefore = (warehouse: Warehouse, everyPage: boolean): Warehouse => {
    const runs = new Map<string, number>();
    return new Proxy(warehouse, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'raw') return value;
        return async (...args: unknown[]) => {
          const statement = String(args[0]);
          const run = (runs.get(statement) ?? 0) + 1;
          runs.set(statement, run);
          if (run === 1 || (everyPage && run <= PAGES_WITH_LOADS)) await loadAndCorrect(run === 1);
          return (value as (...raw: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_during_load');
    logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
    const first = await fx.ingest(
      [
        writeRows(
          fx.scratch,
          'd0.csv',
          all.slice(0, 80).map((_, i) => row(i)),
          HEADER,
        ),
      ],
      { ...PROVINCE, withdrawals: SIGNALS },
    );
    expect(first.counts).toMatchObject({ inserted: 80 });
    const clean = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect([clean.status, clean.records, clean.files]).toEqual(['completed', [], []]);
  });
  afterAll(async () => fx?.close());

  it('reports nothing when a load commits before each of its statements', async () => {
    const before = loads;
    const found = await verifyWarehouse(loadingBefore(fx.warehouse, false), fx.catalog, {}, logger);
    expect([found.status, found.records, found.files]).toEqual(['completed', [], []]);
    // The loads were read: the first ran before the first page of records, and so were counted with it.
    expect(loads - before).toBeGreaterThan(15);
    expect(found.counts.records).toBeGreaterThan(80);
    expect(await fx.warehouse('procedure_log').where({ kind: 'withdraw' }).count('* as n')).not.toEqual([
      { n: 0 },
    ]);
    expect(await fx.warehouse('objections').count('* as n')).not.toEqual([{ n: 0 }]);
    expect(await fx.warehouse('procedure_log').where({ kind: 'correct' }).count('* as n')).not.toEqual([
      { n: 0 },
    ]);
  });

  it('reports nothing when a load commits before each page of its paged checks', async () => {
    const loading = loadingBefore(fx.warehouse, true);
    const scope = {};
    const findings = [];
    for await (const page of verifyHistory(loading, scope, 10)) findings.push(...page.findings);
    for await (const page of verifyFileDigests(loading, scope, 5)) findings.push(...page.findings);
    for await (const page of verifyKeys(loading, fx.catalog, scope, 10)) findings.push(...page.findings);
    for await (const page of verifyRepairs(loading, fx.catalog, scope, new UncheckedEntries(), 2))
      findings.push(...page.findings);
    for await (const page of verifyTimeliness(loading, fx.catalog, scope, undefined, 25))
      findings.push(...page.findings);
    expect(findings).toEqual([]);
    expect(loads).toBeGreaterThan(40);
    const after = await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
    expect([after.status, after.records, after.files]).toEqual(['completed', [], []]);
  });
});
