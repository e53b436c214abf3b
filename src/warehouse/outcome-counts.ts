/**
 * The six outcomes of DESIGN.md, `withdrawn` (a source row that asks to withdraw its record: its soft-delete
 * flag or 当前状态 says 撤销; merge-withdrawals.ts) and `held` (a valid row of a file held back whole, over its
 * reject threshold or taken for a truncated dump: read, deliberately not applied; reject-threshold.ts); every row
 * read ends in exactly one. `late` (received after the deadline),
 * `pending` (timeliness unknown until the calendar has the year: `credit-etl calendar recompute`) and
 * `warned` (loaded with a warning, e.g. a pilot-era USCC, kept in `record_sources.warnings`) are flags on top.
 */
export const OUTCOMES = [
  'inserted',
  'updated',
  'unchanged',
  'merged',
  'conflict',
  'withdrawn',
  'rejected',
  'held',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type OutcomeCounts = { read: number; late: number; pending: number; warned: number } & Record<
  Outcome,
  number
>;

/** The count columns of every summary table, in order. */
export const COUNT_COLUMNS = ['read', ...OUTCOMES, 'late', 'pending', 'warned'] as const;

export function emptyCounts(): OutcomeCounts {
  return {
    read: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    merged: 0,
    conflict: 0,
    withdrawn: 0,
    rejected: 0,
    held: 0,
    late: 0,
    pending: 0,
    warned: 0,
  };
}

export function addCounts(total: OutcomeCounts, more: OutcomeCounts): OutcomeCounts {
  const sum = emptyCounts();
  // A run or file stored before `withdrawn` or `held` existed has no such count: it had none.
  for (const key of Object.keys(sum) as (keyof OutcomeCounts)[])
    sum[key] = (total[key] ?? 0) + (more[key] ?? 0);
  return sum;
}

export function outcomeSum(counts: OutcomeCounts): number {
  return OUTCOMES.reduce((sum, outcome) => sum + counts[outcome], 0);
}

/** Thrown when read ≠ the sum of outcomes: a bug, never data's fault, and the unit is rolled back. */
export class CountInvariantError extends Error {
  override readonly name = 'CountInvariantError';
  constructor(readonly counts: OutcomeCounts) {
    super(
      `row accounting broken: read ${counts.read} ≠ outcomes ${outcomeSum(counts)} (${JSON.stringify(counts)})`,
    );
  }
}

export function assertCountsAddUp(counts: OutcomeCounts): void {
  if (counts.read !== outcomeSum(counts)) throw new CountInvariantError(counts);
}
