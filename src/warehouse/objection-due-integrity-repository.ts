import type { Warehouse } from './connect-warehouse.ts';
import type { IntegrityScope } from './integrity-repository.ts';
import { keysetPages } from './keyset-pages.ts';

/**
 * What `verify` recomputes an open objection's deadlines from (src/verify/verify-objection-dues.ts): its receipt and
 * due date as registered, and its verification notice as logged. Only the stored inputs come back; the counting is
 * the calendar's (src/calendar), never SQL's.
 */
export interface OpenObjectionDueRow {
  id: number;
  recordId: number;
  catalogCode: string;
  businessKey: string | null;
  /** The entry version of the record's current version: the stored key follows it (shown-key.ts). */
  keyCatalogVersion: number | null;
  receivedOn: string;
  /** As registered (`objections.due_on`), never a settled one. */
  dueOn: string;
  dueProvisional: boolean;
  /** `calendar recompute` settled the provisional due date (a note step, 038): verify-timeliness.ts checks that one. */
  settled: boolean;
  /** The verification notice's step (its first `sent` note) and its detail (issuedOn, workingDays, deadline…). */
  noticeStep: number | null;
  notice: Record<string, unknown> | null;
}

/**
 * Objections whose platform check is still open (the last step that is not a note is the `open` step): the ones a
 * due date still binds. Scope: the objection's catalog; with `since`, registered on or after it or whose notice was
 * sent on or after it.
 */
const OPEN_CHECK_PAGE = `
  SELECT o.id, o.record_id AS "recordId", o.catalog_code AS "catalogCode", r.business_key AS "businessKey",
    cv.catalog_version AS "keyCatalogVersion", to_char(o.received_on, 'YYYY-MM-DD') AS "receivedOn",
    to_char(o.due_on, 'YYYY-MM-DD') AS "dueOn", o.due_provisional AS "dueProvisional",
    EXISTS (SELECT 1 FROM objection_log d WHERE d.objection_id = o.id AND d.action = 'note'
              AND d.detail->>'due' = 'settled') AS settled,
    n.id AS "noticeStep", n.detail AS notice
  FROM objections o
  JOIN LATERAL (SELECT l.action FROM objection_log l WHERE l.objection_id = o.id AND l.action <> 'note'
                ORDER BY l.id DESC LIMIT 1) s ON s.action = 'open'
  LEFT JOIN LATERAL (SELECT l.id, l.detail, l.performed_at FROM objection_log l
                     WHERE l.objection_id = o.id AND l.action = 'note' AND l.detail->>'verification' = 'sent'
                     ORDER BY l.id LIMIT 1) n ON true
  LEFT JOIN records r ON r.id = o.record_id
  LEFT JOIN record_versions cv ON cv.id = r.current_version_id
  WHERE o.id > ? AND (?::text IS NULL OR o.catalog_code = ?)
    AND (?::timestamptz IS NULL OR o.created_at >= ? OR n.performed_at >= ?)
  ORDER BY o.id LIMIT ?`;

/** Every objection in scope whose platform check is still open, a page at a time. */
export function openCheckDues(
  warehouse: Warehouse,
  scope: IntegrityScope,
  pageSize: number,
): AsyncGenerator<OpenObjectionDueRow> {
  const catalog = scope.catalogCode ?? null;
  const since = scope.since ?? null;
  return keysetPages(pageSize, async (after) => {
    const { rows } = await warehouse.raw<{ rows: OpenObjectionDueRow[] }>(OPEN_CHECK_PAGE, [
      after,
      catalog,
      catalog,
      since,
      since,
      since,
      pageSize,
    ]);
    return rows.map((row) => ({
      ...row,
      id: Number(row.id),
      recordId: Number(row.recordId),
      noticeStep: row.noticeStep === null ? null : Number(row.noticeStep),
    }));
  });
}
