import type { Command } from 'commander';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { rejectionFormatOf, writeRejectionReport } from '../../report/write-rejection-report.ts';
import { logCliUnmask, REASON_HELP, type UnmaskOptions, unmaskedWhat, unmaskReason } from '../cli-unmask.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { withReadingWarehouse } from '../with-warehouse.ts';
import { registerDisclosureCommand } from './report-disclosure-command.ts';
import { registerNoticeCommands } from './report-notice-command.ts';
import { missingScope, rejectionScope, type ScopeOptions } from './report-options.ts';
import { registerQualityCommand } from './report-quality-command.ts';

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
    .option('--unmasked', 'write resident ID numbers in clear (internal use only; needs --reason, logged)')
    .option('--reason <text>', REASON_HELP)
    .action(async (options: ScopeOptions & UnmaskOptions & { out: string }) => {
      const scope = rejectionScope(options);
      const format = rejectionFormatOf(options.out);
      if (!format) throw new UsageError(`--out ${options.out}: use a .xlsx, .csv or .json file name`);
      const reason = unmaskReason(options);
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withReadingWarehouse(config, logger, async (warehouse) => {
        const missing = await missingScope(warehouse, scope);
        if (missing) {
          console.error(missing);
          return EXIT.usage;
        }
        if (reason !== undefined) {
          const scoped: [string, string | undefined][] = [
            ['--run', options.run],
            ['--file', options.file],
            ['--provider', options.provider],
            ['--from', options.from],
            ['--to', options.to],
          ];
          await logCliUnmask(
            warehouse,
            logger,
            unmaskedWhat('report rejections', scoped, options, options.out),
            reason,
          );
        }
        const count = await writeRejectionReport(warehouse, catalog, scope, options.out, format, {
          unmasked: Boolean(options.unmasked),
          issuer: config.issuer,
        });
        console.log(
          `${count} rejection ${format === 'csv' ? 'line' : 'row'}(s) written to ${options.out}${options.unmasked ? ' (UNMASKED: internal use only)' : ''}`,
        );
        return EXIT.ok;
      });
    });
  registerNoticeCommands(report);
  registerQualityCommand(report);
  registerDisclosureCommand(report);
}
