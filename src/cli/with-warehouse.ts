import { infrastructureFault } from '../../connectors/infrastructure-fault.ts';
import { retryWithBackoff } from '../../connectors/transports/retry-with-backoff.ts';
import { type Config, ConfigError } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import { markInterruptedRuns } from '../run/run-ledger.ts';
import { rollBackActiveUnits } from '../warehouse/active-units.ts';
import {
  connectWarehouse,
  loginRoles,
  mayNotActAs,
  migrateWarehouse,
  roleMissing,
  type Warehouse,
  WarehouseSetupError,
} from '../warehouse/connect-warehouse.ts';
import {
  type DatabaseServer,
  type DatabaseServerOptions,
  openDatabaseServer,
} from '../warehouse/database-server.ts';
import { markInterruptedByStop } from '../warehouse/interrupted-by-stop.ts';
import {
  endRunsOfThisProcess,
  failRunsOfThisProcess,
  RUN_ENDING_RETRY,
} from '../warehouse/runs-repository.ts';
import { watchServerGone } from '../warehouse/server-gone.ts';
import { WAREHOUSE_ROLES, type WarehouseRole } from '../warehouse/warehouse-roles.ts';
import { EXIT, noteFailure } from './exit-codes.ts';
import { syncCatalogDirectory } from './sync-catalog-entries.ts';

const { loader, officer, reader } = WAREHOUSE_ROLES;

/**
 * What a command does in the warehouse decides the role its connections take (`SET ROLE`, docs/warehouse.md
 * "Database roles"): the first of its duty's roles the login user may take.
 * - `engine` (the default: loading, runs, queues, notices, verify, console): the loader, only.
 * - `officer` (legal procedures and objection steps, Art. 17-18): the officer, only. An officer's login needs
 *   nothing of the engine's, and the engine's login cannot pass for an officer.
 * - `read` (commands that only read): the loader, else the officer, else the reader; the loader first, so the
 *   engine's login and the owner keep doing the engine's start-up.
 */
const DUTY_ROLES = {
  engine: [loader],
  officer: [officer],
  read: [loader, officer, reader],
} as const satisfies Record<string, readonly WarehouseRole[]>;

export type WarehouseDuty = keyof typeof DUTY_ROLES;

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
 * with `end.status`, the embedded server it started stops (unless other processes use it), and it exits with
 * `end.exitCode`.
 */
export function stopNow(end: HardStop): Promise<never> {
  return stopOpenWarehouse ? stopOpenWarehouse(end) : process.exit(end.exitCode);
}

/**
 * Opens the warehouse for one command: the server from DATABASE_URL or the embedded one, migrations applied,
 * connections acting as the role of the command's `duty` (a login user that may not take it: ConfigError, exit 2,
 * naming the GRANT), and, when the login may act as the loader, the engine's start-up (engineStartUp). Closes
 * everything afterwards; when `work` throws, this process's runs still `running` end `failed` with its error
 * first. SIGINT, SIGTERM and SIGHUP stop the command at once (stopNow, exit 130); with `gracefulStop`, the first
 * SIGINT/SIGTERM once the warehouse is open only aborts it, so the current unit finishes and no other starts, and a
 * second one stops at once. The abort may come before `work` waits on it (during the engine's start-up or the
 * command's own): a command checks `signal.aborted` (untilStopped), never only listens for the event.
 */
