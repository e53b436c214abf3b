import type { Knex } from 'knex';
import { isoDateProblem } from '../normalize/parse-date.ts';

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

/** The scope in words, for the first sheet of a report. */
export function describeScope(scope: ReportScope): string {
  switch (scope.kind) {
    case 'run':
      return `运行批次 ${scope.runId}`;
    case 'file':
      return `来源文件 ${scope.sourceFileId}`;
    case 'provider':
      return `报送单位 ${scope.providerCode}，接收日期 ${scope.from} 至 ${scope.to}`;
  }
}

/** Checks a `--from`/`--to` pair; returns an error message naming the fix, or undefined when fine. */
export function dateRangeProblem(from: string | undefined, to: string | undefined): string | undefined {
  if (!from || !to) return '--from and --to are both needed (YYYY-MM-DD, Asia/Shanghai dates)';
  for (const [flag, date] of [
    ['--from', from],
    ['--to', to],
  ]) {
    const problem = isoDateProblem(date!);
    if (problem) return `${flag} ${date} is not a real date (${problem}): use YYYY-MM-DD dates`;
  }
  if (from > to) return `--from ${from} is after --to ${to}`;
  return undefined;
}
