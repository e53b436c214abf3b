import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { IntegrityProblem, RecordFinding, VerifyScope } from './integrity-finding.ts';

/**
 * One page of records (keyset: id above `after`), their versions recomputed in version order and compared
 * with what is stored, and the records checked against their history; all in one statement, so only the
 * page's findings and counts come back. The chain is checked link by link (each version against its stored
 * predecessor), so a version is checked without reading the record's whole history into the client.
 */
const HISTORY_PAGE = `
  WITH page AS (
    SELECT r.id, r.catalog_code, r.business_key, r.subject_code, r.current_version_id, r.updated_at
    FROM records r
    WHERE r.id > ? AND (?::text IS NULL OR r.catalog_code = ?)
    ORDER BY r.id LIMIT ?
  ),
  chained AS (
    SELECT v.id, v.record_id, v.version_no, v.subject_code, v.created_at, v.chain_hash,
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
    SELECT record_id, max(created_at) AS latest_at FROM chained GROUP BY record_id
  ),
  -- With --since, a record is in scope when it changed (or gained a version) on or after the day.
  records_in_scope AS (
    SELECT p.id AS record_id, p.subject_code AS record_subject, p.current_version_id,
      pr.record_id IS NOT NULL AS has_versions,
      c.id, c.record_id AS version_record_id, c.version_no, c.highest_no, c.subject_code
    FROM page p
    CROSS JOIN since
    LEFT JOIN per_record pr ON pr.record_id = p.id
    LEFT JOIN chained c ON c.id = p.current_version_id
    WHERE since.at IS NULL OR p.updated_at >= since.at OR pr.latest_at >= since.at
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
  )
  SELECT (SELECT max(id) FROM page) AS last_id,
    (SELECT count(*) FROM records_in_scope)::int AS records,
    (SELECT count(*) FROM versions_in_scope)::int AS versions,
    COALESCE((
      SELECT json_agg(json_build_object('recordId', f.record_id, 'catalogCode', p.catalog_code,
        'businessKey', p.business_key, 'versionNo', f.version_no, 'problem', f.problem, 'detail', f.detail)
        ORDER BY f.record_id, f.version_no NULLS FIRST, f.problem)
      FROM findings f JOIN page p ON p.id = f.record_id), '[]') AS findings`;

/** Versions whose record is gone (a record row deleted as a superuser): named by record id alone. */
const ORPHAN_VERSIONS = `
  SELECT v.record_id, v.version_no FROM record_versions v
  WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = v.record_id)
    AND (?::timestamptz IS NULL OR v.created_at >= ?)
  ORDER BY v.record_id, v.version_no`;

export interface HistoryPage {
  records: number;
  versions: number;
  findings: RecordFinding[];
}

interface PageRow {
  last_id: number | null;
  records: number;
  versions: number;
  findings: RecordFinding[];
}

/** Every record in scope, a page at a time (memory stays flat), with what is wrong with its history. */
export async function* verifyHistory(
  warehouse: Warehouse,
  scope: VerifyScope,
  pageSize = 5_000,
): AsyncGenerator<HistoryPage> {
  const catalog = scope.catalogCode ?? null;
  const since = scope.since ?? null;
  let after = 0;
  for (;;) {
    const { rows } = await warehouse.raw<{ rows: PageRow[] }>(HISTORY_PAGE, [
      after,
      catalog,
      catalog,
      pageSize,
      since,
    ]);
    const page = rows[0];
    if (!page || page.last_id === null) break;
    yield { records: page.records, versions: page.versions, findings: page.findings };
    after = page.last_id;
  }
  // A record deleted outright belongs to no catalog any more: only a verify of every catalog can name it.
  if (catalog !== null) return;
  const { rows } = await warehouse.raw<{ rows: { record_id: number; version_no: number }[] }>(
    ORPHAN_VERSIONS,
    [since, since],
  );
  if (rows.length === 0) return;
  const problem: IntegrityProblem = 'record-missing';
  yield {
    records: 0,
    versions: 0,
    findings: rows.map((row) => ({
      recordId: row.record_id,
      catalogCode: null,
      businessKey: null,
      versionNo: row.version_no,
      problem,
      detail: `record ${row.record_id} not found`,
    })),
  };
}
