import { maskTypedLookup } from '../../log/mask-personal-data.ts';
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

/**
 * A row id as typed: digits making a safe integer, else a usage error. A longer number is no id (it would be
 * rounded: `370102198001010015` looked up as …0000) but perhaps a person's ID number typed in the wrong place.
 */
export function idOption(name: string, value: string): number {
  const id = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(id) || id <= 0)
    throw new UsageError(`${name} ${shownId(value)} is not an id`);
  return id;
}

/** An id as a message echoes it: a number shaped like an ID number (15 digits, a birth date) masked. */
export const shownId = (id: number | string): string => maskTypedLookup(String(id));

/** A message naming the fix when the scope's run or file does not exist. */
export async function missingScope(warehouse: Warehouse, scope: ReportScope): Promise<string | undefined> {
  if (scope.kind === 'run' && !(await findRun(warehouse, scope.runId)))
    return `run ${shownId(scope.runId)} not found: see \`credit-etl runs list\``;
  if (scope.kind === 'file' && !(await findSourceFile(warehouse, scope.sourceFileId)))
    return `source file ${shownId(scope.sourceFileId)} not found: see \`credit-etl runs show <run id>\``;
  return undefined;
}
