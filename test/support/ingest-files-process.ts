// `ingestUnits` over local files in a process of its own, printing the run's summary (or the error it ended with)
// as one JSON line: run as another OS user than root by a test, whose files' permissions then hold.
import path from 'node:path';
import { localFileUnit } from '../../connectors/transports/local-file.ts';
import { loadCatalog } from '../../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../../src/config/config.ts';
import { createLogger } from '../../src/log/logger.ts';
import { ingestUnits } from '../../src/run/ingest-files.ts';
import { connectWarehouse } from '../../src/warehouse/connect-warehouse.ts';

const warehouse = connectWarehouse(process.env.DATABASE_URL ?? '');
try {
  const summary = await ingestUnits(
    warehouse,
    await loadCatalog(path.join(PROJECT_ROOT, 'catalog')),
    {
      units: await Promise.all(process.argv.slice(2).map((file) => localFileUnit(file))),
      catalog: 'xzcf',
      providerCode: '113700000000000000',
      level: 'province',
      encoding: 'auto',
    },
    createLogger({ console: false }),
  );
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} catch (error) {
  process.stdout.write(
    `${JSON.stringify({ error: { name: (error as Error).name, message: (error as Error).message } })}\n`,
  );
} finally {
  await warehouse.destroy();
}
