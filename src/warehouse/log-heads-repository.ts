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

/** True when the log still holds the entry with this id. */
export async function logHasEntry(warehouse: Warehouse, log: ChainedLog, id: number): Promise<boolean> {
  const { rows } = await warehouse.raw<{ rows: unknown[] }>(`SELECT 1 FROM ${log} WHERE id = ?`, [id]);
  return rows.length > 0;
}

/**
 * How many entries the log holds up to and including the entry with this id: what a verify run counted as
 * `entries` when that entry was the newest. Fewer now and entries before it were deleted (a log is append-only,
 * and its ids are drawn in the order its entries are chained and committed: 050 keeps every append READ COMMITTED).
 */
export async function logEntriesUpTo(warehouse: Warehouse, log: ChainedLog, id: number): Promise<number> {
  const { rows } = await warehouse.raw<{ rows: { entries: number }[] }>(
    `SELECT count(*)::int AS entries FROM ${log} WHERE id <= ?`,
    [id],
  );
  return rows[0]?.entries ?? 0;
}

/** The heads the last verify run before this one recorded, with its id; undefined before the first. */
export async function previousLogHeads(
  warehouse: Warehouse,
  beforeRunId: number,
): Promise<{ runId: number; heads: LogHeads } | undefined> {
  const { rows } = await warehouse.raw<{ rows: { id: number; heads: LogHeads }[] }>(
    `SELECT id, counts -> 'logHeads' AS heads FROM runs
     WHERE kind = 'verify' AND id < ? AND counts -> 'logHeads' IS NOT NULL
     ORDER BY id DESC LIMIT 1`,
    [beforeRunId],
  );
  return rows[0] ? { runId: Number(rows[0].id), heads: rows[0].heads } : undefined;
}
