import type { Warehouse } from './connect-warehouse.ts';
import type { LogHeads } from './log-heads-repository.ts';
import type { RowData } from './records-repository.ts';

/**
 * The statements `verify` checks the warehouse's history with (README "Data integrity"): each recomputes in
 * the database what the engine stored, a page at a time, and returns only what differs. What is done with a
 * finding (masking, reporting, the run's outcome) is src/verify's business.
 */

/** What a verify run looked at and what it found; stored as the run's counts (runs-repository.ts). */
export type IntegrityCounts = {
  records: number;
  versions: number;
  files: number;
  tamperedRecords: number;
  tamperedFiles: number;
  /**
   * Each chained log's newest entry as this run saw it, shown only: what the next run asks for is what the database
   * recorded (`verified_log_heads`, migration 059), never these counts, which the caller writes (verify-log-heads.ts).
   */
  logHeads?: LogHeads;
  /** Records whose business key was recomputed from their current version. */
  keys: number;
  /** Credit repairs (procedure_log `repair`) whose repairable day was recomputed. */
  repairs: number;
  /** Records and repairs that could not be recomputed: their catalog entry version is not in catalog/. */
  unchecked?: number;
  /**
   * Open objections' due dates and verification notice deadlines recomputed with the holiday calendar, and the
   * provisional due dates it now counts exactly though `calendar recompute` has not settled them (not a finding).
   */
  objectionDues?: { dues: number; notices: number; unsettled: number };
  /**
   * Current records whose credit repair predates the severity now in force (`repair-predates-severity`): reported,
   * shown again, not tampering.
   */
  repairsPredatingSeverity?: number;
};

/** The scope of a check: one catalog entry, and/or what was written on or after a time. */
export interface IntegrityScope {
  catalogCode?: string | undefined;
  since?: Date | undefined;
}

/** The problems the history statement names (a subset of src/verify/integrity-finding.ts's codes). */
export type HistoryProblem =
  | 'chain-broken'
  | 'version-missing'
  | 'no-versions'
  | 'current-not-own-version'
  | 'current-not-latest'
  | 'subject-differs'
  | 'created-differs'
  | 'version-without-lineage';

export interface HistoryFindingRow {
  recordId: number;
  catalogCode: string;
  businessKey: string;
  versionNo: number | null;
  problem: HistoryProblem;
  detail: string;
}

export interface HistoryPageRow {
  records: number;
  versions: number;
  findings: HistoryFindingRow[];
}

export interface DigestFindingRow {
  sourceFileId: number;
  name: string;
  catalogCode: string;
  problem: 'file-digest-differs' | 'file-delivery-differs';
  detail: string;
}

export interface DigestPageRow {
  files: number;
  findings: DigestFindingRow[];
}

/** A version whose record row is gone. */
export interface OrphanVersionRow {
  recordId: number;
  versionNo: number;
}

/**
 * One page of records (keyset: id above `after`), their versions recomputed in version order and compared
 * with what is stored, and the records checked against their history; all in one statement, so only the
 * page's findings and counts come back. The chain is checked link by link (each version against its stored
 * predecessor), so a version is checked without reading the record's whole history into the client.
 *
 * A delivered version (a source file's, not a procedure's) must have the lineage row the merge writes with it, of
 * the same file and row (merge-staged.ts; a version merged while reading gets it from the final merge): a file's
 * digest covers only what its lineage reaches, so a version added behind the engine with no lineage row, or with
 * one of another file or row, would fall outside every digest. The page's lineage is read through
 * record_sources_record (record_id), the one index that reaches it record by record.
 *
 * A record is written in the transaction that writes its version 1 (the merge, an early merge, a reattribution),
 * both with created_at's default now(): `records.created_at` is the chained created_at of version 1, to the
 * microsecond. The record's own column is outside every chain; version 1's is not.
 */
