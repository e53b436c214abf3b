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

const HEAD_SQL: Record<ChainedLog, string> = {
  procedure_log: `SELECT p.id, p.hash, p.record_id AS "recordId", p.catalog_code AS "catalogCode",
      (SELECT count(*) FROM procedure_log)::int AS entries
    FROM procedure_log p ORDER BY p.id DESC LIMIT 1`,
  // The newest step even when its objection is gone (objection-log-chain.ts names that): a later cut is seen.
  objection_log: `SELECT l.id, l.hash,
      COALESCE(o.record_id, CASE WHEN opened.detail ->> 'record_id' ~ '^[0-9]{1,18}$'
                                 THEN (opened.detail ->> 'record_id')::bigint END) AS "recordId",
      COALESCE(o.catalog_code, opened.detail ->> 'catalog_code') AS "catalogCode",
      (SELECT count(*) FROM objection_log)::int AS entries
    FROM objection_log l
    LEFT JOIN objections o ON o.id = l.objection_id
    LEFT JOIN LATERAL (SELECT s.detail FROM objection_log s
      WHERE o.id IS NULL AND s.objection_id = l.objection_id AND s.action = 'open' ORDER BY s.id LIMIT 1) opened ON true
    ORDER BY l.id DESC LIMIT 1`,
};

/** Each chained log's newest entry now (a log with no entry has none). */
export async function logHeads(warehouse: Warehouse): Promise<LogHeads> {
  const heads: LogHeads = {};
  for (const log of CHAINED_LOGS) {
    const { rows } = await warehouse.raw<{ rows: LogHead[] }>(HEAD_SQL[log]);
    const head = rows[0];
    if (head)
      heads[log] = {
        ...head,
        id: Number(head.id),
        recordId: head.recordId === null ? null : Number(head.recordId),
      };
  }
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
  const { rows } = await warehouse.raw<{ rows: { id: number; heads: LogHeads }[] }>(
    `SELECT id, counts -> 'logHeads' AS heads FROM runs
     WHERE kind = 'verify' AND id < ? AND jsonb_typeof(counts -> 'logHeads') = 'object'
     ORDER BY id`,
    [beforeRunId],
  );
  const seen = new Map<ChainedLog, Map<number, SeenHead>>(CHAINED_LOGS.map((log) => [log, new Map()]));
  for (const row of rows) {
    const runId = Number(row.id);
    for (const log of CHAINED_LOGS) {
      const head = row.heads[log];
      if (head?.id == null) continue;
      const id = Number(head.id);
      const entries = typeof head.entries === 'number' ? head.entries : null;
      const before = seen.get(log)!.get(id);
      // The most entries any run counted up to this head, and the first run that counted them.
      const most =
        before?.entries != null && (entries === null || before.entries >= entries)
          ? { entries: before.entries, countedBy: before.countedBy }
          : { entries, countedBy: entries === null ? null : runId };
      seen.get(log)!.set(id, {
        id,
        hash: before?.hash ?? String(head.hash),
        hashedBy: before?.hashedBy ?? runId,
        recordId: head.recordId == null ? null : Number(head.recordId),
        catalogCode: head.catalogCode ?? null,
        runId,
        ...most,
      });
    }
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
