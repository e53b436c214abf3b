import type { Config } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import { markInterruptedRuns } from '../run/run-ledger.ts';
import { rollBackActiveUnits } from '../warehouse/active-units.ts';
import { connectWarehouse, migrateWarehouse, type Warehouse } from '../warehouse/connect-warehouse.ts';
import { openDatabaseServer } from '../warehouse/database-server.ts';
import { endRunsOfThisProcess, failRunsOfThisProcess } from '../warehouse/runs-repository.ts';
import { EXIT } from './exit-codes.ts';
import { syncCatalogDirectory } from './sync-catalog-entries.ts';

/** How a process that cannot finish its command ends: its runs get this status and reason, it exits so. */
export interface HardStop {
  status: 'interrupted' | 'failed';
  reason: string;
  exitCode: number;
}

// SIGHUP (the terminal went away) stops at once: nobody is left to send the second signal.
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

let stopOpenWarehouse: ((end: HardStop) => Promise<never>) | undefined;

/** True while a command has the warehouse open (its signal handlers decide how to stop). */
export function isWarehouseOpen(): boolean {
  return stopOpenWarehouse !== undefined;
}

/**
 * Ends the process now (a second signal, a crash): the units being loaded roll back, this process's runs end
 * with `end.status`, the embedded server it started stops, and it exits with `end.exitCode`.
 */
export function stopNow(end: HardStop): Promise<never> {
  return stopOpenWarehouse ? stopOpenWarehouse(end) : process.exit(end.exitCode);
}

/**
 * Opens the warehouse for one command: the server from DATABASE_URL or the embedded one, migrations applied,
 * runs left behind by killed processes marked interrupted. Closes everything afterwards; when `work` throws, this
 * process's runs still `running` end `failed` with its error first. SIGINT, SIGTERM and
 * SIGHUP stop the command at once (stopNow, exit 130); with `gracefulStop`, the first SIGINT/SIGTERM only aborts
 * it, so the current unit finishes and no other starts, and a second one stops at once.
 */
export async function withWarehouse<T>(
  config: Config,
  logger: Logger,
  work: (warehouse: Warehouse) => Promise<T>,
  /** Long-running commands (schedule, run, backfill): the first signal aborts this and lets the current unit finish; a second one rolls back. */
  gracefulStop?: AbortController,
): Promise<T> {
  if (!config.databaseUrl) logger.debug(`starting the embedded PostgreSQL in ${config.embeddedDataDir}`);
  const opening = openDatabaseServer({
    databaseUrl: config.databaseUrl,
    embeddedDataDir: config.embeddedDataDir,
  });
  let warehouse: Warehouse | undefined;
  let stopping: Promise<never> | undefined;
  // Closing the pool would wait for the unit's transaction, and the unit would commit: it is rolled back first.
  const stop = (end: HardStop) => {
    stopping ??= (async () => {
      if (warehouse) {
        // No new statement starts on the pool from here: nothing the command does next reaches the database.
        // Those refused fail with "aborted", which knex would print with a stack trace: expected, so silenced.
        warehouse.client.logger.warn = () => undefined;
        void warehouse.destroy().catch(() => undefined);
      }
      await rollBackActiveUnits();
      const server = await opening.catch(() => undefined);
      if (server && warehouse) {
        const ended = await endRuns(server.url, end).catch((error: unknown) => {
          logger.error(`could not mark this process's runs ${end.status}: ${(error as Error).message}`);
          return 0;
        });
        if (ended > 0) logger.warn(`${ended} run(s) of this process marked ${end.status}`);
      }
      await server?.stop().catch((error: unknown) => logger.error((error as Error).message));
      process.exit(end.exitCode);
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (gracefulStop && !gracefulStop.signal.aborted && signal !== 'SIGHUP') {
      logger.warn(`${signal} received: finishing the current file, then stopping (again to roll it back)`);
      gracefulStop.abort(
        `stopped by ${signal} after the current file: the files not read are left for the next run`,
      );
      return;
    }
    logger.warn(`${signal} received: rolling back the current file and stopping`);
    void stop({
      status: 'interrupted',
      reason: `stopped by ${signal}: the file being loaded was rolled back`,
      exitCode: EXIT.interrupted,
    });
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  stopOpenWarehouse = stop;
  try {
    const server = await opening;
    if (stopping) await stopping; // a signal while the server was starting
    try {
      const applied = await migrateWarehouse(server.url);
      warehouse = connectWarehouse(server.url);
      if (applied.length > 0) logger.info(`warehouse migrated: ${applied.join(', ')}`);
      await syncCatalogDirectory(warehouse, config.catalogDir, logger);
      const interrupted = await markInterruptedRuns(warehouse);
      if (interrupted > 0) logger.warn(`${interrupted} run(s) from killed processes marked interrupted`);
      return await work(warehouse).catch(async (error: unknown) => {
        if (!stopping && warehouse) await failRunsLeftRunning(warehouse, error, logger);
        throw error;
      });
    } finally {
      // A stop under way owns the end (it exits); closing here would take the server from under it.
      if (stopping) await stopping;
      await warehouse?.destroy().catch(() => undefined);
      await server.stop();
    }
  } finally {
    if (stopping) await stopping;
    stopOpenWarehouse = undefined;
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

/**
 * The command failed (a database fault after its retries, a bug): its runs still `running` end `failed` with the
 * error and what they loaded, waiting out a restarting server for a while (failRunsOfThisProcess). A process
 * that exits leaves no run `running`; the command's own error is what it reports, whatever happens here.
 */
async function failRunsLeftRunning(warehouse: Warehouse, error: unknown, logger: Logger): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  try {
    const ended = await failRunsOfThisProcess(warehouse, reason);
    if (ended > 0) logger.warn(`${ended} run(s) of this process marked failed: ${reason}`);
  } catch (endError) {
    logger.error(`could not mark this process's runs failed: ${(endError as Error).message}`);
  }
}

/** With a connection of its own: the pool is closed, and may still hold the connection of a dead unit. */
async function endRuns(url: string, end: HardStop): Promise<number> {
  const fresh = connectWarehouse(url, { poolSize: 1 });
  fresh.client.logger.warn = () => undefined; // a refused connection is reported by the caller, once
  try {
    return await endRunsOfThisProcess(fresh, end.status, end.reason);
  } finally {
    await fresh.destroy().catch(() => undefined);
  }
}
