import { createHash } from 'node:crypto';
import type { Warehouse } from './connect-warehouse.ts';

export type ProcedureLogProblem =
  | 'procedure-log-altered'
  | 'procedure-log-broken-link'
  | 'procedure-missing'
  | 'procedure-undone'
  | 'procedure-version-missing'
  | 'version-without-procedure';

/** Something `verify` found wrong with the legal procedures, and the record it concerns. */
export interface ChainFinding {
  kind: ProcedureLogProblem;
  recordId: number;
  catalogCode: string;
  detail: string;
}

export interface ProcedureLogScope {
  catalogCode?: string;
  /** Report only entries performed at or after this time (the whole chain is still walked: it is one chain). */
  since?: Date;
}

interface LogRow {
  id: number;
  performed_at_utc: string;
  kind: string;
  record_id: number;
  other_record_id: number | null;
  catalog_code: string;
  basis: string;
  reason: string;
  db_user: string;
  operator: string;
  before_text: string;
  after_text: string;
  prev_hash: string | null;
  hash: string;
  performed_at: Date;
}

/** The text an entry's hash covers: the same fields, in the same order and form, as 012-legal-procedures.ts. */
export function procedureLogPayload(row: Omit<LogRow, 'hash' | 'performed_at'>): string {
  return [
    String(row.id),
    row.performed_at_utc,
    row.kind,
    String(row.record_id),
    row.other_record_id === null ? '' : String(row.other_record_id),
    row.catalog_code,
    row.basis,
    row.reason,
    row.db_user,
    row.operator,
    row.before_text,
    row.after_text,
    row.prev_hash ?? '',
  ].join('\x1f');
}

interface FindingRow {
  record_id: number;
  catalog_code: string;
  status: string;
  procedure_id: number | null;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Recomputes the procedure log's hash chain here, not in the database (whose functions could have been
 * replaced with the log): every entry's hash must be the sha256 of its content and the previous entry's hash,
 * and every entry must point at the one before it. Names each entry changed, removed or inserted out of order,
 * and each withdrawn or superseded record whose state no logged procedure explains.
 */
export async function verifyProcedureLog(
  warehouse: Warehouse,
  scope: ProcedureLogScope = {},
): Promise<ChainFinding[]> {
  const findings: ChainFinding[] = [];
  const inScope = (row: LogRow) =>
    (!scope.catalogCode || row.catalog_code === scope.catalogCode) &&
    (!scope.since || row.performed_at >= scope.since);
  const rows: LogRow[] = (
    await warehouse.raw(
      `SELECT id, to_char(performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS performed_at_utc,
              kind, record_id, other_record_id, catalog_code, basis, reason, db_user, operator,
              before::text AS before_text, after::text AS after_text, prev_hash, hash, performed_at
       FROM procedure_log ORDER BY id`,
    )
  ).rows;
  let previous: string | null = null;
  for (const row of rows) {
    const where = `procedure #${row.id} (${row.kind}, record ${row.record_id})`;
    if (row.prev_hash !== previous && inScope(row))
      findings.push({
        kind: 'procedure-log-broken-link',
        recordId: row.record_id,
        catalogCode: row.catalog_code,
        detail: `${where} does not follow the entry before it: an entry was removed, inserted or reordered`,
      });
    if (sha256(procedureLogPayload(row)) !== row.hash && inScope(row))
      findings.push({
        kind: 'procedure-log-altered',
        recordId: row.record_id,
        catalogCode: row.catalog_code,
        detail: `${where}: its content no longer matches its hash (changed behind the engine's back)`,
      });
    previous = row.hash;
  }
  const catalogFilter = (alias: string) => (scope.catalogCode ? `AND ${alias}.catalog_code = ?` : '');
  const params = scope.catalogCode ? [scope.catalogCode] : [];
  const check = async (kind: ProcedureLogProblem, sql: string, detail: (row: FindingRow) => string) => {
    const found: FindingRow[] = (await warehouse.raw(sql, params)).rows;
    for (const row of found)
      findings.push({ kind, recordId: row.record_id, catalogCode: row.catalog_code, detail: detail(row) });
  };
  // The state of the records must be what the log says the procedures left.
  await check(
    'procedure-missing',
    `SELECT r.id AS record_id, r.catalog_code, r.status, r.status_procedure_id AS procedure_id FROM records r
     LEFT JOIN procedure_log p ON p.id = r.status_procedure_id
     WHERE r.status <> 'current'
       AND (p.id IS NULL OR p.record_id <> r.id OR (r.status = 'withdrawn') <> (p.kind = 'withdraw')
            OR (r.status = 'superseded' AND p.other_record_id IS DISTINCT FROM r.superseded_by))
       ${catalogFilter('r')}
     ORDER BY r.id`,
    (row) =>
      `record ${row.record_id} is ${row.status} but no logged procedure made it so (#${row.procedure_id ?? '—'})`,
  );
  await check(
    'procedure-undone',
    `SELECT p.record_id, p.catalog_code, r.status, p.id AS procedure_id FROM procedure_log p JOIN records r ON r.id = p.record_id
     WHERE p.kind IN ('withdraw', 'supersede', 'reattribute')
       AND r.status_procedure_id IS DISTINCT FROM p.id ${catalogFilter('p')}
     ORDER BY p.id`,
    (row) =>
      `procedure #${row.procedure_id} retired record ${row.record_id}, but the record is now ${row.status}: undone behind the engine's back`,
  );
  await check(
    'procedure-version-missing',
    `SELECT p.record_id, p.catalog_code, p.id AS procedure_id, 'current' AS status FROM procedure_log p
     WHERE p.kind IN ('correct', 'reattribute') ${catalogFilter('p')}
       AND NOT EXISTS (SELECT 1 FROM record_versions v WHERE v.procedure_id = p.id
                       AND v.record_id = CASE p.kind WHEN 'correct' THEN p.record_id ELSE p.other_record_id END)
     ORDER BY p.id`,
    (row) =>
      `procedure #${row.procedure_id} wrote a version that is no longer there (record ${row.record_id})`,
  );
  await check(
    'version-without-procedure',
    `SELECT v.record_id, r.catalog_code, v.procedure_id, 'current' AS status FROM record_versions v
     JOIN records r ON r.id = v.record_id
     LEFT JOIN procedure_log p ON p.id = v.procedure_id
     WHERE v.procedure_id IS NOT NULL ${catalogFilter('r')}
       AND (p.id IS NULL OR p.kind NOT IN ('correct', 'reattribute')
            OR v.record_id <> CASE p.kind WHEN 'correct' THEN p.record_id ELSE p.other_record_id END)
     ORDER BY v.id`,
    (row) =>
      `record ${row.record_id} has a version claiming procedure #${row.procedure_id}, which wrote no version of it`,
  );
  return findings;
}
