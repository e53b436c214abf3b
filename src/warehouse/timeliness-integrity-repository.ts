import type { Warehouse } from './connect-warehouse.ts';
import type { IntegrityScope } from './integrity-repository.ts';
import { keysetPages } from './keyset-pages.ts';

/**
 * What `verify` recomputes the settled timeliness of lineage rows and the settled working-day dates of notices and
 * objections from (src/verify/verify-timeliness.ts): the stored inputs, as the engine counted from them. Only the
 * inputs come back; the counting is the calendar's (src/calendar), never SQL's.
 */

/** Where the formation date of a row stored under a catalog entry version is: `{ code: { version: field } }`. */
export type FormationFields = Record<string, Record<string, string>>;

/**
 * A settled lineage row (`late` not NULL) with what the loader counted its timeliness from (stage-row.ts): its
 * received time (the row's own, else its file's: the merge stores that in `received_at`) and the value of the
 * formation date field of its file's catalog entry version in the row's data (the version it created or matched,
 * or the data of a conflict). A withdrawal's row has no formation date: the loader never counts one for it.
 */
export interface LineageTimelinessRow {
  id: number;
  recordId: number;
  /** The catalog and entry version of the row's file: the formation date field is that version's. */
  catalogCode: string;
  catalogVersion: number | null;
  businessKey: string | null;
  /** The entry version of the record's current version: the stored key follows it (shown-key.ts). */
  keyCatalogVersion: number | null;
  sourceFileId: number;
  fileName: string;
  rowNumber: number;
  outcome: string;
  receivedAt: Date;
  late: boolean;
  workingDays: number | null;
  /** Whether there is data to read a formation date from (a version, or a conflict's data). */
  hasData: boolean;
  /** The formation date field's JSON value in the row's data (absent: null). */
  formation: unknown;
}

/**
 * One page of settled lineage rows (keyset on `record_sources.id`). Scope: the file's catalog; with `since`, rows
 * written on or after it, and every row a pending flag of which was settled by a calendar recompute run on or after
 * it (such a row keeps its `pending_formation_date`, 008). A row only counted in a compact unchanged run has no
 * lineage row and no value of its own: nothing to check.
 */
const LINEAGE_PAGE = `
  SELECT s.id, s.record_id AS "recordId", f.catalog_code AS "catalogCode", f.catalog_version AS "catalogVersion",
    r.business_key AS "businessKey", cv.catalog_version AS "keyCatalogVersion",
    s.source_file_id AS "sourceFileId", f.name AS "fileName", s.row_number AS "rowNumber", s.outcome,
    s.received_at AS "receivedAt", s.late, s.working_days AS "workingDays",
    (s.outcome <> 'withdrawn' AND (s.conflict_data IS NOT NULL OR v.id IS NOT NULL)) AS "hasData",
    CASE WHEN s.outcome <> 'withdrawn'
      THEN COALESCE(s.conflict_data, v.data) -> (?::jsonb -> f.catalog_code ->> f.catalog_version::text) END
      AS formation
  FROM record_sources s
  JOIN source_files f ON f.id = s.source_file_id
  LEFT JOIN record_versions v ON v.id = s.version_id
  LEFT JOIN records r ON r.id = s.record_id
  LEFT JOIN record_versions cv ON cv.id = r.current_version_id
  WHERE s.id > ? AND s.late IS NOT NULL AND (?::text IS NULL OR f.catalog_code = ?)
    AND (?::timestamptz IS NULL OR s.created_at >= ?
         OR (s.pending_formation_date IS NOT NULL AND EXISTS (
               SELECT 1 FROM calendar_recomputes c WHERE c.ran_at >= ? AND c.timeliness_decided > 0)))
  ORDER BY s.id LIMIT ?`;

/** Every settled lineage row in scope, a page at a time: memory stays one page on any warehouse. */
export async function* lineageTimelinessPages(
  warehouse: Warehouse,
  scope: IntegrityScope,
  fields: FormationFields,
  pageSize: number,
): AsyncGenerator<LineageTimelinessRow[]> {
  const catalog = scope.catalogCode ?? null;
  const since = scope.since ?? null;
  const json = JSON.stringify(fields);
  let after = 0;
  for (;;) {
    const { rows } = await warehouse.raw<{ rows: LineageTimelinessRow[] }>(LINEAGE_PAGE, [
      json,
      after,
      catalog,
      catalog,
      since,
      since,
      since,
      pageSize,
    ]);
    const last = rows.at(-1);
    if (!last) return;
    yield rows.map((row) => ({ ...row, id: Number(row.id), recordId: Number(row.recordId) }));
    after = Number(last.id);
  }
}

