import { dateOptionProblem } from '../normalize/parse-date.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { ReportScope } from '../warehouse/scope-filter.ts';
import { filesInScope, type ScopeFile } from '../warehouse/source-files-repository.ts';

// The scope's type lives with the query that applies it; reports and commands know it by this module.
export type { ReportScope };

/** How many file names a scope names before `等 N 个文件`. */
const NAMED_FILES = 10;

/**
 * The scope in words a provider understands: the day it delivered and the names of its files
 * (`2026-11-20 报送的文件 xzcf.csv`), with the platform's own number in brackets for the staff who answer calls.
 */
export function describeScope(scope: ReportScope, files: readonly ScopeFile[] = []): string {
  switch (scope.kind) {
    case 'run':
      return `${filesInWords(files) || '（无文件）'}（平台运行批次 ${scope.runId}）`;
    case 'file':
      return `${filesInWords(files) || '（文件不存在）'}（平台来源文件编号 ${scope.sourceFileId}）`;
    case 'provider':
      return `报送单位 ${scope.providerCode} 于 ${scope.from} 至 ${scope.to} 报送的文件（共 ${files.length} 个）`;
  }
}

/** The scope in words, with the names and days of its files read from the warehouse. */
export async function scopeInWords(warehouse: Warehouse, scope: ReportScope): Promise<string> {
  return describeScope(scope, await filesInScope(warehouse, scope));
}

/** `2026-11-20 报送的文件 a.csv、b.csv；2026-11-21 报送的文件 c.csv`, at most NAMED_FILES names. */
function filesInWords(files: readonly ScopeFile[]): string {
  const byDay = new Map<string, string[]>();
  for (const file of files.slice(0, NAMED_FILES))
    byDay.set(file.received_on, [...(byDay.get(file.received_on) ?? []), file.name]);
  const days = [...byDay].map(([day, names]) => `${day} 报送的文件 ${names.join('、')}`).join('；');
  return files.length > NAMED_FILES ? `${days} 等 ${files.length} 个文件` : days;
}

/** Checks a `--from`/`--to` pair; returns an error message naming the fix, or undefined when fine. */
export function dateRangeProblem(from: string | undefined, to: string | undefined): string | undefined {
  if (!from || !to) return '--from and --to are both needed (YYYY-MM-DD, Asia/Shanghai dates)';
  for (const [flag, date] of [
    ['--from', from],
    ['--to', to],
  ]) {
    const problem = dateOptionProblem(flag!, date!, 'use YYYY-MM-DD dates');
    if (problem) return problem;
  }
  if (from > to) return `--from ${from} is after --to ${to}`;
  return undefined;
}