const HISTORY_PAGE = `
  WITH page AS (
    SELECT r.id, r.catalog_code, r.business_key, r.subject_code, r.current_version_id, r.created_at, r.updated_at
    FROM records r
    WHERE r.id > ? AND (?::text IS NULL OR r.catalog_code = ?)
    ORDER BY r.id LIMIT ?
  ),
  chained AS (
    SELECT v.id, v.record_id, v.version_no, v.subject_code, v.created_at, v.chain_hash, v.source_file_id,
      v.row_number,
      version_chain_hash(COALESCE(lag(v.chain_hash) OVER w, ''), v) AS recomputed,
      COALESCE(lag(v.version_no) OVER w, 0) AS previous_no,
      max(v.version_no) OVER (PARTITION BY v.record_id) AS highest_no
    FROM record_versions v
    WHERE v.record_id IN (SELECT id FROM page)
    WINDOW w AS (PARTITION BY v.record_id ORDER BY v.version_no)
  ),
  since AS (SELECT ?::timestamptz AS at),
  versions_in_scope AS (
    SELECT c.* FROM chained c, since WHERE since.at IS NULL OR c.created_at >= since.at
  ),
  -- Joined by hash, never probed per record: a CTE has no index, and a page holds thousands of records.
  per_record AS (
    SELECT record_id, max(created_at) AS latest_at, min(created_at) FILTER (WHERE version_no = 1) AS first_at
    FROM chained GROUP BY record_id
  ),
  -- With --since, a record is in scope when it changed (or gained a version) on or after the day.
  records_in_scope AS (
    SELECT p.id AS record_id, p.subject_code AS record_subject, p.current_version_id,
      pr.record_id IS NOT NULL AS has_versions, p.created_at AS record_created_at, pr.first_at,
      c.id, c.record_id AS version_record_id, c.version_no, c.highest_no, c.subject_code
    FROM page p
    CROSS JOIN since
    LEFT JOIN per_record pr ON pr.record_id = p.id
    LEFT JOIN chained c ON c.id = p.current_version_id
    WHERE since.at IS NULL OR p.updated_at >= since.at OR pr.latest_at >= since.at
  ),
  -- The lineage rows that created a version: one per delivered version.
  created AS (
    SELECT s.version_id, s.source_file_id, s.row_number FROM record_sources s
    WHERE s.record_id IN (SELECT id FROM page) AND s.outcome IN ('inserted', 'updated')
  ),
  findings AS (
    SELECT record_id, version_no, 'chain-broken' AS problem,
      'stored ' || COALESCE(left(chain_hash, 16), 'nothing') || ', recomputed ' || left(recomputed, 16) AS detail
    FROM versions_in_scope WHERE chain_hash IS DISTINCT FROM recomputed
    UNION ALL
    SELECT record_id, version_no, 'version-missing',
      CASE WHEN version_no - previous_no = 2 THEN 'version ' || (previous_no + 1)
           ELSE 'versions ' || (previous_no + 1) || '–' || (version_no - 1) END || ' missing before version ' || version_no
    FROM versions_in_scope WHERE version_no <> previous_no + 1
    UNION ALL
    SELECT record_id, version_no, 'version-without-lineage',
      'file ' || source_file_id || ' row ' || row_number || ' has no lineage row that created this version'
    FROM versions_in_scope c
    WHERE source_file_id IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM created l
      WHERE l.version_id = c.id AND l.source_file_id = c.source_file_id AND l.row_number = c.row_number)
    UNION ALL
    SELECT record_id, NULL, 'no-versions', 'current_version_id ' || current_version_id
    FROM records_in_scope WHERE NOT has_versions
    UNION ALL
    SELECT record_id, NULL, 'current-not-own-version', 'current_version_id ' || current_version_id
    FROM records_in_scope WHERE has_versions AND (id IS NULL OR version_record_id <> record_id)
    UNION ALL
    SELECT record_id, version_no, 'current-not-latest',
      'current is version ' || version_no || ' of ' || highest_no
    FROM records_in_scope
    WHERE version_record_id = record_id AND version_no <> highest_no
      AND NOT procedure_explains_current(record_id, id)
    UNION ALL
    SELECT record_id, version_no, 'subject-differs',
      'record ' || COALESCE(record_subject, '(none)') || ', version ' || COALESCE(subject_code, '(none)')
    FROM records_in_scope WHERE version_record_id = record_id AND record_subject IS DISTINCT FROM subject_code
    UNION ALL
    SELECT record_id, NULL, 'created-differs',
      'record created ' || to_char(record_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        || ', version 1 written ' || to_char(first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    FROM records_in_scope WHERE first_at IS NOT NULL AND record_created_at <> first_at
  )
  SELECT (SELECT max(id) FROM page) AS last_id,
    (SELECT count(*) FROM records_in_scope)::int AS records,
    (SELECT count(*) FROM versions_in_scope)::int AS versions,
    COALESCE((
      SELECT json_agg(json_build_object('recordId', f.record_id, 'catalogCode', p.catalog_code,
        'businessKey', p.business_key, 'versionNo', f.version_no, 'problem', f.problem, 'detail', f.detail)
        ORDER BY f.record_id, f.version_no NULLS FIRST, f.problem)
      FROM findings f JOIN page p ON p.id = f.record_id), '[]') AS findings`;