export async function withWarehouse<T>(
  config: Config,
  logger: Logger,
  work: (warehouse: Warehouse) => Promise<T>,
  /** Long-running commands (schedule, run, backfill, worker, serve): once the warehouse is open, the first signal aborts this and lets the current unit finish; a second one rolls back. */
  gracefulStop?: AbortController,
  duty: WarehouseDuty = 'engine',
  /**
   * Long-lived commands (schedule, worker): an embedded server that ends under them (its postmaster killed or
   * crashed) never comes back, and waiting for it is waiting for nothing. Once seen gone (within a second or two),
   * the command says so, its runs still `running` are stored `failed` on the server opened again, and it exits 1
   * (EXIT.failed) for systemd or the operator to start it again. Without DATABASE_URL only.
   */
  { exitWhenServerGone = false }: { exitWhenServerGone?: boolean } = {},
): Promise<T> {
  if (!config.databaseUrl) logger.debug(`starting the embedded PostgreSQL in ${config.embeddedDataDir}`);
  const serverOptions: DatabaseServerOptions = {
    databaseUrl: config.databaseUrl,
    embeddedDataDir: config.embeddedDataDir,
  };
  const opening = openDatabaseServer(serverOptions);
  let warehouse: Warehouse | undefined;
  // Only the loader starts runs: a command acting as another role has none of its own to end.
  let hasRuns = false;
  let stopping: Promise<never> | undefined;
  let goneWatch: NodeJS.Timeout | undefined;
  // Closing the pool would wait for the unit's transaction, and the unit would commit: it is rolled back first.
  const stop = (end: HardStop, serverGone = false) => {
    stopping ??= (async () => {
      if (warehouse) {
        // The runs are this stop's to end: what fails on the closed pool from here is no fault (interrupted-by-stop.ts).
        if (end.status === 'interrupted') markInterruptedByStop(warehouse);
        // No new statement starts on the pool from here: nothing the command does next reaches the database.
        // Those refused fail with "aborted", which knex would print with a stack trace: expected, so silenced.
        warehouse.client.logger.warn = () => undefined;
        void warehouse.destroy().catch(() => undefined);
      }
      await rollBackActiveUnits();
      const server = await opening.catch(() => undefined);
      if (server && warehouse && hasRuns && serverGone) {
        // Nothing reaches the dead server: the runs are stored on the server opened again.
        const ended = await failRunsOnRestartedServer({ server, serverOptions }, end.reason, logger).catch(
          (error: unknown) => {
            logger.error(`could not mark this process's runs failed: ${(error as Error).message}`);
            return 0;
          },
        );
        if (ended > 0) logger.warn(`${ended} run(s) of this process marked failed: ${end.reason}`);
      } else if (server && warehouse && hasRuns) {
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
    // While the warehouse opens (the server starting, the migrations run) no file is being loaded: a graceful
    // command has nothing to finish, and stops at once like any other (exit 130).
    if (gracefulStop && warehouse && !gracefulStop.signal.aborted && signal !== 'SIGHUP') {
      logger.warn(`${signal} received: finishing the current file, then stopping (again to roll it back)`);
      gracefulStop.abort(
        `stopped by ${signal} after the current file: the files not read are left for the next run`,
      );
      return;
    }
    // Not yet connected (the server starting, the migrations checked): no file was being loaded.
    const opening = warehouse === undefined;
    logger.warn(
      opening
        ? `${signal} received while the warehouse was opening: stopping, nothing was loaded`
        : `${signal} received: rolling back the current file and stopping`,
    );
    const reason = opening
      ? `stopped by ${signal} while the warehouse was opening: nothing was loaded`
      : `stopped by ${signal}: the file being loaded was rolled back`;
    noteFailure(reason); // what a `--json` failure says
    void stop({ status: 'interrupted', reason, exitCode: EXIT.interrupted });
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  stopOpenWarehouse = stop;
  try {
    const server = await opening;
    if (stopping) await stopping; // a signal while the server was starting
    try {
      const { role, engine } = await roleForDuty(server.url, duty, logger).catch((error: unknown) => {
        throw unreachable(server.url, error);
      });
      warehouse = connectWarehouse(server.url, { role });
      // An embedded server killed under the command is not waited for (server-gone.ts): it is opened again.
      watchServerGone(warehouse, server.gone);
      if (exitWhenServerGone && !config.databaseUrl)
        goneWatch = stopWhenServerGone(server, config.embeddedDataDir, stop, logger);
      hasRuns = role === loader;
      if (engine) await engineStartUp(warehouse, role, server.url, config, logger);
      return await work(warehouse).catch(async (error: unknown) => {
        if (!stopping && warehouse && hasRuns) {
          await failRunsLeftRunning(warehouse, { server, serverOptions }, error, logger);
        }
        throw error;
      });
    } finally {
      clearInterval(goneWatch);
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

/** How often a long-lived command looks whether its embedded server is gone (exitWhenServerGone). */
const SERVER_GONE_POLL_MS = 1000;

/**
 * Looks every second whether the embedded server ended under a long-lived command; once it has, stops the command:
 * said in the log, its runs stored `failed` on the server opened again, exit 1. Not done by retrying: nothing starts
 * that server again, and a scheduler or worker retrying against it would look alive while doing nothing.
 */
function stopWhenServerGone(
  server: DatabaseServer,
  dataDir: string,
  stop: (end: HardStop, serverGone: boolean) => Promise<never>,
  logger: Logger,
): NodeJS.Timeout {
  let looking = false;
  const watch = setInterval(() => {
    if (looking) return;
    looking = true;
    void server
      .gone()
      .catch(() => false)
      .then((gone) => {
        looking = false;
        if (!gone) return;
        clearInterval(watch);
        const reason =
          `the embedded PostgreSQL in ${dataDir} ended under this command (its postmaster killed or crashed) ` +
          'and nothing starts it again: stopping (exit 1) to be started again';
        logger.error(reason);
        noteFailure(reason);
        void stop({ status: 'failed', reason, exitCode: EXIT.failed }, true);
      });
  }, SERVER_GONE_POLL_MS);
  watch.unref();
  return watch;
}

/**
 * Resolves once `signal` aborts: at once when it already has (a stop during start-up, before the command waited).
 * What a long-running command (serve, schedule) waits on, never a bare `addEventListener('abort', …)`.
 */
export function untilStopped(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Migrations applied (migrateWarehouse), and the role the command's connections take: the first of its duty's
 * roles the login may take; `engine` when the login may also act as the loader (engineStartUp). A login that may
 * take none of them is told the GRANT before the migration check, which it could not pass either (a login of no
 * role may not even read the migrations' ledger); on a server never migrated, the roles exist only once the
 * owner migrated.
 */
async function roleForDuty(
  url: string,
  duty: WarehouseDuty,
  logger: Logger,
): Promise<{ role: WarehouseRole; engine: boolean }> {
  const choose = async () => {
    const login = await loginRoles(url, DUTY_ROLES.read);
    return { login, role: DUTY_ROLES[duty].find((candidate) => login.roles.includes(candidate)) };
  };
  let { login, role } = await choose();
  if (!role && login.missing.length === 0) throw new ConfigError(lacksRole(duty, login.user));
  const applied = await migrateWarehouse(url);
  if (applied.length > 0) logger.info(`warehouse migrated: ${applied.join(', ')}`);
  if (login.missing.length > 0) ({ login, role } = await choose());
  const [missing] = login.missing;
  if (missing) throw new ConfigError(roleMissing(missing));
  if (!role) throw new ConfigError(lacksRole(duty, login.user));
  return { role, engine: login.roles.includes(loader) };
}

/**
 * A first connection the database server or the network refused, told as the database's (exit 1), naming where
 * it was looked for: `connect ECONNREFUSED 127.0.0.1:1` alone does not say it was the warehouse. The login's
 * password is never part of what is named. Anything else (a role missing, a migration refused) is thrown as it is.
 */
function unreachable(url: string, error: unknown): unknown {
  if (!infrastructureFault(error)) return error;
  const { host, pathname } = new URL(url);
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(`the warehouse database at ${host}${pathname} could not be reached: ${reason}`, {
    cause: error,
  });
}

/** `withWarehouse` for an officer's command (legal procedures, objection steps): connections act as the officer. */
export function withOfficerWarehouse<T>(
  config: Config,
  logger: Logger,
  work: (warehouse: Warehouse) => Promise<T>,
): Promise<T> {
  return withWarehouse(config, logger, work, undefined, 'officer');
}

/** `withWarehouse` for a command that only reads: the engine's, an officer's or a reader's login may run it. */
export function withReadingWarehouse<T>(
  config: Config,
  logger: Logger,
  work: (warehouse: Warehouse) => Promise<T>,
): Promise<T> {
  return withWarehouse(config, logger, work, undefined, 'read');
}

/** The GRANT a login lacking the duty's role needs: the role the command acts as, else (to read) the reader. */
function lacksRole(duty: WarehouseDuty, user: string): string {
  if (duty === 'engine') return mayNotActAs(loader, user);
  const grant = (role: WarehouseRole) => `GRANT ${role} TO "${user}";`;
  if (duty === 'officer')
    return (
      `the warehouse user "${user}" may not act as ${officer}, as legal procedures and objection steps do: ` +
      `as the warehouse owner, run ${grant(officer)} / 数据库账户 ${user} 不是 ${officer} 的成员，` +
      `不能办理法定程序和异议：请数据库管理员执行 ${grant(officer)} (docs/warehouse.md: database roles)`
    );
  return (
    `the warehouse user "${user}" may act as none of ${DUTY_ROLES.read.join(', ')} and so may not read the ` +
    `warehouse: as the warehouse owner, run ${grant(reader)} (docs/warehouse.md: database roles)`
  );
}

/**
 * The engine's writes at start, as the loader: the catalog directory recorded into `catalog_entries`, and runs
 * left `running` by killed processes marked interrupted. On the command's own connections when they act as the
 * loader; for another duty (an officer's command run by a login that is also the engine's, or the owner) on a
 * connection of its own. A login that may not act as the loader skips them: they are the engine's to do, and an
 * officer's procedure needs its catalog entry recorded already (requireRecordedEntry).
 */
async function engineStartUp(
  warehouse: Warehouse,
  role: WarehouseRole,
  url: string,
  config: Config,
  logger: Logger,
): Promise<void> {
  const engine =
    role === loader
      ? warehouse
      : connectWarehouse(url, { poolSize: 1, applicationName: 'credit-etl start-up' });
  try {
    await syncCatalogDirectory(engine, config.catalogDir, logger);
    const interrupted = await markInterruptedRuns(engine);
    if (interrupted > 0) logger.warn(`${interrupted} run(s) from killed processes marked interrupted`);
  } finally {
    if (engine !== warehouse) await engine.destroy().catch(() => undefined);
  }
}

/**
 * The command failed (a database fault after its retries, a bug): its runs still `running` end `failed` with the
 * error and what they loaded, waiting out a restarting server for a while (failRunsOfThisProcess). On the embedded
 * default, a server that ended under the command (its postmaster killed or crashed) never comes back by itself:
 * it is started again for that (failRunsOnRestartedServer). A process that exits leaves no run `running`; the
 * command's own error is what it reports, whatever happens here.
 */
async function failRunsLeftRunning(
  warehouse: Warehouse,
  opened: OpenedServer,
  error: unknown,
  logger: Logger,
): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  try {
    const ended = (await opened.server.gone())
      ? await failRunsOnRestartedServer(opened, reason, logger)
      : await failRunsOfThisProcess(warehouse, reason).catch(async (endError: unknown) => {
          // It may have ended while this waited (it had not been seen to exit yet).
          if (!(await opened.server.gone())) throw endError;
          return failRunsOnRestartedServer(opened, reason, logger);
        });
    if (ended > 0) logger.warn(`${ended} run(s) of this process marked failed: ${reason}`);
  } catch (endError) {
    logger.error(`could not mark this process's runs failed: ${(endError as Error).message}`);
  }
}

/** The server a command opened, and how it opened it (to open it again). */
interface OpenedServer {
  server: DatabaseServer;
  serverOptions: DatabaseServerOptions;
}

/**
 * The embedded server the command used ended under it: it is opened again exactly as at the command's start
 * (openDatabaseServer: under the start lock, joining the server another command sharing the dead one may have
 * started meanwhile, else starting one on a free port with its watchdog), tried again for as long as ending a run
 * waits out a database (RUN_ENDING_RETRY); the runs are stored `failed` there, then it is let go of as at the end
 * of a command (stopped, unless other commands use it by then). A server that cannot be started again is said:
 * the next command marks the runs `interrupted`.
 */
async function failRunsOnRestartedServer(
  { serverOptions }: OpenedServer,
  reason: string,
  logger: Logger,
): Promise<number> {
  const dataDir = serverOptions.embeddedDataDir;
  logger.warn(
    `the embedded PostgreSQL in ${dataDir} ended under this command: starting it again to store its runs`,
  );
  const restarted = await retryWithBackoff(RUN_ENDING_RETRY, () => openDatabaseServer(serverOptions), {
    isRetryable: (startError) => !(startError instanceof WarehouseSetupError),
  }).catch((startError: unknown) => {
    throw new Error(
      `the embedded PostgreSQL in ${dataDir} ended under this command and could not be started again ` +
        `(${(startError as Error).message}): the next command marks them interrupted`,
      { cause: startError },
    );
  });
  const fresh = connectWarehouse(restarted.url, { poolSize: 1 });
  try {
    return await failRunsOfThisProcess(fresh, reason);
  } finally {
    await fresh.destroy().catch(() => undefined);
    await restarted.stop().catch((stopError: unknown) => logger.error((stopError as Error).message));
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
