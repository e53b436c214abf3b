import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../src/run/ingest-files.ts';
import type { Warehouse } from '../src/warehouse/connect-warehouse.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';
import { warehouseState } from './support/warehouse-state.ts';
import { withEnv } from './support/with-env.ts';

const PROVINCE = { level: 'province', provider: '113700000000000000' } as const;
const CITY = { level: 'city', provider: '113701000000000000' } as const;
const CONTENT = '处罚内容';
const day = (n: number) => new Date(`2026-11-${String(10 + n).padStart(2, '0')}T10:00:00+08:00`);
/**
 * Rows between two early merges in the warehouse that merges while reading. A range closes after the batch that
 * reaches it: with these, a range for every batch the reader takes.
 */
const EVERY = '100';

type Channel = typeof PROVINCE | typeof CITY;
interface Step {
  name: string;
  channel: Channel;
  rows: PenaltyRow[];
  thresholds?: { maxRejectRate: number; maxRejected: number | null };
}

async function deliverAll(fx: WarehouseFixture, steps: Step[]): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  for (const step of steps) {
    const file = writeRows(fx.scratch, step.name, step.rows);
    runs.push(
      await fx.ingest([file], {
        ...step.channel,
        receivedAt: day(runs.length),
        ...(step.thresholds ? { thresholds: step.thresholds } : {}),
      }),
    );
  }
  return runs;
}

const unit = (runs: RunSummary[], name: string) => {
  const found = runs.flatMap((run) => run.files).find((file) => file.name === name);
  if (!found) throw new Error(`no file ${name}`);
  return found;
};

/** Each loaded file's stored digest is what its lineage and summary hash to now. */
async function digestsHold(warehouse: Warehouse): Promise<boolean> {
  const { rows } = await warehouse.raw<{ rows: { ok: boolean }[] }>(
    `SELECT digest = source_file_digest(id) AS ok FROM source_files WHERE status = 'loaded'`,
  );
  return rows.length > 0 && rows.every((row) => row.ok);
}