/** Versions whose record is gone (a record row deleted as a superuser). */
const ORPHAN_VERSIONS = `
  SELECT v.record_id AS "recordId", v.version_no AS "versionNo" FROM record_versions v
  WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = v.record_id)
    AND (?::timestamptz IS NULL OR v.created_at >= ?)
  ORDER BY v.record_id, v.version_no`;

/**
 * One page of loaded files (keyset: id above `after`), each digest recomputed by the same function the loader
 * used (source_file_digest, 011-version-chain), and, for a file loaded since 043, its second digest
 * (source_file_digest_v2, set by the database with the first: the file's row — its delivery, sha256, counts,
 * encoding, columns… —, its lineage with ids and conflict data, its rejections, and its v1 digest as stored); only
 * the page's mismatches come back, one per file: `file-digest-differs` when the v1 digest no longer fits (what the
 * file added was changed), else `file-delivery-differs` when the second no longer does (what identifies the
 * delivery, the file's sha256 or counts, or its rejections).
 */
const DIGEST_PAGE = `
  WITH page AS (
    SELECT id, name, catalog_code, digest, digest_v2 FROM source_files
    WHERE id > ? AND status = 'loaded' AND (?::text IS NULL OR catalog_code = ?)
      AND (?::timestamptz IS NULL OR started_at >= ?)
    ORDER BY id LIMIT ?
  ),
  checked AS (
    SELECT page.*, source_file_digest(page.id) AS recomputed,
      CASE WHEN page.digest_v2 IS NOT NULL THEN source_file_digest_v2(f) END AS recomputed_v2
    FROM page JOIN source_files f ON f.id = page.id
  ),
  findings AS (
    SELECT id, name, catalog_code, 'file-digest-differs' AS problem,
      'stored ' || COALESCE(left(digest, 16), 'nothing') || ', recomputed ' || left(recomputed, 16) AS detail
    FROM checked WHERE digest IS DISTINCT FROM recomputed
    UNION ALL
    SELECT id, name, catalog_code, 'file-delivery-differs',
      'digest v2 stored ' || left(digest_v2, 16) || ', recomputed ' || left(recomputed_v2, 16)
    FROM checked
    WHERE digest IS NOT DISTINCT FROM recomputed AND digest_v2 IS NOT NULL AND digest_v2 IS DISTINCT FROM recomputed_v2
  )
  SELECT (SELECT max(id) FROM page) AS last_id, (SELECT count(*) FROM page)::int AS files,
    COALESCE((
      SELECT json_agg(json_build_object('sourceFileId', id, 'name', name, 'catalogCode', catalog_code,
        'problem', problem, 'detail', detail) ORDER BY id, problem)
      FROM findings), '[]') AS findings`;

/**
 * A record in scope with what its business key, subject, formation date and validity are recomputed from: its
 * current version's data, the catalog entry version the version was stored under and the catalog the version came
 * in under (its file's, or the legal procedure's that wrote it; both outside the record's own row). `checked` is
 * false when the record is not in scope (`since`) or its current version is not its own (the history check names
 * that).
 */
export interface KeyCheckRow {
  recordId: number;
  catalogCode: string;
  businessKey: string;
  versionNo: number | null;
  catalogVersion: number | null;
  versionCatalogCode: string | null;
  /** Whether the record is in scope and its current version its own: only then is `data` read. */
  checked: boolean;
  /** The stored JSON as it is (a JSON null or array too: whatever a procedure's caller handed in). */
  data: RowData | null;
  /** The subject the current version was filed under (record_versions.subject_code). */
  subjectCode: string | null;
  /** The current version's formation date, YYYY-MM-DD. */
  formationDate: string | null;
  /** The legal procedure (procedure_log id) that wrote the current version, if one did. */
  procedureId: number | null;
  /** The current version's stored content hash (what re-deliveries are compared with). */
  contentHash: string | null;
  /** The record's channel level (records.level). */
  level: string;
  /** The levels whose accepted lineage delivered the current version (inserted, updated, re-delivered, merged). */
  deliveredLevels: string[] | null;
}

