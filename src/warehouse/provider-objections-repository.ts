import { type NewObjection, openObjectionOn } from './objection-log-repository.ts';
import type { ObjectionStage } from './objection-vocabulary.ts';
import type { UnitSession } from './unit-session.ts';

/** A data row whose source says an objection (异议) is under way, on the record it was merged into. */
export interface ObjectionRequest {
  recordId: number;
  /** The record's current version when the row was merged: a provider's objection is about that content. */
  versionId: number;
  rowNumber: number;
  /** What the source said, e.g. `当前状态=2`. */
  signal: string;
}

/**
 * Inside the unit's transaction, right after its merge (the merge's `classified` table is still there): the
 * rows that carried an objection signal and reached a current record. A row rejected, or kept as a conflict
 * for a record that is no longer current, raises nothing.
 */
export async function objectionRequestsOfUnit(session: UnitSession): Promise<ObjectionRequest[]> {
  return session.query<ObjectionRequest>(
    `SELECT DISTINCT ON (r.id) r.id AS "recordId", r.current_version_id AS "versionId",
            c.row_number AS "rowNumber", s.objection AS signal
     FROM classified c JOIN stage s USING (row_number) JOIN records r ON r.id = c.record_id
     WHERE s.objection IS NOT NULL AND c.outcome <> 'duplicate' AND r.status = 'current'
     ORDER BY r.id, c.row_number`,
  );
}

/**
 * Of these, the ones with no objection to raise again: the record has an objection in progress, or the provider
 * already reported one about the same version (its 当前状态 keeps saying 异议 in every nightly dump after
 * the platform closed the check; a new version with the flag is a new report). Read in the unit's transaction,
 * after `lockObjectionRecords`.
 */
export async function alreadyRaised(
  session: UnitSession,
  requests: readonly ObjectionRequest[],
): Promise<Set<number>> {
  if (requests.length === 0) return new Set();
  const rows = await session.query<{ record_id: string | number }>(
    `SELECT DISTINCT o.record_id FROM objections o
     JOIN records r ON r.id = o.record_id
     JOIN record_versions cv ON cv.id = r.current_version_id
     WHERE o.record_id = ANY($1::bigint[]) AND (
       (o.channel = 'provider' AND o.created_at >= cv.created_at)
       OR NOT EXISTS (SELECT 1 FROM objection_log d WHERE d.objection_id = o.id AND d.action IN ('close', 'outcome')))`,
    [requests.map((request) => request.recordId)],
  );
  return new Set(rows.map((row) => Number(row.record_id)));
}

/**
 * Before the merge classifies the unit's rows: locks (FOR KEY SHARE, by 042's objection_record_status, in id order)
 * the current records that the unit's rows saying 异议 name by key. A legal procedure that ends one of them
 * (withdraw, supersede, reattribute: each locks the row FOR UPDATE first) and is under way is waited for, and the
 * classification, a later statement, sees the record as it committed it: the row is a conflict on a retired record,
 * kept and reported (the review notice says the record was withdrawn or superseded), exactly as when the procedure
 * ended it before the run. One that starts later waits for this unit, and ends a record whose objection is marked.
 * Unlocked, a procedure that committed between the merge and `lockObjectionRecords` left the row loaded as
 * `unchanged` on a record that can take no objection: its 异议 silently dropped.
 */
export async function lockObjectedRecordsBeforeMerge(
  session: UnitSession,
  catalogCode: string,
): Promise<void> {
  await session.query(
    `SELECT objection_record_status(l.id)
     FROM (SELECT r.id FROM records r
           WHERE r.catalog_code = $1 AND r.status = 'current' AND r.business_key IN (
             SELECT business_key FROM stage WHERE objection IS NOT NULL AND errors IS NULL AND withdrawal IS NULL)
           ORDER BY r.id OFFSET 0) l`,
    [catalogCode],
  );
}

/**
 * Locks the records the unit is to open objections on (FOR KEY SHARE, by 042's objection_record_status, in id
 * order) before the first objection takes the objection log's lock, and returns each one's status and decision
 * (formation) date as read under the lock. The objections trigger takes this lock anyway, record by record; taken
 * one at a time while the log's lock is held, a procedure that locked one of them FOR UPDATE and then appends an
 * objection step would wait for this unit as it waits for the procedure. All first, then the log: one order.
 */
export async function lockObjectionRecords(
  session: UnitSession,
  recordIds: readonly number[],
): Promise<Map<number, { status: string | null; decidedOn: string | null }>> {
  const locked = new Map<number, { status: string | null; decidedOn: string | null }>();
  for (const recordId of [...new Set(recordIds)].sort((a, b) => a - b)) {
    const [row] = await session.query<{ status: string | null; decided_on: string | null }>(
      `SELECT objection_record_status($1::bigint) AS status,
              (SELECT to_char(v.formation_date, 'YYYY-MM-DD') FROM records r
               JOIN record_versions v ON v.id = r.current_version_id WHERE r.id = $1::bigint) AS decided_on`,
      [recordId],
    );
    locked.set(recordId, { status: row?.status ?? null, decidedOn: row?.decided_on ?? null });
  }
  return locked;
}

/**
 * A provider's objection and its opening step, in the unit's transaction (openObjectionOn, insertObjection's SQL,
 * on the unit's connection): the rows the unit loaded and the mark commit together or not at all. The log's
 * trigger takes the objection log's lock, held until the unit commits.
 */
export async function openProviderObjection(session: UnitSession, objection: NewObjection): Promise<number> {
  return openObjectionOn(session, objection, objection.providerCode ?? null);
}

/** A record a delivery updated while an objection on it is in progress (any stage): the delivery may settle it. */
export interface ObjectionOnUpdatedRecord {
  recordId: number;
  objectionId: number;
  /** The stage in progress: `open` (the platform's check, decided by `objection close`) or a later one. */
  stage: ObjectionStage;
  /** The version the delivery wrote (`v<n>` in `record`): what `objection close --version` cites. */
  versionNo: number;
}

/**
 * Inside the unit's transaction, after its merge: the objections in progress on records this source file gave a
 * new version that may settle them, by the rule the objection log's trigger applies to a cited version (038): the
 * version's time (`created_at`, the start of this transaction) after the objection's registration (its open step,
 * the clock). An objection registered while this load was running came after the version by that rule and is not
 * named: `--version` would be refused. Read from the objections' side (few) through the versions' (record_id,
 * version_no) index, so a first load of a million rows costs no scan of what it wrote.
 */
export async function objectionsOnUpdatedRecords(
  session: UnitSession,
  sourceFileId: number,
  catalogCode: string,
): Promise<ObjectionOnUpdatedRecord[]> {
  return session.query<ObjectionOnUpdatedRecord>(
    `SELECT o.record_id AS "recordId", o.id AS "objectionId", s.stage, v.version_no AS "versionNo"
     FROM objections o
     JOIN LATERAL (SELECT l.action, l.stage FROM objection_log l WHERE l.objection_id = o.id AND l.action <> 'note'
                   ORDER BY l.id DESC LIMIT 1) s ON s.action IN ('open', 'appeal')
     JOIN objection_log opened ON opened.objection_id = o.id AND opened.action = 'open'
     JOIN record_versions v ON v.record_id = o.record_id AND v.source_file_id = $1
                           AND v.created_at > opened.performed_at
     WHERE o.catalog_code = $2
     ORDER BY o.record_id, o.id`,
    [sourceFileId, catalogCode],
  );
}
