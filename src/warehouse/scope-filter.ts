import type { Knex } from 'knex';

/** Which rejections a report covers: one run, one source file, or one provider's deliveries in a date range. */
export type ReportScope =
  | { kind: 'run'; runId: number }
  | { kind: 'file'; sourceFileId: number }
  | { kind: 'provider'; providerCode: string; from: string; to: string };

/** The Shanghai calendar date a file was received: periods are counted in local days, as operators mean them. */
export const RECEIVED_DATE_SQL = `(f.received_at AT TIME ZONE 'Asia/Shanghai')::date`;

/** Restricts a query joined to `source_files as f` to the scope. */
export function whereInScope(query: Knex.QueryBuilder, scope: ReportScope): Knex.QueryBuilder {
  switch (scope.kind) {
    case 'run':
      return query.where('f.run_id', scope.runId);
    case 'file':
      return query.where('f.id', scope.sourceFileId);
    case 'provider':
      return query
        .where('f.provider_code', scope.providerCode)
        .whereRaw(`${RECEIVED_DATE_SQL} BETWEEN ?::date AND ?::date`, [scope.from, scope.to]);
  }
}