/**
 * One page of records (keyset: id above `after`) and their current versions. Every record of the page comes
 * back, in id order, so the caller pages on the last id; only the records in scope carry their data. The scope
 * is the history statement's: with `since`, a record that changed, or gained a version, on or after it.
 */
const KEY_PAGE = `
  WITH page AS (
    SELECT r.id, r.catalog_code, r.business_key, r.current_version_id, r.updated_at, r.level
    FROM records r
    WHERE r.id > ? AND (?::text IS NULL OR r.catalog_code = ?)
    ORDER BY r.id LIMIT ?
  ),
  since AS (SELECT ?::timestamptz AS at)
  SELECT p.id AS "recordId", p.catalog_code AS "catalogCode", p.business_key AS "businessKey", p.level,
    v.version_no AS "versionNo", v.catalog_version AS "catalogVersion",
    COALESCE(f.catalog_code, l.catalog_code) AS "versionCatalogCode",
    scoped.in_scope AND v.id IS NOT NULL AS checked,
    CASE WHEN scoped.in_scope THEN v.data END AS data, v.content_hash AS "contentHash",
    v.subject_code AS "subjectCode", to_char(v.formation_date, 'YYYY-MM-DD') AS "formationDate",
    v.procedure_id AS "procedureId",
    CASE WHEN scoped.in_scope AND v.id IS NOT NULL THEN ARRAY(
      SELECT DISTINCT s.level FROM record_sources s
      WHERE s.record_id = p.id AND s.version_id = v.id
        AND s.outcome IN ('inserted', 'updated', 'unchanged', 'merged')) END AS "deliveredLevels"
  FROM page p
  CROSS JOIN since
  CROSS JOIN LATERAL (SELECT since.at IS NULL OR p.updated_at >= since.at OR EXISTS (
      SELECT 1 FROM record_versions w WHERE w.record_id = p.id AND w.created_at >= since.at) AS in_scope) scoped
  LEFT JOIN record_versions v ON v.id = p.current_version_id AND v.record_id = p.id
  LEFT JOIN source_files f ON f.id = v.source_file_id
  LEFT JOIN procedure_log l ON l.id = v.procedure_id
  ORDER BY p.id`;

/** Every record in scope, a page at a time, with its current version's data: memory stays one page. */
export async function* keyPages(
  warehouse: Warehouse,
  scope: IntegrityScope,
  pageSize: number,
): AsyncGenerator<KeyCheckRow[]> {
  const catalog = scope.catalogCode ?? null;
  const since = scope.since ?? null;
  let after = 0;
  for (;;) {
    const { rows } = await warehouse.raw<{ rows: KeyCheckRow[] }>(KEY_PAGE, [
      after,
      catalog,
      catalog,
      pageSize,
      since,
    ]);
    const last = rows.at(-1);
    if (!last) return;
    yield rows;
    after = last.recordId;
  }
}

/**
 * A credit repair (procedure_log kind `repair`, 014-credit-repair.ts) with what its repairable day is recomputed
 * from: the day it was performed (Asia/Shanghai), the disclosure its caller handed the function (logged in
 * `before`), and the version the log names as current then, with its data, catalog entry version and formation
 * date. The version's columns are null when the log names no version of the record.
 */
export interface RepairCheckRow {
  procedureId: number;
  recordId: number;
  catalogCode: string;
  businessKey: string | null;
  repairedOn: string;
  /** `before.disclosure.repairableFrom` as logged: null when absent, else its JSON value (a day, or null). */
  loggedRepairableFrom: unknown;
  loggedVersionId: string | null;
  versionNo: number | null;
  catalogVersion: number | null;
  formationDate: string | null;
  data: RowData | null;
  /** The record's status now, and its current version (null when the record is gone). */
  status: 'current' | 'withdrawn' | 'superseded' | null;
  currentVersionId: string | null;
  currentVersionNo: number | null;
  currentCatalogVersion: number | null;
  currentFormationDate: string | null;
  currentData: RowData | null;
  /** The day (Asia/Shanghai) of the record's newest repair: this one, or one made after it (057). */
  newestRepairOn: string;
}

