import path from 'node:path';
import { type Command, Option } from 'commander';
import { CHANNEL_LEVELS, type ChannelLevel } from '../../catalog/catalog-entry.ts';
import { loadProviders, providersFile } from '../../report/providers.ts';
import { writeQualityHtml } from '../../report/quality-html.ts';
import { MAX_PERIOD_YEARS, periodTooLong, qualityBulletin } from '../../report/quality-stats.ts';
import { dateRangeProblem } from '../../report/report-scope.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { type QualityFile, qualityJson, qualityText } from '../format-quality.ts';
import { withReadingWarehouse } from '../with-warehouse.ts';

interface QualityOptions {
  from: string;
  to: string;
  level?: ChannelLevel;
  format?: 'xlsx' | 'html';
  out: string;
  bottom: string;
  providers: string;
  json?: boolean;
}

/**
 * `report quality`: the Art. 15 bulletin ranking providers on volume and quality. Once the file is written, the
 * ranking on the console (or, with `--json`, the bulletin's figures and the file as one JSON document).
 */
export function registerQualityCommand(report: Command): void {
  report
    .command('quality')
    .description(
      'quality bulletin: per provider rows, rejection and late rates, conflicts, catalog coverage, trend; ranked, bottom N highlighted',
    )
    .requiredOption('--from <date>', 'first received date, YYYY-MM-DD (Asia/Shanghai)')
    .requiredOption('--to <date>', 'last received date, YYYY-MM-DD')
    .addOption(new Option('--level <level>', 'only providers of this channel level').choices(CHANNEL_LEVELS))
    .addOption(
      new Option('--format <format>', 'xlsx or html (default: from --out)').choices(['xlsx', 'html']),
    )
    .requiredOption('--out <file>', 'output file (.xlsx or .html)')
    .option('--bottom <n>', 'how many last-ranked providers to highlight', '3')
    .option(
      '--providers <file>',
      'provider registry (default: CREDIT_ETL_PROVIDERS_FILE or config/providers.json)',
      providersFile(),
    )
    .option('--json', 'print the figures and the file written as JSON')
    .action(async (options: QualityOptions) => {
      const problem = dateRangeProblem(options.from, options.to);
      if (problem) throw new UsageError(problem);
      if (periodTooLong(options.from, options.to))
        throw new UsageError(
          `--from ${options.from} to --to ${options.to} is longer than ${MAX_PERIOD_YEARS} years: choose a shorter period`,
        );
      const bottom = Number(options.bottom);
      if (!Number.isInteger(bottom) || bottom < 0)
        throw new UsageError(`--bottom ${options.bottom}: use a whole number ≥ 0`);
      const extension = options.out.toLowerCase().split('.').pop();
      const format = options.format ?? (extension === 'html' || extension === 'xlsx' ? extension : undefined);
      if (!format)
        throw new UsageError(`--out ${options.out}: use a .xlsx or .html file name, or give --format`);
      const { config, logger } = commandContext();
      const providers = await loadProviders(options.providers);
      process.exitCode = await withReadingWarehouse(config, logger, async (warehouse) => {
        const bulletin = await qualityBulletin(warehouse, providers, {
          from: options.from,
          to: options.to,
          bottom,
          ...(options.level ? { level: options.level } : {}),
        });
        if (format === 'html') await writeQualityHtml(bulletin, options.out);
        else await (await import('../../report/quality-xlsx.ts')).writeQualityXlsx(bulletin, options.out);
        const files: QualityFile[] = [{ format, path: path.resolve(options.out) }];
        console.log(
          options.json ? JSON.stringify(qualityJson(bulletin, files)) : qualityText(bulletin, files),
        );
        return EXIT.ok;
      });
    });
}
