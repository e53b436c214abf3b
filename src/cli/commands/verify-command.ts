import type { Command } from 'commander';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import { describeFinding, type VerifySummary, verifyWarehouse } from '../../verify/verify-warehouse.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { withWarehouse } from '../with-warehouse.ts';
import { dateOption, instantOption } from './date-options.ts';

interface VerifyOptions {
  catalog?: string;
  since?: string;
  json?: boolean;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description(
      'recompute every version chain and file digest, check every record against its history; exit 4 names what was altered',
    )
    .option(
      '--catalog <code>',
      'only records and files of this catalog entry (code or Chinese title, e.g. xzcf or 行政处罚)',
    )
    .option('--since <date>', 'only what was written on or after this day (YYYY-MM-DD, Asia/Shanghai)')
    .option('--json', 'print JSON')
    .action(async (options: VerifyOptions) => {
      const since =
        options.since === undefined
          ? undefined
          : instantOption('--since', dateOption('--since', options.since));
      const { config, logger } = commandContext();
      // Keys and credit repairs are recomputed by the catalog's rules: no verify without it.
      const catalog = await loadCatalog(config.catalogDir);
      const catalogCode = options.catalog === undefined ? undefined : entryCode(catalog, options.catalog);
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        const summary = await verifyWarehouse(
          warehouse,
          catalog,
          { catalogCode, since },
          logger,
          (finding) => {
            if (!options.json) console.log(`✗ ${describeFinding(finding)}`);
          },
        );
        console.log(options.json ? JSON.stringify(summary) : summaryLine(summary));
        return exitCodeOf(summary);
      });
    });
}

/**
 * The code `--catalog` names, by code or Chinese title as `ingest --catalog` takes it; any version counts (records
 * stay filed under versions no longer in force). An unknown entry is a usage error (exit 2), never "nothing to check".
 */
function entryCode(catalog: Catalog, codeOrTitle: string): string {
  const entry = catalog.entries.find((known) => known.code === codeOrTitle || known.title === codeOrTitle);
  return (entry ?? catalog.resolve(codeOrTitle, todayInShanghai())).code;
}

/** A verify that found history altered ends with its own code, so a nightly job can alert on it. */
export function exitCodeOf(summary: VerifySummary): number {
  return summary.status === 'completed' ? EXIT.ok : EXIT.integrity;
}

function summaryLine(summary: VerifySummary): string {
  const { counts } = summary;
  const unchecked = counts.unchecked
    ? `; ${counts.unchecked} not recomputed: catalog entry version missing`
    : '';
  const checked = `${counts.records} records, ${counts.versions} versions, ${counts.files} files, ${counts.keys ?? 0} keys, ${counts.repairs ?? 0} repairs checked${unchecked}`;
  const predating = counts.repairsPredatingSeverity
    ? `; ${counts.repairsPredatingSeverity} 件信用修复早于现行失信程度，已恢复公示 (credit repair(s) predate the severity now in force: shown again, see repair-predates-severity above)`
    : '';
  if (summary.status === 'completed')
    return `verify run ${summary.runId}: ${predating ? 'no history altered' : 'clean'} (${checked})${predating}`;
  return `verify run ${summary.runId}: history altered outside the engine: ${counts.tamperedRecords} record(s), ${counts.tamperedFiles} file(s) (${checked})${predating}`;
}
