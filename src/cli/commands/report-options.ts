import { dateRangeProblem, type ReportScope } from '../../report/report-scope.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import { findRun } from '../../warehouse/runs-repository.ts';
import { findSourceFile } from '../../warehouse/source-files-repository.ts';
import { UsageError } from '../exit-codes.ts';

export interface ScopeOptions {
  run?: string;
  file?: string;
  provider?: string;
  from?: string;
  to?: string;
}

/** Exactly one of --run, --file, or --provider with --from/--to. */
export function rejectionScope(options: ScopeOptions): ReportScope {
  const given = [options.run, options.file, options.provider].filter((value) => value !== undefined);
  if (given.length !== 1)
    throw new UsageError('give exactly one scope: --run <id>, --file <id>, or --provider <code> --from --to');
  if (options.run !== undefined) return { kind: 'run', runId: idOption('--run', options.run) };
  if (options.file !== undefined) return { kind: 'file', sourceFileId: idOption('--file', options.file) };
  const problem = dateRangeProblem(options.from, options.to);
  if (problem) throw new UsageError(problem);
  return { kind: 'provider', providerCode: options.provider!, from: options.from!, to: options.to! };
}

export function idOption(name: string, value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0) throw new UsageError(`${name} ${value} is not an id`);
  return id;
}

/** A message naming the fix when the scope's run or file does not exist. */
export async function missingScope(warehouse: Warehouse, scope: ReportScope): Promise<string | undefined> {
  if (scope.kind === 'run' && !(await findRun(warehouse, scope.runId)))
    return `run ${scope.runId} not found: see \`credit-etl runs list\``;
  if (scope.kind === 'file' && !(await findSourceFile(warehouse, scope.sourceFileId)))
    return `source file ${scope.sourceFileId} not found: see \`credit-etl runs show <run id>\``;
  return undefined;
}
