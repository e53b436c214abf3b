import type { Command } from 'commander';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { dateRangeProblem, type ReportScope } from '../../report/report-scope.ts';
import { rejectionFormatOf, writeRejectionReport } from '../../report/write-rejection-report.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { withWarehouse } from '../with-warehouse.ts';

interface ScopeOptions {
  run?: string;
  file?: string;
  provider?: string;
  from?: string;
  to?: string;
}

export function registerReportCommand(program: Command): void {
  const report = program.command('report').description('reports for data engineers and providers');
  report
    .command('rejections')
    .description(
      'rejected rows of a run, a file, or a provider and date range: summary by error code and field, every row with its original cells',
    )
    .option('--run <id>', 'run id (see `credit-etl runs list`)')
    .option('--file <id>', 'source file id (see `credit-etl runs show <id>`)')
    .option('--provider <code>', 'provider code, with --from and --to')
    .option('--from <date>', 'first received date, YYYY-MM-DD (Asia/Shanghai)')
    .option('--to <date>', 'last received date, YYYY-MM-DD (Asia/Shanghai)')
    .requiredOption('--out <file>', 'output file: .xlsx, .csv (UTF-8 with BOM) or .json')
    .option('--unmasked', 'write resident ID numbers in clear (internal use only)')
    .action(async (options: ScopeOptions & { out: string; unmasked?: boolean }) => {
      const scope = rejectionScope(options);
      const format = rejectionFormatOf(options.out);
      if (!format) throw new UsageError(`--out ${options.out}: use a .xlsx, .csv or .json file name`);
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        const missing = await missingScope(warehouse, scope);
        if (missing) {
          console.error(missing);
          return EXIT.usage;
        }
        const count = await writeRejectionReport(warehouse, catalog, scope, options.out, format, {
          unmasked: Boolean(options.unmasked),
        });
        console.log(
          `${count} rejection ${format === 'csv' ? 'line' : 'row'}(s) written to ${options.out}${options.unmasked ? ' (UNMASKED: internal use only)' : ''}`,
        );
        return EXIT.ok;
      });
    });
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
  if (scope.kind === 'run' && !(await warehouse('runs').where({ id: scope.runId }).first()))
    return `run ${scope.runId} not found: see \`credit-etl runs list\``;
  if (scope.kind === 'file' && !(await warehouse('source_files').where({ id: scope.sourceFileId }).first()))
    return `source file ${scope.sourceFileId} not found: see \`credit-etl runs show <run id>\``;
  return undefined;
}
