import { createHash } from 'node:crypto';
import type { Warehouse } from './connect-warehouse.ts';
import type { ProcedureLogScope } from './procedure-log-chain.ts';

export type ObjectionLogProblem =
  | 'objection-log-altered'
  | 'objection-log-broken-link'
  | 'objection-missing'
  | 'objection-differs-from-log';

/**
 * Something `verify` found wrong with the objection log, and the record the objection concerns: null only for a
 * step whose objection and opening step are both gone.
 */
export interface ObjectionLogFinding {
  kind: ObjectionLogProblem;
  recordId: number | null;
  catalogCode: string | null;
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
  /** The objection's record and catalog; when the objection is gone, what its open step registered (else null). */
  record_id: number | null;
  catalog_code: string | null;
  /** The objection row is gone. */
  objection_missing: boolean;
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
 * Every step, in log order, with its objection's record. Left-joined: a step whose objection was deleted (triggers
 * off: the foreign key's too) is still read, so the chain runs through it and the step is named. Its record is the
 * one the objection's open step registered (the open step's detail holds the objection row, under the chain).
 */
const STEPS = `
  SELECT l.id, l.objection_id, to_char(l.performed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS performed_at_utc,
         l.action, l.stage, l.result, l.procedure_id, l.basis, l.note, l.detail::text AS detail_text, l.db_user,
         l.operator, l.prev_hash, l.version_id, l.hash, l.performed_at,
         o.id IS NULL AS objection_missing,
         COALESCE(o.record_id, CASE WHEN opened.detail ->> 'record_id' ~ '^[0-9]{1,18}$'
                                    THEN (opened.detail ->> 'record_id')::bigint END) AS record_id,
         COALESCE(o.catalog_code, opened.detail ->> 'catalog_code') AS catalog_code,
         CASE WHEN l.action = 'open' THEN l.detail @> (to_jsonb(o) - 'created_at') END AS header_matches
  FROM objection_log l
  LEFT JOIN objections o ON o.id = l.objection_id
  LEFT JOIN LATERAL (
    SELECT s.detail FROM objection_log s
    WHERE o.id IS NULL AND s.objection_id = l.objection_id AND s.action = 'open'
    ORDER BY s.id LIMIT 1) opened ON true
  ORDER BY l.id`;

/**
 * Recomputes the objection log's hash chain here, not in the database (as procedure-log-chain.ts does), and
 * checks every objection as stored against what its open step recorded: a step changed, removed or inserted
 * out of order, an objection's received or due date rewritten, or an objection deleted (`objection-missing`,
 * each of its steps), is named.
 */
export async function verifyObjectionLog(
  warehouse: Warehouse,
  scope: ProcedureLogScope = {},
): Promise<ObjectionLogFinding[]> {
  const findings: ObjectionLogFinding[] = [];
  const rows: StepRow[] = (await warehouse.raw(STEPS)).rows;
  // A step whose catalog nothing tells any more is in every catalog's scope.
  const inScope = (row: StepRow) =>
    (!scope.catalogCode || row.catalog_code === null || row.catalog_code === scope.catalogCode) &&
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
      if (row.objection_missing)
        finding(
          'objection-missing',
          row.record_id === null
            ? ': its objection is gone (deleted behind the engine), and so is its opening step: the record it concerned is unknown'
            : `: its objection is gone (deleted behind the engine); its opening step registered it on record ${row.record_id}`,
        );
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