const REPAIR_PAGE = `
  SELECT l.id AS "procedureId", l.record_id AS "recordId", l.catalog_code AS "catalogCode",
    r.business_key AS "businessKey",
    to_char(l.performed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS "repairedOn",
    l.before -> 'disclosure' -> 'repairableFrom' AS "loggedRepairableFrom",
    l.before ->> 'version_id' AS "loggedVersionId",
    v.version_no AS "versionNo", v.catalog_version AS "catalogVersion",
    to_char(v.formation_date, 'YYYY-MM-DD') AS "formationDate", v.data,
    r.status, c.id::text AS "currentVersionId", c.version_no AS "currentVersionNo",
    c.catalog_version AS "currentCatalogVersion",
    to_char(c.formation_date, 'YYYY-MM-DD') AS "currentFormationDate", c.data AS "currentData",
    (SELECT to_char(max(n.performed_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') FROM procedure_log n
     WHERE n.record_id = l.record_id AND n.kind = 'repair') AS "newestRepairOn"
  FROM procedure_log l
  LEFT JOIN records r ON r.id = l.record_id
  LEFT JOIN record_versions c ON c.id = r.current_version_id
  LEFT JOIN record_versions v ON v.record_id = l.record_id
    AND v.id = CASE WHEN l.before ->> 'version_id' ~ '^[0-9]{1,18}$' THEN (l.before ->> 'version_id')::bigint END
  WHERE l.kind = 'repair' AND l.id > ? AND (?::text IS NULL OR l.catalog_code = ?)
    AND (?::timestamptz IS NULL OR l.performed_at >= ?)
  ORDER BY l.id LIMIT ?`;

/** Every credit repair in scope (its catalog; performed on or after `since`), a page at a time. */
export async function* repairPages(
  warehouse: Warehouse,
  scope: IntegrityScope,
  pageSize: number,
): AsyncGenerator<RepairCheckRow[]> {
  const catalog = scope.catalogCode ?? null;
  const since = scope.since ?? null;
  let after = 0;
  for (;;) {
    const { rows } = await warehouse.raw<{ rows: RepairCheckRow[] }>(REPAIR_PAGE, [
      after,
      catalog,
      catalog,
      since,
      since,
      pageSize,
    ]);
    const last = rows.at(-1);
    if (!last) return;
    yield rows;
    after = last.procedureId;
  }
}

/** Every record in scope, a page at a time (memory stays flat), with what differs in its history. */
export async function* historyPages(
  warehouse: Warehouse,
  scope: IntegrityScope,
  pageSize: number,
): AsyncGenerator<HistoryPageRow> {
  const catalog = scope.catalogCode ?? null;
  const since = scope.since ?? null;
  let after = 0;
  for (;;) {
    const { rows } = await warehouse.raw<{ rows: Array<HistoryPageRow & { last_id: number | null }> }>(
      HISTORY_PAGE,
      [after, catalog, catalog, pageSize, since],
    );
    const page = rows[0];
    if (!page || page.last_id === null) return;
    yield { records: page.records, versions: page.versions, findings: page.findings };
    after = page.last_id;
  }
}

/** Versions (created since `since`, when given) whose record row no longer exists. */
export async function orphanVersions(warehouse: Warehouse, since: Date | null): Promise<OrphanVersionRow[]> {
  const { rows } = await warehouse.raw<{ rows: OrphanVersionRow[] }>(ORPHAN_VERSIONS, [since, since]);
  return rows;
}

/** Every loaded file in scope, a page at a time, with the ones whose digest no longer fits. */
export async function* digestPages(
  warehouse: Warehouse,
  scope: IntegrityScope,
  pageSize: number,
): AsyncGenerator<DigestPageRow> {
  const catalog = scope.catalogCode ?? null;
  const since = scope.since ?? null;
  let after = 0;
  for (;;) {
    const { rows } = await warehouse.raw<{ rows: Array<DigestPageRow & { last_id: number | null }> }>(
      DIGEST_PAGE,
      [after, catalog, catalog, since, since, pageSize],
    );
    const page = rows[0];
    if (!page || page.last_id === null) return;
    yield { files: page.files, findings: page.findings };
    after = page.last_id;
  }
}

