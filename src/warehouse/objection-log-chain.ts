import { createHash } from 'node:crypto';
import type { Warehouse } from './connect-warehouse.ts';
import type { ProcedureLogScope } from './procedure-log-chain.ts';

export type ObjectionLogProblem =
  | 'objection-log-altered'
  | 'objection-log-broken-link'
  | 'objection-differs-from-log';

/** Something `verify` found wrong with the objection log, and the record the objection concerns. */
export interface ObjectionLogFinding {
  kind: ObjectionLogProblem;
  recordId: number;
  catalogCode: string;
  detail: string;
}

interface StepRow {
  id: number;
  objection_id: number;
  performed_at_utc: string;
  action: string;
  stage: string;
  result: string | null;
  procedure_id: number | null;
  basis: string | null;
  note: string | null;
  detail_text: string;
  db_user: string;
  operator: string;
  prev_hash: string | null;
  /** The delivered version an upheld result cites (037): the payload's last part, only when set. */
  version_id: number | null;
  hash: string;
  performed_at: Date;
  record_id: number;
  catalog_code: string;
  /** open steps: whether the objection as stored is still what the step recorded. */
  header_matches: boolean | null;
}

/**
 * The text a step's hash covers: the same fields, in the same order and form, as 013-objections.ts, and the
 * version a result cites after them when there is one (037-objection-remedies.ts: concat_ws skips a NULL).
 */
export function objectionLogPayload(row: StepRow): string {
  return [
    String(row.id),
    String(row.objection_id),
    row.performed_at_utc,
    row.action,
    row.stage,
    row.result ?? '',
    row.procedure_id === null ? '' : String(row.procedure_id),
    row.basis ?? '',
    row.note ?? '',
    row.detail_text,
    row.db_user,
    row.operator,
    row.prev_hash ?? '',
    ...(row.version_id === null ? [] : [String(row.version_id)]),
  ].join('\x1f');
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Recomputes the objection log's hash chain here, not in the database (as procedure-log-chain.ts does), and
 * checks every objection as stored against what its open step recorded: a step changed, removed or inserted
 * out of order, or an objection's received or due date rewritten, is named.
 */
export async function verifyObjectionLog(
  warehouse: Warehouse,
  scope: ProcedureLogScope = {},
): Promise<ObjectionLogFinding[]> {
  const findings: ObjectionLogFinding[] = [];
  const rows: StepRow[] = (
    await warehouse.raw(
      `SELECT l.id, l.objection_id, to_char(l.performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS performed_at_utc,
              l.action, l.stage, l.result, l.procedure_id, l.basis, l.note, l.detail::text AS detail_text, l.db_user,
              l.operator, l.prev_hash, l.version_id, l.hash, l.performed_at, o.record_id, o.catalog_code,
              CASE WHEN l.action = 'open' THEN l.detail @> (to_jsonb(o) - 'created_at') END AS header_matches
       FROM objection_log l JOIN objections o ON o.id = l.objection_id ORDER BY l.id`,
    )
  ).rows;
  const inScope = (row: StepRow) =>
    (!scope.catalogCode || row.catalog_code === scope.catalogCode) &&
    (!scope.since || row.performed_at >= scope.since);
  let previous: string | null = null;
  for (const row of rows) {
    const where = `objection #${row.objection_id} step #${row.id} (${row.action})`;
    const finding = (kind: ObjectionLogProblem, detail: string) =>
      findings.push({
        kind,
        recordId: row.record_id,
        catalogCode: row.catalog_code,
        detail: `${where}${detail}`,
      });
    if (inScope(row)) {
      if (row.prev_hash !== previous)
        finding(
          'objection-log-broken-link',
          ' does not follow the step before it: a step was removed, inserted or reordered',
        );
      if (sha256(objectionLogPayload(row)) !== row.hash)
        finding(
          'objection-log-altered',
          ": its content no longer matches its hash (changed behind the engine's back)",
        );
      if (row.header_matches === false)
        finding('objection-differs-from-log', ': the objection as stored differs from what was registered');
    }
    previous = row.hash;
  }
  return findings;
}