/** A review notice whose deadline is settled (not provisional), with what it was counted from (report/notices.ts). */
export interface NoticeDeadlineRow {
  id: number;
  providerCode: string;
  issuedOn: string;
  workingDays: number;
  deadline: string;
}

/** Notices are by provider, not by catalog: they are in scope of a verify without `--catalog`. */
const NOTICE_PAGE = `
  SELECT n.id, n.provider_code AS "providerCode", to_char(n.issued_on, 'YYYY-MM-DD') AS "issuedOn",
    n.working_days AS "workingDays", to_char(n.deadline, 'YYYY-MM-DD') AS deadline
  FROM notices n
  WHERE n.id > ? AND NOT n.provisional AND (?::timestamptz IS NULL OR n.created_at >= ?)
  ORDER BY n.id LIMIT ?`;

/** Every settled notice deadline in scope (`since`: notices created on or after it), a page at a time. */
export function noticeDeadlines(
  warehouse: Warehouse,
  scope: IntegrityScope,
  pageSize: number,
): AsyncGenerator<NoticeDeadlineRow> {
  const since = scope.since ?? null;
  return keysetPages(pageSize, async (after) => {
    const { rows } = await warehouse.raw<{ rows: NoticeDeadlineRow[] }>(NOTICE_PAGE, [
      after,
      since,
      since,
      pageSize,
    ]);
    return rows.map((row) => ({ ...row, id: Number(row.id) }));
  });
}

/**
 * An objection whose provisional due date (`due_provisional`: counted Monday–Friday through a year without calendar
 * data) `calendar recompute` settled with a note step in its log (038; the objection row never changes,
 * objection-state-sql.ts reads the due date the same way). A due date counted at registration is its caller's
 * (insertObjection): the open step records it and verify's log check holds the row to it.
 */
export interface ObjectionDueRow {
  id: number;
  recordId: number;
  catalogCode: string;
  businessKey: string | null;
  keyCatalogVersion: number | null;
  receivedOn: string;
  dueOn: string;
  /** The recompute's note step that settled the provisional due date. */
  settledBy: number;
}

const OBJECTION_PAGE = `
  SELECT o.id, o.record_id AS "recordId", o.catalog_code AS "catalogCode", r.business_key AS "businessKey",
    cv.catalog_version AS "keyCatalogVersion", to_char(o.received_on, 'YYYY-MM-DD') AS "receivedOn",
    to_char(COALESCE(settled.due_on, o.due_on), 'YYYY-MM-DD') AS "dueOn", settled.id AS "settledBy"
  FROM objections o
  JOIN LATERAL (SELECT l.id, l.performed_at, (l.detail->>'dueOn')::date AS due_on FROM objection_log l
                WHERE l.objection_id = o.id AND l.action = 'note' AND l.detail->>'due' = 'settled'
                ORDER BY l.id LIMIT 1) settled ON true
  LEFT JOIN records r ON r.id = o.record_id
  LEFT JOIN record_versions cv ON cv.id = r.current_version_id
  WHERE o.id > ? AND o.due_provisional AND (?::text IS NULL OR o.catalog_code = ?)
    AND (?::timestamptz IS NULL OR settled.performed_at >= ?)
  ORDER BY o.id LIMIT ?`;

/** Every objection in scope (its catalog; its due date settled on or after `since`) whose provisional due date was settled. */
export function objectionDues(
  warehouse: Warehouse,
  scope: IntegrityScope,
  pageSize: number,
): AsyncGenerator<ObjectionDueRow> {
  const catalog = scope.catalogCode ?? null;
  const since = scope.since ?? null;
  return keysetPages(pageSize, async (after) => {
    const { rows } = await warehouse.raw<{ rows: ObjectionDueRow[] }>(OBJECTION_PAGE, [
      after,
      catalog,
      catalog,
      since,
      since,
      pageSize,
    ]);
    return rows.map((row) => ({
      ...row,
      id: Number(row.id),
      recordId: Number(row.recordId),
      settledBy: Number(row.settledBy),
    }));
  });
}
