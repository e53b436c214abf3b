import { syncCatalogDirectory } from '../catalog/sync-catalog-entries.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import { markInterruptedRuns } from '../run/run-ledger.ts';
import { connectWarehouse, migrateWarehouse, type Warehouse } from '../warehouse/connect-warehouse.ts';
import { openDatabaseServer } from '../warehouse/database-server.ts';
import { EXIT } from './exit-codes.ts';

/**
 * Opens the warehouse for one command: the server from DATABASE_URL or the embedded one, migrations applied,
 * runs left behind by killed processes marked interrupted. Closes everything afterwards, also on Ctrl-C.
 */
export async function withWarehouse<T>(
  config: Config,
  logger: Logger,
  work: (warehouse: Warehouse) => Promise<T>,
  /** Long-running commands (schedule, run, backfill): the first signal aborts this and lets the current unit finish; a second one rolls back. */
  gracefulStop?: AbortController,
): Promise<T> {
  if (!config.databaseUrl) logger.debug(`starting the embedded PostgreSQL in ${config.embeddedDataDir}`);
  const server = await openDatabaseServer({
    databaseUrl: config.databaseUrl,
    embeddedDataDir: config.embeddedDataDir,
  });
  const warehouse = connectWarehouse(server.url);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= warehouse
      .destroy()
      .catch(() => undefined)
      .then(() => server.stop());
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (gracefulStop && !gracefulStop.signal.aborted) {
      logger.warn(`${signal} received: finishing the current file, then stopping (again to roll it back)`);
      gracefulStop.abort();
      process.once(signal, onSignal);
      return;
    }
    // Open transactions roll back when their connection closes: no partial unit is ever left behind.
    logger.warn(`${signal} received: rolling back the current file and stopping`);
    void close().finally(() => process.exit(EXIT.interrupted));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const applied = await migrateWarehouse(warehouse);
    if (applied.length > 0) logger.info(`warehouse migrated: ${applied.join(', ')}`);
    await syncCatalogDirectory(warehouse, config.catalogDir, logger);
    const interrupted = await markInterruptedRuns(warehouse);
    if (interrupted > 0) logger.warn(`${interrupted} run(s) from killed processes marked interrupted`);
    return await work(warehouse);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close();
  }
}