/**
 * A version a legal procedure wrote, or named, that differs from what the procedure's log entry records of it
 * (the log is hash-chained, the versions only chained among themselves: a superuser who rewrites a procedure's
 * version and recomputes its chain hash leaves no other trace; no file digest covers it).
 *
 * - `wrote`: a version whose `procedure_id` is a `correct` (`after`) or `reattribute` (`after.superseded_by_…`) of
 *   its record. Its id, version number (correct), content hash, subject, catalog version and formation date (since
 *   040) must be the logged ones, each field the log sets (`after.fields`) must hold the logged value, and every
 *   other field the value of the version the procedure was based on (`before.version_id`): the log's `fields` are
 *   exactly the fields that differ between the two (012's procedure_changed_fields, recomputed here).
 * - `before` / `superseded_by`: the version an entry of any kind names as the record's current one then
 *   (`before.version_id`; a supersede's `after.superseded_by_version_id`) must still be there, a version of that
 *   record, with the logged version number, content hash, catalog version and formation date, and the values
 *   `before.fields` logged (correct, reattribute).
 *
 * Set-based: the versions a procedure wrote are reached through record_versions_procedure (the partial index on
 * procedure_id), the versions an entry names by primary key; only what differs comes back.
 */
export interface ProcedureVersionFindingRow {
  /** `wrote`: the version names the entry; `before`, `superseded_by`: the entry names the version. */
  side: 'wrote' | 'before' | 'superseded_by';
  procedureId: number;
  kind: string;
  recordId: number;
  catalogCode: string;
  businessKey: string | null;
  /** The entry version of the record's current version: its key is shown by it. */
  keyCatalogVersion: number | null;
  /** The version's number as stored, else as logged. */
  versionNo: number | null;
  /** The version id the entry names (JSON text as logged). */
  loggedVersionId: string | null;
  /** The version's id as stored; null when no version has the id the entry names. */
  versionId: number | null;
  /** `wrote`: the version that claims the entry is not the one it names. */
  notNamed: boolean;
  /** What differs, as logged and as stored (JSON text); the subject's values are left out. */
  differs: Array<{ what: string; logged: string | null; stored: string | null }>;
  /** Fields whose value differs from the logged one. */
  fields: string[];
  /** `wrote`: fields the log does not set whose value differs from the version it was based on. */
  unlogged: string[];
  /** `wrote`: the number of the version it was based on, when that is there. */
  basedOnNo: number | null;
}

