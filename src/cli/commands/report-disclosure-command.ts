import type { Command } from 'commander';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { countLines, disclosureFormatOf, writeDisclosureReport } from '../../report/disclosure-report.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { withReadingWarehouse } from '../with-warehouse.ts';
import { dateOption } from './date-options.ts';

/** `report disclosure --as-of <date> --out <file>`: what may be shown to the public that day, masked. */
export function registerDisclosureCommand(report: Command): void {
  report
    .command('disclosure')
    .description(
      'what may be publicly shown on a day (公示): current records within their disclosure period, not repaired; objections labelled; masked',
    )
    .requiredOption('--as-of <date>', 'the day of disclosure, YYYY-MM-DD')
    .requiredOption('--out <file>', 'output file: .xlsx, .csv (UTF-8 with BOM) or .json')
    .action(async (options: { asOf: string; out: string }) => {
      const asOf = dateOption('--as-of', options.asOf);
      const format = disclosureFormatOf(options.out);
      if (!format) throw new UsageError(`--out ${options.out}: use a .xlsx, .csv or .json file name`);
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withReadingWarehouse(config, logger, async (warehouse) => {
        const counts = await writeDisclosureReport(warehouse, catalog, asOf, options.out, format);
        console.log(`disclosure on ${asOf}: ${counts.shown} record(s) shown written to ${options.out}`);
        console.log(
          countLines(counts)
            .map(([label, value]) => `  ${label} ${value}`)
            .join('\n'),
        );
        return EXIT.ok;
      });
    });
}
