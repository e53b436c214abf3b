import { isoDateProblem } from '../normalize/parse-date.ts';
import type { ReportScope } from '../warehouse/scope-filter.ts';

// The scope's type lives with the query that applies it; reports and commands know it by this module.
export type { ReportScope };

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
