import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectionsIn } from '../src/warehouse/rejections-repository.ts';
import type { ReportScope } from '../src/warehouse/scope-filter.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const PROVINCE = { level: 'province', provider: '113700000000000000', receivedAt: RECEIVED } as const;

type Sent = { sql: string; bindings: (string | number)[] };

/**
 * EXPLAIN of each page's statement as rejectionsIn sends it, after the statements it sends before it in the page's
 * transaction (its planner settings), as the engine's role, optionally with a setting of the test's own first.
 */
async function pagePlans(fx: WarehouseFixture, scope: ReportScope, setting?: string): Promise<string[]> {
  const sent: Sent[] = [];
  const listen = (query: Sent) => sent.push(query);
  fx.warehouse.on('query', listen);
  try {
    for await (const _ of rejectionsIn(fx.warehouse, scope));
  } finally {
    fx.warehouse.off('query', listen);
  }
  const plans: string[] = [];
  let before: Sent[] = [];
  for (const query of sent) {
    if (/^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)/i.test(query.sql)) continue;
    if (!query.sql.startsWith('select "r"."id"')) {
      before.push(query);
      continue;
    }
    const page = query;
    const settings = before;
    before = [];
    plans.push(
      await fx.warehouse.transaction(async (trx) => {
        if (setting) await trx.raw(setting);
        for (const statement of settings)
          await trx.raw(statement.sql.replace(/\$\d+/g, '?'), statement.bindings);
        const { rows: lines } = await trx.raw(`EXPLAIN ${page.sql.replace(/\$\d+/g, '?')}`, page.bindings);
        return lines.map((line: { 'QUERY PLAN': string }) => line['QUERY PLAN']).join('\n');
      }),
    );
  }
  return plans;
}

/** A night's report pages through that night's (or file's) rejections only, whatever the nights before left (030). */
describe("a run's rejections, page by page", () => {
  let fx: WarehouseFixture;
  const runIds: number[] = [];

  beforeAll(async () => {
    fx = await openWarehouseFixture('rejection_pages');
    const rows = basePenalties(12, 31);
    // Three nights, each re-sending bad rows: a night's rejections follow the earlier nights' in id order.
    for (const night of [1, 2, 3]) {
      const bad = rows.map((row) => edit(row as PenaltyRow, { 处罚决定日期: `2026-13-${10 + night}` }));
      const run = await fx.ingest([writeRows(fx.scratch, `night-${night}.csv`, bad)], PROVINCE);
      expect(run.counts).toMatchObject({ rejected: 12 });
      runIds.push(run.runId);
      // Statistics taken after the first night only, as a night's report finds them (autovacuum comes later).
      if (night === 1) await fx.owner.raw('ANALYZE rejections');
    }
  });
  afterAll(async () => fx?.close());

  it("lists exactly the run's rejections, in id order", async () => {
    const expected = await fx.owner('rejections').where({ run_id: runIds[1] }).orderBy('id').pluck('id');
    const listed: number[] = [];
    for await (const rejection of rejectionsIn(fx.warehouse, { kind: 'run', runId: runIds[1]! }))
      listed.push(Number(rejection.id));
    expect(listed).toEqual(expected.map(Number));
    expect(listed).toHaveLength(12);
  });

  /** EXPLAIN of the first page's statement as rejectionsIn sends it, with scans made the planner's last resort. */
  const firstPagePlan = async (scope: ReportScope) => {
    const [plan] = await pagePlans(fx, scope, 'SET LOCAL enable_seqscan = off');
    return plan!;
  };

  // Not the primary key from id 0 through every earlier night, nor the whole scope fetched and sorted per page.
  it("starts each page among the run's rejections, read in id order from rejections_run_id", async () => {
    const plan = await firstPagePlan({ kind: 'run', runId: runIds[2]! });
    expect(plan).toMatch(
      /Index Scan using rejections_run_id on rejections r .*\n\s+Index Cond: \(\(run_id = '?\d+'?(::bigint)?\) AND \(id > /,
    );
    expect(plan).not.toMatch(/Sort/);
  });

  it("starts each page among the file's rejections, read in id order from rejections_file_id", async () => {
    const [file] = await fx.owner('source_files').where({ run_id: runIds[2] }).pluck('id');
    const listed: number[] = [];
    for await (const rejection of rejectionsIn(fx.warehouse, { kind: 'file', sourceFileId: Number(file) }))
      listed.push(Number(rejection.id));
    expect(listed).toEqual(
      (await fx.owner('rejections').where({ source_file_id: file }).orderBy('id').pluck('id')).map(Number),
    );
    const plan = await firstPagePlan({ kind: 'file', sourceFileId: Number(file) });
    expect(plan).toMatch(
      /Index Scan using rejections_file_id on rejections r .*\n\s+Index Cond: \(\(source_file_id = '?\d+'?(::bigint)?\) AND \(id > /,
    );
    expect(plan).not.toMatch(/Sort/);
  });
});

/**
 * Right after a big load the table has no statistics yet (autovacuum comes later): the planner guessed a run's
 * rejections at a handful of rows and fetched every remaining one of the run and sorted them, for each page.
 */
describe("a big run's rejections before any statistics", () => {
  let fx: WarehouseFixture;
  let runId: number;
  const COUNT = 3_000;

  beforeAll(async () => {
    fx = await openWarehouseFixture('rejection_pages_unanalyzed');
    // No ANALYZE from autovacuum during the test either: the table stays as a night's report finds it.
    await fx.owner.raw('ALTER TABLE rejections SET (autovacuum_enabled = false)');
    const small = basePenalties(12, 31).map((row) => edit(row as PenaltyRow, { 处罚决定日期: '2026-13-01' }));
    await fx.ingest([writeRows(fx.scratch, 'small.csv', small)], PROVINCE);
    const big = basePenalties(COUNT, 32).map((row) =>
      edit(row as PenaltyRow, { 处罚决定日期: '2026-13-02' }),
    );
    const run = await fx.ingest([writeRows(fx.scratch, 'big.csv', big)], PROVINCE);
    expect(run.counts).toMatchObject({ rejected: COUNT });
    runId = run.runId;
    const [stats] = await fx.owner('pg_class').where({ relname: 'rejections' }).pluck('reltuples');
    expect(Number(stats)).toBe(-1);
  });
  afterAll(async () => fx?.close());

  it("reads every page in id order from rejections_run_id, never the run's rest fetched and sorted", async () => {
    const listed: number[] = [];
    for await (const rejection of rejectionsIn(fx.warehouse, { kind: 'run', runId }))
      listed.push(Number(rejection.id));
    const expected = await fx.owner('rejections').where({ run_id: runId }).orderBy('id').pluck('id');
    expect(listed).toEqual(expected.map(Number));
    const plans = await pagePlans(fx, { kind: 'run', runId });
    expect(plans).toHaveLength(Math.floor(COUNT / 1000) + 1);
    for (const plan of plans) {
      expect(plan).toMatch(/Index Scan using rejections_run_id on rejections r/);
      expect(plan).not.toMatch(/Sort|Bitmap/);
    }
  });

  it("leaves the caller's transaction as it found it (a notice reads the pages inside its own)", async () => {
    const setting = await fx.warehouse.transaction(async (trx) => {
      for await (const _ of rejectionsIn(trx, { kind: 'run', runId }));
      const { rows } = await trx.raw(`SELECT current_setting('enable_sort') AS value`);
      return rows[0].value;
    });
    expect(setting).toBe('on');
  });
});
