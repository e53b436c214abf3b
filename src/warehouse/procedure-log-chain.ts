import { createHash } from 'node:crypto';
import type { Warehouse } from './connect-warehouse.ts';

/** Something `verify` found wrong; `recordId` when it concerns one record. */
export interface ChainFinding {
  kind: string;
  recordId?: number;
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
        detail: `${where} does not follow the entry before it: an entry was removed, inserted or reordered`,
      });
    if (sha256(procedureLogPayload(row)) !== row.hash && inScope(row))
      findings.push({
        kind: 'procedure-log-altered',
        recordId: row.record_id,
        detail: `${where}: its content no longer matches its hash (changed behind the engine's back)`,
      });
    previous = row.hash;
  }
  // A record retired without a logged procedure, or by an entry that does not retire it.
  const unexplained: Array<{ id: number; status: string; status_procedure_id: number | null }> = (
    await warehouse.raw(
      `SELECT r.id, r.status, r.status_procedure_id FROM records r
       LEFT JOIN procedure_log p ON p.id = r.status_procedure_id
       WHERE r.status <> 'current'
         AND (p.id IS NULL OR p.record_id <> r.id
              OR (r.status = 'withdrawn') <> (p.kind = 'withdraw')
              OR (r.status = 'superseded' AND p.other_record_id IS DISTINCT FROM r.superseded_by))
         ${scope.catalogCode ? 'AND r.catalog_code = ?' : ''}
       ORDER BY r.id`,
      scope.catalogCode ? [scope.catalogCode] : [],
    )
  ).rows;
  for (const record of unexplained)
    findings.push({
      kind: 'procedure-missing',
      recordId: record.id,
      detail: `record ${record.id} is ${record.status} but procedure_log has no matching entry (#${record.status_procedure_id ?? '—'})`,
    });
  return findings;
}
