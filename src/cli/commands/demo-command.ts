import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { makeDirectory } from '../../../connectors/make-directory.ts';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../../config/config.ts';
import { runPipeline } from '../../pipelines/run-pipeline.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { pipelineNamed, stagingDir } from '../pipeline-context.ts';
import { printRun } from '../print-run.ts';
import { withWarehouse } from '../with-warehouse.ts';

/** The province's unified push, then a city's push of overlapping penalties (省市互补), as pipelines. */
const DELIVERIES = [
  { pipeline: 'xzcf-province', fixture: 'fixtures/xzcf/utf8-bom/input.csv' },
  { pipeline: 'xzcf-jinan', fixture: 'fixtures/xzcf/gb18030/input.csv' },
] as const;

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'the main job on the bundled fixtures: drop a province and a city delivery, run both pipelines, report',
    )
    .action(async () => {
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        let exitCode: number = EXIT.ok;
        for (const delivery of DELIVERIES) {
          const pipeline = await pipelineNamed(delivery.pipeline);
          const dropDir = path.resolve(String(pipeline.transport.directory));
          // A provider's delivery: the file, then its done-marker (only complete files are taken).
          const name = `${delivery.pipeline}-${todayInShanghai()}.csv`;
          await makeDirectory(dropDir);
          await copyFile(path.join(PROJECT_ROOT, delivery.fixture), path.join(dropDir, name));
          await writeFile(path.join(dropDir, `${name}.ok`), '');
          const result = await runPipeline(
            warehouse,
            catalog,
            pipeline,
            { stagingDir: stagingDir() },
            logger,
          );
          if (result.status === 'locked') {
            console.log(`\n${delivery.pipeline}: running in another process, skipped`);
            continue;
          }
          const { summary } = result;
          console.log(`\npipeline ${delivery.pipeline} (${pipeline.level}) over ${dropDir}:`);
          if (summary.files.length === 0) {
            console.log(`run ${summary.runId}: nothing new — this content was loaded before (sha256 ledger)`);
            continue;
          }
          const reported = await printRun(warehouse, catalog, config.reportDir, summary);
          if (!reported || summary.status !== 'completed') exitCode = EXIT.failed;
        }
        const where = config.databaseUrl
          ? 'DATABASE_URL'
          : `embedded PostgreSQL in ${config.embeddedDataDir}`;
        console.log(`\nwarehouse: ${where}`);
        console.log(
          'next: credit-etl runs list · credit-etl subject <code> · credit-etl report rejections --run <id> --out <file.xlsx>',
        );
        return exitCode;
      });
    });
}
