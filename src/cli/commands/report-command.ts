import type { Command } from 'commander';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { writeRejectionsCsv } from '../../report/rejections-csv.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { withWarehouse } from '../with-warehouse.ts';

export function registerReportCommand(program: Command): void {
  const report = program.command('report').description('reports for data engineers and providers');
  report
    .command('rejections')
    .description(
      "a run's rejected rows: one line per error with field, code, Chinese message and the original cells",
    )
    .requiredOption('--run <id>', 'run id (see `credit-etl runs list`)')
    .requiredOption('--out <file.csv>', 'output file (.csv, UTF-8 with BOM for Excel)')
    .option('--unmasked', 'write resident ID numbers in clear (internal use only)')
    .action(async (options: { run: string; out: string; unmasked?: boolean }) => {
      const runId = Number(options.run);
      if (!Number.isInteger(runId)) throw new UsageError(`--run ${options.run} is not a run id`);
      if (!options.out.toLowerCase().endsWith('.csv'))
        throw new UsageError(`--out ${options.out}: use a .csv file name`);
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        if (!(await warehouse('runs').where({ id: runId }).first())) {
          console.error(`run ${runId} not found: see \`credit-etl runs list\``);
          return EXIT.usage;
        }
        const lines = await writeRejectionsCsv(warehouse, catalog, runId, options.out, {
          unmasked: Boolean(options.unmasked),
        });
        console.log(
          `${lines} rejection line(s) written to ${options.out}${options.unmasked ? ' (UNMASKED: internal use only)' : ''}`,
        );
        return EXIT.ok;
      });
    });
}
