import path from 'node:path';
import type { Command } from 'commander';
import { localFileUnit } from '../../../connectors/transports/local-file.ts';
import type { ChannelLevel } from '../../catalog/catalog-entry.ts';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../../config/config.ts';
import { writeRejectionsCsv } from '../../report/rejections-csv.ts';
import { ingestUnits } from '../../run/ingest-files.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { summaryText } from '../format-summary.ts';
import { withWarehouse } from '../with-warehouse.ts';

/** The province's unified push and a city's push of overlapping penalties (省市互补). */
const DELIVERIES: { file: string; level: ChannelLevel; provider: string }[] = [
  { file: 'fixtures/xzcf/utf8-bom/input.csv', level: 'province', provider: '113700000000000000' },
  { file: 'fixtures/xzcf/gb18030/input.csv', level: 'city', provider: '113701000000000000' },
];

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the main job on the bundled fixtures: migrate, ingest a province and a city push, report')
    .action(async () => {
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        let exitCode: number = EXIT.ok;
        for (const delivery of DELIVERIES) {
          const unit = await localFileUnit(path.join(PROJECT_ROOT, delivery.file));
          const summary = await ingestUnits(
            warehouse,
            catalog,
            {
              units: [unit],
              catalog: 'xzcf',
              providerCode: delivery.provider,
              level: delivery.level,
              encoding: 'auto',
              kind: 'demo',
            },
            logger,
          );
          const report = path.join(config.reportDir, `run-${summary.runId}-rejections.csv`);
          await writeRejectionsCsv(warehouse, catalog, summary.runId, report);
          console.log(`\n${delivery.level} push of ${delivery.file} (${summary.files[0]?.encoding ?? '?'}):`);
          console.log(summaryText(summary, report));
          if (summary.status !== 'completed') exitCode = EXIT.failed;
        }
        console.log(
          `\nwarehouse: ${config.databaseUrl ? 'DATABASE_URL' : `embedded PostgreSQL in ${config.embeddedDataDir}`}`,
        );
        console.log(
          'next: credit-etl runs list · credit-etl runs show <id> · credit-etl report rejections --run <id> --out <file.csv>',
        );
        return exitCode;
      });
    });
}