describe('merging while reading against merging at the end', { timeout: 120_000 }, () => {
  const all = basePenalties(3700);
  // A local file is read in 256 KB pieces, ~2,000 of these rows a batch: the first file makes two ranges, and its
  // repeated, duplicated and bad-then-good keys have their first rows in the first range and the others in the second.
  const base = all.slice(0, 2400);
  const fresh = all.slice(2400, 3200);
  const cityOnly = all.slice(3200, 3500);
  const invalid = (row: PenaltyRow) => edit(row, { 处罚决定日期: '2025-02-30' });
  // The first file: rows repeated and duplicated a range after their first, bad rows among them, and a key whose
  // first row is bad and a good one a range later (the good one is its first valid row: inserted).
  const first = [
    ...base.slice(0, 50),
    invalid(base[50]!),
    ...base.slice(51, 2100),
    base[10]!,
    ...base.slice(2100, 2200),
    edit(base[20]!, { [CONTENT]: '罚款人民币20万元（同一文件另一内容）' }),
    base[50]!,
    ...base.slice(2201),
    invalid(all[3650]!),
  ];
  // The city: some of the province's records (equal, changed: merged and conflicts) and records of its own.
  const city = [
    ...base.slice(100, 400).map((row, i) => (i % 10 === 0 ? edit(row, { [CONTENT]: `市级内容${i}` }) : row)),
    ...cityOnly,
  ];
  // The province again: one row in ten corrected, new keys spread through the file, and the city's records
  // taken over (updated: the province ranks above the city).
  const second = [
    ...base.flatMap((row, i) => [
      i % 10 === 3 ? edit(row, { [CONTENT]: `罚款人民币${i}万元（更正）` }) : row,
      ...(i % 3 === 0 ? [fresh[i / 3]!] : []),
    ]),
    ...cityOnly.slice(0, 120).map((row, i) => edit(row, { [CONTENT]: `省级内容${i}` })),
  ];
  // Over its thresholds: held back whole, though it was merged early (read again without).
  const refusedNew = all.slice(3500, 3550);
  const refused = [...refusedNew, ...all.slice(3560, 3600).map(invalid), ...fresh.slice(750)];
  const steps = (): Step[] => [
    { name: 'p01-first.csv', channel: PROVINCE, rows: first },
    { name: 'c01-city.csv', channel: CITY, rows: city },
    { name: 'p02-second.csv', channel: PROVINCE, rows: second },
    {
      name: 'p03-refused.csv',
      channel: PROVINCE,
      rows: refused,
      thresholds: { maxRejectRate: 0.2, maxRejected: null },
    },
    { name: 'p04-after-refused.csv', channel: PROVINCE, rows: [...refusedNew, ...second] },
  ];

  let early: WarehouseFixture;
  let late: WarehouseFixture;
  let earlyRuns: RunSummary[];
  let lateRuns: RunSummary[];
  beforeAll(async () => {
    [early, late] = await Promise.all([
      openWarehouseFixture('merge_while_reading_early'),
      openWarehouseFixture('merge_while_reading_late'),
    ]);
    // Both on the full path (no re-delivery fast path), so every file is staged and merged.
    earlyRuns = await withEnv(
      { CREDIT_ETL_FAST_REDELIVERY: '0', CREDIT_ETL_MERGE_WHILE_READING: EVERY },
      () => deliverAll(early, steps()),
    );
    lateRuns = await withEnv({ CREDIT_ETL_FAST_REDELIVERY: '0', CREDIT_ETL_MERGE_WHILE_READING: '0' }, () =>
      deliverAll(late, steps()),
    );
  });
  afterAll(async () => {
    await Promise.all([early?.close(), late?.close()]);
  });

  it('merges the new keys of each file while reading it, and none when it is off', () => {
    expect(unit(earlyRuns, 'p01-first.csv').mergedWhileReading).toBeGreaterThan(2000);
    expect(unit(earlyRuns, 'c01-city.csv').mergedWhileReading).toBeGreaterThan(250);
    expect(unit(earlyRuns, 'p02-second.csv').mergedWhileReading).toBeGreaterThan(600);
    expect(lateRuns.flatMap((run) => run.files.map((file) => file.mergedWhileReading ?? 0))).toEqual([
      0, 0, 0, 0, 0,
    ]);
  });

  it('gives every file the same outcomes', () => {
    const outcomes = (runs: RunSummary[]) => runs.map((run) => [run.status, run.counts]);
    expect(outcomes(earlyRuns)).toEqual(outcomes(lateRuns));
    // Rejected: the two bad rows, and row 20's second content (a key twice in a file with two contents).
    expect(unit(earlyRuns, 'p01-first.csv').counts).toMatchObject({
      read: first.length,
      inserted: 2399,
      rejected: 3,
    });
    expect(unit(earlyRuns, 'c01-city.csv').counts).toMatchObject({ inserted: 300, conflict: 30 });
    expect(unit(earlyRuns, 'p02-second.csv').counts).toMatchObject({ inserted: 801, updated: 360 });
  });

  it('holds back a file over its thresholds with nothing of it kept, read again without merging early', async () => {
    const refusedUnit = unit(earlyRuns, 'p03-refused.csv');
    expect(refusedUnit.status).toBe('failed-threshold');
    expect(refusedUnit.mergedWhileReading ?? 0).toBe(0);
    expect(unit(earlyRuns, 'p04-after-refused.csv').counts).toMatchObject({ inserted: 50 });
    const { rows } = await early.warehouse.raw<{ rows: { n: number }[] }>(
      `SELECT count(*)::int AS n FROM record_versions v JOIN source_files f ON f.id = v.source_file_id
       WHERE f.name = 'p03-refused.csv'`,
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('leaves the same records, versions, lineage, rejections, files and runs', async () => {
    expect(await warehouseState(early.warehouse)).toEqual(await warehouseState(late.warehouse));
    expect(await digestsHold(early.warehouse)).toBe(true);
    expect(await digestsHold(late.warehouse)).toBe(true);
  });
});

describe('merging while reading beside another unit of the entry', { timeout: 60_000 }, () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('merge_while_reading_lock');
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('never waits mid-read for the entry lock another unit holds: it stages on and merges at the end', async () => {
    // Another unit of the entry merging: the entry's merge lock held by another session.
    const other = new pg.Client({ connectionString: fx.url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext('credit-etl:merge:' || 'xzcf'))`);
      const rows = basePenalties(600, 9);
      const file = writeRows(fx.scratch, 'beside-another.csv', rows);
      const ingest = withEnv({ CREDIT_ETL_MERGE_WHILE_READING: EVERY }, () =>
        fx.ingest([file], { ...PROVINCE, receivedAt: day(0) }),
      );
      // The unit reads the whole file and then waits for the lock at its merge: the one wait it may have. Only
      // this test's database: test files running beside this one wait for advisory locks of their own.
      const waiting = await waitFor(async () => {
        const { rows: locks } = await other.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        return locks[0]!.n > 0;
      });
      expect(waiting).toBe(true);
      const staged = await other.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'
           AND query LIKE '%pg_advisory_xact_lock%'`,
      );
      // Its merge waits (pg_advisory_xact_lock), not an early merge's try.
      expect(staged.rows[0]!.n).toBe(1);
      await other.query(`SELECT pg_advisory_unlock(hashtext('credit-etl:merge:' || 'xzcf'))`);
      const run = await ingest;
      expect(run.status).toBe('completed');
      expect(run.files[0]!.mergedWhileReading ?? 0).toBe(0);
      expect(run.counts).toMatchObject({ read: 600, inserted: 600 });
    } finally {
      await other.end();
    }
  });
});

describe('a file that fails after ranges of it were merged early', { timeout: 60_000 }, () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('merge_while_reading_poison');
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('keeps nothing of it, and the next file of the run loads on the same warehouse', async () => {
    const rows = basePenalties(5000, 11);
    // Row 4500 carries a 5 MB line (the limit is 4 MB): the two batches before it (~2,000 rows each) were merged
    // while the file was read.
    const poisoned = [
      ...rows.slice(0, 4499),
      edit(rows[4499]!, { 违法事实: 'x'.repeat(5 << 20) }),
      ...rows.slice(4500, 4600),
    ];
    const bad = writeRows(fx.scratch, 'poisoned.csv', poisoned);
    const good = writeRows(fx.scratch, 'good.csv', rows.slice(4600));
    const run = await withEnv({ CREDIT_ETL_MERGE_WHILE_READING: EVERY }, () =>
      fx.ingest([bad, good], { ...PROVINCE, receivedAt: day(0) }),
    );
    expect(run.files.map((file) => [file.name, file.status, file.error?.code])).toEqual([
      ['poisoned.csv', 'failed', 'line-too-long'],
      ['good.csv', 'loaded', undefined],
    ]);
    expect(run.files[1]!.mergedWhileReading).toBeGreaterThan(0);
    const { rows: records } = await fx.warehouse.raw<{ rows: { n: number }[] }>(
      'SELECT count(*)::int AS n FROM records',
    );
    expect(records[0]!.n).toBe(400);
    // Its early merges did run before it failed: they drew record ids, which a rollback does not give back (the
    // good file drew 400).
    const { rows: drawn } = await fx.owner.raw<{ rows: { last: number }[] }>(
      'SELECT last_value::int AS last FROM records_id_seq',
    );
    expect(drawn[0]!.last).toBeGreaterThan(2400);
  });
});

describe('CREDIT_ETL_MERGE_WHILE_READING', () => {
  it('refuses a value that is not a whole number of rows before any file is read (exit 2)', async () => {
    const result = await runCli(
      ['ingest', 'no-such-file.csv', '--catalog', 'xzcf', '--provider', 'x', '--level', 'province'],
      {
        DATABASE_URL: 'postgres://127.0.0.1:1/never-reached',
        CREDIT_ETL_MERGE_WHILE_READING: '20k',
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "CREDIT_ETL_MERGE_WHILE_READING must be a whole number of rows (0: off), not '20k'",
    );
  });
});

/** Polls `check` every 50 ms for up to 20 s. */
async function waitFor(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
