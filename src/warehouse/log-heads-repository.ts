import type { Warehouse } from './connect-warehouse.ts';

/** The hash-chained logs of legal acts (Art. 17, 18): their chains prove what lies between entries, not the end. */
export const CHAINED_LOGS = ['procedure_log', 'objection_log'] as const;
export type ChainedLog = (typeof CHAINED_LOGS)[number];

/** A chained log's newest entry as a verify run saw it: what a later run must still find. */
export interface LogHead {
  id: number;
  hash: string;
  /**
   * The record the entry concerns: a finding names it when the entry is gone. An objection step's is its
   * objection's, or what the objection's open step registered when the objection is gone (null: that too).
   */
  recordId: number | null;
  catalogCode: string | null;
  entries: number;
}

export type LogHeads = Partial<Record<ChainedLog, LogHead>>;

/** A row of `verified_log_heads` (migration 059) as it is read here. */
interface RecordedHead {
  run_id: number | string;
  log: ChainedLog;
  head_id: number | string;
  hash: string;
  record_id: number | string | null;
  catalog_code: string | null;
  entries: number | null;
}

/**
 * Each chained log's newest entry now (a log with no entry has none), recorded for this verify run by the
 * database itself (`record_verified_log_heads`, migration 059): it reads the logs and writes `verified_log_heads`,
 * which nothing else writes. The run must be a `verify` run still running, its heads not recorded yet.
 */
export async function recordLogHeads(warehouse: Warehouse, runId: number): Promise<LogHeads> {
  const { rows } = await warehouse.raw<{ rows: RecordedHead[] }>(
    'SELECT * FROM record_verified_log_heads(?::bigint)',
    [runId],
  );
  const heads: LogHeads = {};
  for (const row of rows)
    heads[row.log] = {
      id: Number(row.head_id),
      hash: row.hash,
      recordId: row.record_id === null ? null : Number(row.record_id),
      catalogCode: row.catalog_code,
      entries: Number(row.entries),
    };
  return heads;
}

/**
 * A head earlier verify runs saw: as the latest of them recorded it, but its hash as the first recorded it (an
 * entry's hash never changes: one a later run recorded differently was rewritten in between), with the most
 * entries any of them counted.
 */
export interface SeenHead extends Omit<LogHead, 'entries'> {
  /** The latest verify run that saw this entry as the log's newest. */
  runId: number;
  /** The first verify run that saw it, whose `hash` it is. */
  hashedBy: number;
  /** The most entries up to it any of them counted; null when none counted (runs before `entries` was kept). */
  entries: number | null;
  /** The first run that counted `entries`; null with it. */
  countedBy: number | null;
}

export type SeenHeads = Record<ChainedLog, SeenHead[]>;

/**
 * Every head any verify run before this one recorded, per log, by id (ascending): what the log must still hold.
 * Not the last run's alone: a run that found a head gone records the log as it found it, and the next would
 * compare with that. A log only grows, so every head an honest history recorded is still there, with at least
 * as many entries up to it as the most any run counted; `entries` is that most (null before runs counted them).
 */
export async function earlierLogHeads(warehouse: Warehouse, beforeRunId: number): Promise<SeenHeads> {
  // The heads the database recorded (059), never a run's counts.logHeads: the caller writes those.
  const { rows } = await warehouse.raw<{ rows: RecordedHead[] }>(
    `SELECT run_id, log, head_id, hash, record_id, catalog_code, entries FROM verified_log_heads
     WHERE run_id < ? ORDER BY run_id, log`,
    [beforeRunId],
  );
  const seen = new Map<ChainedLog, Map<number, SeenHead>>(CHAINED_LOGS.map((log) => [log, new Map()]));
  for (const row of rows) {
    const runId = Number(row.run_id);
    const byId = seen.get(row.log);
    if (!byId) continue;
    const id = Number(row.head_id);
    const entries = row.entries === null ? null : Number(row.entries);
    const before = byId.get(id);
    // The most entries any run counted up to this head, and the first run that counted them.
    const most =
      before?.entries != null && (entries === null || before.entries >= entries)
        ? { entries: before.entries, countedBy: before.countedBy }
        : { entries, countedBy: entries === null ? null : runId };
    byId.set(id, {
      id,
      hash: before?.hash ?? row.hash,
      hashedBy: before?.hashedBy ?? runId,
      recordId: row.record_id === null ? null : Number(row.record_id),
      catalogCode: row.catalog_code,
      runId,
      ...most,
    });
  }
  const result = {} as SeenHeads;
  for (const log of CHAINED_LOGS) result[log] = [...seen.get(log)!.values()].sort((a, b) => a.id - b.id);
  return result;
}

/**
 * For each of these entry ids, whether the log still holds it (and its hash now) and how many entries it holds up
 * to and including it: what a verify run counted as `entries` when that entry was the newest (fewer now, and entries before it were
 * deleted; a log is append-only, and 050 keeps every append READ COMMITTED). One pass over the log's ids.
 */
export async function logEntriesAt(
  warehouse: Warehouse,
  log: ChainedLog,
  ids: readonly number[],
): Promise<Map<number, { present: boolean; entries: number; hash: string | null }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await warehouse.raw<{
    rows: { id: number; entries: number; present: boolean; hash: string | null }[];
  }>(
    `WITH seen AS (SELECT DISTINCT unnest(?::bigint[]) AS id),
     marks AS (SELECT id, 1 AS entry FROM ${log} UNION ALL SELECT id, 0 FROM seen),
     counted AS (
       SELECT id, entry, sum(entry) OVER (ORDER BY id, entry DESC ROWS UNBOUNDED PRECEDING) AS upto FROM marks)
     SELECT c.id, c.upto::int AS entries, l.id IS NOT NULL AS present, l.hash
     FROM counted c LEFT JOIN ${log} l ON l.id = c.id WHERE c.entry = 0`,
    [[...ids]],
  );
  return new Map(
    rows.map((row) => [Number(row.id), { present: row.present, entries: row.entries, hash: row.hash }]),
  );
}