const PROCEDURE_VERSIONS = `
  WITH entries AS (
    SELECT p.id, p.kind, p.record_id, p.other_record_id, p.catalog_code, p.before, p.after
    FROM procedure_log p
    WHERE (?::text IS NULL OR p.catalog_code = ?) AND (?::timestamptz IS NULL OR p.performed_at >= ?)
  ),
  wrote AS (
    SELECT e.id AS procedure_id, e.kind, e.catalog_code, e.record_id AS entry_record_id, e.before, e.after,
      v.id AS version_id, v.record_id,
      v.version_no, v.data, v.content_hash, v.catalog_version, v.formation_date, v.subject_code,
      CASE e.kind WHEN 'correct' THEN e.after -> 'version_id' ELSE e.after -> 'superseded_by_version_id' END
        AS logged_id,
      CASE e.kind WHEN 'correct' THEN e.after -> 'subject_code' ELSE e.after -> 'superseded_by_subject_code' END
        AS logged_subject
    FROM record_versions v
    JOIN entries e ON e.id = v.procedure_id
    WHERE v.procedure_id IS NOT NULL AND e.kind IN ('correct', 'reattribute')
      AND v.record_id = CASE e.kind WHEN 'correct' THEN e.record_id ELSE e.other_record_id END
  ),
  wrote_checked AS (
    SELECT 'wrote' AS side, w.procedure_id, w.kind, w.catalog_code, w.record_id, w.version_no,
      w.logged_id::text AS logged_version_id, w.version_id,
      w.logged_id IS DISTINCT FROM to_jsonb(w.version_id) AS not_named,
      d.differs, f.fields, u.unlogged, b.version_no AS based_on_no
    FROM wrote w
    LEFT JOIN LATERAL (
      SELECT b.version_no, b.data FROM record_versions b
      WHERE b.id = CASE WHEN jsonb_typeof(w.before -> 'version_id') = 'number'
                         AND w.before ->> 'version_id' ~ '^[0-9]{1,18}$'
                        THEN (w.before ->> 'version_id')::bigint END
        AND b.record_id = w.entry_record_id
      LIMIT 1
    ) b ON true
    CROSS JOIN LATERAL (
      SELECT COALESCE(jsonb_agg(jsonb_build_object('what', m.what,
          'logged', CASE WHEN m.shown THEN m.logged::text END,
          'stored', CASE WHEN m.shown THEN m.stored::text END) ORDER BY m.n), '[]'::jsonb) AS differs
      FROM (VALUES
        (1, 'content hash', true, true, w.after -> 'content_hash', to_jsonb(w.content_hash)),
        (2, 'version number', w.kind = 'correct', true, w.after -> 'version_no', to_jsonb(w.version_no)),
        (3, 'subject', true, false, w.logged_subject, to_jsonb(w.subject_code)),
        (4, 'formation date', w.after -> 'formation_date' IS NOT NULL, true, w.after -> 'formation_date',
          to_jsonb(w.formation_date)),
        (5, 'catalog entry version', w.after -> 'catalog_version' IS NOT NULL, true, w.after -> 'catalog_version',
          to_jsonb(w.catalog_version))
      ) AS m (n, what, checked, shown, logged, stored)
      WHERE m.checked AND COALESCE(m.logged, 'null'::jsonb) IS DISTINCT FROM COALESCE(m.stored, 'null'::jsonb)
    ) d
    CROSS JOIN LATERAL (
      SELECT COALESCE(array_agg(s.k ORDER BY s.k), '{}') AS fields
      FROM jsonb_each(CASE WHEN jsonb_typeof(w.after -> 'fields') = 'object' THEN w.after -> 'fields' END) AS s (k, value)
      WHERE COALESCE(w.data -> s.k, 'null'::jsonb) IS DISTINCT FROM s.value
    ) f
    CROSS JOIN LATERAL (
      SELECT COALESCE(array_agg(k.k ORDER BY k.k), '{}') AS unlogged
      FROM (SELECT jsonb_object_keys(w.data) WHERE jsonb_typeof(w.data) = 'object'
            UNION SELECT jsonb_object_keys(b.data) WHERE jsonb_typeof(b.data) = 'object') AS k (k)
      WHERE jsonb_typeof(w.data) = 'object' AND jsonb_typeof(b.data) = 'object'
        AND w.data -> k.k IS DISTINCT FROM b.data -> k.k AND w.after -> 'fields' -> k.k IS NULL
    ) u
  ),
  named AS (
    SELECT 'before' AS side, e.id AS procedure_id, e.kind, e.catalog_code, e.record_id AS expected_record,
      e.before -> 'version_id' AS logged_id, e.before AS logged,
      CASE WHEN e.kind IN ('correct', 'reattribute') AND jsonb_typeof(e.before -> 'fields') = 'object'
           THEN e.before -> 'fields' END AS logged_fields
    FROM entries e WHERE jsonb_typeof(e.before -> 'version_id') <> 'null'
    UNION ALL
    SELECT 'superseded_by', e.id, e.kind, e.catalog_code, e.other_record_id, e.after -> 'superseded_by_version_id',
      '{}'::jsonb, NULL
    FROM entries e
    WHERE e.kind = 'supersede' AND jsonb_typeof(e.after -> 'superseded_by_version_id') <> 'null'
  ),
  named_checked AS (
    SELECT n.side, n.procedure_id, n.kind, n.catalog_code, n.expected_record AS record_id,
      COALESCE(v.version_no, CASE WHEN n.logged ->> 'version_no' ~ '^[0-9]{1,9}$'
                                  THEN (n.logged ->> 'version_no')::int END) AS version_no,
      n.logged_id::text AS logged_version_id, v.id AS version_id, false AS not_named,
      d.differs, f.fields, '{}'::text[] AS unlogged, NULL::int AS based_on_no
    FROM named n
    -- One lookup by primary key an entry, never a scan of the versions (a lateral join: no hash of the table).
    LEFT JOIN LATERAL (
      SELECT v.id, v.record_id, v.version_no, v.data, v.content_hash, v.catalog_version, v.formation_date
      FROM record_versions v
      WHERE v.id = CASE WHEN jsonb_typeof(n.logged_id) = 'number' AND n.logged_id::text ~ '^[0-9]{1,18}$'
                        THEN n.logged_id::text::bigint END
      LIMIT 1 -- (at most one by the key; the LIMIT keeps the planner from turning the lookups into a join)
    ) v ON true
    CROSS JOIN LATERAL (
      SELECT COALESCE(jsonb_agg(jsonb_build_object('what', m.what, 'logged', m.logged::text,
          'stored', m.stored::text) ORDER BY m.n), '[]'::jsonb) AS differs
      FROM (VALUES
        (1, 'record', true, to_jsonb(n.expected_record), to_jsonb(v.record_id)),
        (2, 'content hash', n.logged -> 'content_hash' IS NOT NULL, n.logged -> 'content_hash',
          to_jsonb(v.content_hash)),
        (3, 'version number', n.logged -> 'version_no' IS NOT NULL, n.logged -> 'version_no', to_jsonb(v.version_no)),
        (4, 'formation date', n.logged -> 'formation_date' IS NOT NULL, n.logged -> 'formation_date',
          to_jsonb(v.formation_date)),
        (5, 'catalog entry version', n.logged -> 'catalog_version' IS NOT NULL, n.logged -> 'catalog_version',
          to_jsonb(v.catalog_version))
      ) AS m (n, what, checked, logged, stored)
      WHERE v.id IS NOT NULL AND m.checked
        AND COALESCE(m.logged, 'null'::jsonb) IS DISTINCT FROM COALESCE(m.stored, 'null'::jsonb)
    ) d
    CROSS JOIN LATERAL (
      SELECT COALESCE(array_agg(s.k ORDER BY s.k), '{}') AS fields
      FROM jsonb_each(CASE WHEN v.id IS NOT NULL THEN n.logged_fields END) AS s (k, value)
      WHERE COALESCE(v.data -> s.k, 'null'::jsonb) IS DISTINCT FROM s.value
    ) f
  ),
  found AS (
    SELECT * FROM wrote_checked
    WHERE not_named OR differs <> '[]'::jsonb OR cardinality(fields) > 0 OR cardinality(unlogged) > 0
    UNION ALL
    SELECT * FROM named_checked
    WHERE version_id IS NULL OR differs <> '[]'::jsonb OR cardinality(fields) > 0
  )
  SELECT f.side, f.procedure_id AS "procedureId", f.kind, f.record_id AS "recordId",
    COALESCE(r.catalog_code, f.catalog_code) AS "catalogCode", r.business_key AS "businessKey",
    r.catalog_version AS "keyCatalogVersion", f.version_no AS "versionNo",
    f.logged_version_id AS "loggedVersionId", f.version_id AS "versionId", f.not_named AS "notNamed",
    f.differs, f.fields, f.unlogged, f.based_on_no AS "basedOnNo"
  FROM found f
  LEFT JOIN LATERAL (
    SELECT r.catalog_code, r.business_key, cv.catalog_version FROM records r
    LEFT JOIN record_versions cv ON cv.id = r.current_version_id
    WHERE r.id = f.record_id
    LIMIT 1
  ) r ON true
  ORDER BY f.procedure_id, CASE f.side WHEN 'before' THEN 0 WHEN 'superseded_by' THEN 1 ELSE 2 END, f.version_id`;

/** Every procedure version in scope (its entry's catalog; performed on or after `since`) that differs from its log. */
export async function procedureVersionFindings(
  warehouse: Warehouse,
  scope: IntegrityScope,
): Promise<ProcedureVersionFindingRow[]> {
  const catalog = scope.catalogCode ?? null;
  const since = scope.since ?? null;
  const { rows } = await warehouse.raw<{ rows: ProcedureVersionFindingRow[] }>(PROCEDURE_VERSIONS, [
    catalog,
    catalog,
    since,
    since,
  ]);
  return rows;
}
