import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from './process-alive.ts';

/**
 * The embedded server must not outlive every process that uses it, also when the one that started it is killed
 * (kill -9, out of memory), where no exit handler runs. Each server therefore gets a watchdog: a small detached
 * node process (`credit-etl postgres watchdog <pid> <data directory>` in ps). Its users are the process that
 * started the server (watched by pid, from before the watchdog listens) and every process that
 * joined it over a local socket, a connection the kernel closes however that process ends. Once it has no user
 * left, it stops the server (fast shutdown: open transactions roll back) and exits; it also exits once the
 * server has stopped otherwise (its starter stops it when it ends normally as its last user).
 *
 * Protocol, one line each way: on connecting the watchdog answers `ok` (a user until the connection closes) or
 * `stopping` (the server is going away: start a new one once it has). A user leaving normally sends `bye`; when
 * it was the last, the watchdog closes that connection only after the server has stopped. The starter, ending
 * normally (stop()), connects and sends `handover`: from then on it no longer counts, also while its pid lives.
 * The watchdog answers `kept` when other users remain (it stops the server once the last has left: the starter
 * lets it run and may end) or `last` when none does: the starter then stops the server itself and closes the
 * connection once it has stopped; meanwhile newcomers are answered `stopping`, and should the connection close
 * first (the starter died, or failed to stop it), the watchdog stops the server. Any other answer, or none: the
 * starter stops the server itself, as it does when no watchdog listens.
 */
const WATCHDOG_SOURCE = String.raw`
const fs = require('node:fs');
const net = require('node:net');
const [addressArgument, pidText, dataDir, logFile, starterText] = process.argv.slice(1);
const address = addressArgument.replace(/^@/, '\0'); // abstract: an argument cannot hold the NUL
const pid = Number(pidText);
const starter = Number(starterText) || 0;
process.title = 'credit-etl postgres watchdog ' + pid + ' ' + dataDir;
const FIRST_USER_MS = 15000, POLL_MS = 500, FAST_MS = 30000, IMMEDIATE_MS = 10000;
const hasProc = fs.existsSync('/proc/self/stat');
const stat = (of) => {
  try {
    const text = fs.readFileSync('/proc/' + of + '/stat', 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch { return undefined; }
};
const startTimeOf = (of) => stat(of)?.[19];
// Alive, not a zombie, and still the process it was when this watchdog started (not a reused pid).
const lives = (of, startTime) => {
  try { process.kill(of, 0); } catch (error) { if (error.code !== 'EPERM') return false; }
  if (!hasProc) return true;
  const fields = stat(of);
  return fields !== undefined && fields[0] !== 'Z' && fields[0] !== 'X' && fields[19] === startTime;
};
const serverStart = startTimeOf(pid);
const starterStart = starter ? startTimeOf(starter) : undefined;
const serverRuns = () => lives(pid, serverStart);
const log = (line) => {
  if (!logFile) return;
  try { fs.appendFileSync(logFile, 'credit-etl watchdog: ' + line + '\n'); } catch {}
};
const signal = (name) => { if (serverRuns()) try { process.kill(pid, name); } catch {} };
const stopped = async (ms) => {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (!serverRuns()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !serverRuns();
};
let starterLives = starter > 0 && lives(starter, starterStart);
let users = 0;
let everUsed = starterLives;
let stopping;
let starterStops = false; // the starter left as the last user and is stopping the server itself
const stopServer = () => (stopping ??= (async () => {
  if (serverRuns()) {
    log('no process uses the embedded PostgreSQL (pid ' + pid + ') any more: stopping it');
    signal('SIGINT');
    if (!(await stopped(FAST_MS))) {
      signal('SIGQUIT');
      if (!(await stopped(IMMEDIATE_MS))) log('PostgreSQL (pid ' + pid + ') did not stop: kill it by hand');
    }
  }
  process.exit(0);
})());
const stopIfUnused = () => { if (users === 0 && !starterLives) void stopServer(); };
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  if (stopping || starterStops) return void socket.end('stopping\n');
  users++;
  everUsed = true;
  socket.write('ok\n');
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    users--;
    stopIfUnused();
  };
  socket.on('data', (chunk) => {
    if (String(chunk).includes('handover')) {
      starterLives = false;
      if (!left) {
        left = true;
        users--;
      }
      if (users > 0 && !stopping) return void socket.end('kept\n');
      if (stopping) return void socket.end('stopping\n');
      starterStops = true;
      socket.write('last\n');
      socket.on('close', () => { if (serverRuns()) void stopServer(); });
      return;
    }
    if (!String(chunk).includes('bye')) return;
    leave();
    if (!stopping) socket.end(); // not the last: it may go at once (else it learns the server stopped on exit)
  });
  socket.on('close', leave);
});
let tries = 0;
server.on('error', (error) => {
  // The watchdog of an earlier server with this pid, still exiting: it lets go within a poll. (Or another one of
  // this server, if its starter was killed before the first listened, see joinRunningServer: that one keeps it.)
  if (error.code === 'EADDRINUSE' && ++tries < 25) return void setTimeout(() => server.listen(address), 200);
  log('cannot listen (' + error.message + '): if its users are killed, PostgreSQL (pid ' + pid + ') runs on');
  process.exit(1);
});
server.listen(address);
setInterval(() => {
  if (!serverRuns()) process.exit(0);
  if (starterLives && !lives(starter, starterStart)) {
    starterLives = false;
    stopIfUnused();
  }
}, POLL_MS);
// Spawned for a server found without a watchdog: its spawner joins within milliseconds, unless it was killed.
setTimeout(() => { if (!everUsed) void stopServer(); }, FIRST_USER_MS);
`;

/** A process's hold on a running server: while it lasts, the watchdog does not stop the server. */
export interface WatchdogMembership {
  /** Lets go; if this was the last user, resolves once the watchdog has stopped the server. */
  leave(): Promise<void>;
  /** Lets go at once, without waiting (the server has been stopped by its starter, or is being given up). */
  drop(): void;
  /**
   * For the starter ending normally (see the protocol): true when other users keep the server (the watchdog
   * stops it once the last has left); false when this process must stop it itself and then drop().
   */
  handOver(): Promise<boolean>;
}

export type JoinResult =
  | { status: 'joined'; membership: WatchdogMembership }
  /** No watchdog for this server: its starter was killed before it started one, or the watchdog was killed. */
  | { status: 'absent' }
  /** The watchdog is stopping the server (its last user just left), or went away while answering. */
  | { status: 'stopping' };

/**
 * The watchdog's socket for the postmaster `pid` on `dataDir` (its real path): a name in Linux's abstract
 * namespace (no file to go stale, no path length limit), elsewhere a socket file in the temp directory.
 */
export function watchdogAddress(realDataDir: string, pid: number): string {
  const name = `credit-etl-postgres-${createHash('sha256').update(realDataDir).digest('hex').slice(0, 16)}-${pid}`;
  return os.platform() === 'linux' ? `\0${name}` : path.join(os.tmpdir(), `${name}.sock`);
}

export interface WatchdogOptions {
  /** The watchdog's socket (watchdogAddress). */
  address: string;
  /** The postmaster's pid. */
  pid: number;
  dataDir: string;
  /** Where it logs why it stops the server; none when undefined. */
  logFile: string | undefined;
  /** The process that started the server: a user while it lives, without joining. */
  starter?: number;
}

/**
 * Starts the watchdog of a server, detached: in a session of its own, so a Ctrl-C or a kill of the CLI's process
 * group misses it. Takes a few milliseconds; the watchdog listens ~60 ms later. Returns its pid.
 */
export function spawnWatchdog(options: WatchdogOptions): number | undefined {
  const addressArgument = options.address.replace(/^\0/, '@');
  const watchdogArguments = [
    '--',
    addressArgument,
    String(options.pid),
    options.dataDir,
    options.logFile ?? '',
    String(options.starter ?? 0),
  ];
  const child = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, ...watchdogArguments], {
    detached: true,
    stdio: 'ignore',
    cwd: '/', // holds no directory of the CLI's (one to be deleted, a file system to be unmounted)
    // Nothing of the CLI's environment (NODE_OPTIONS could load a loader or a heap flag into it).
    env: { PATH: process.env.PATH ?? '' },
  });
  child.on('error', () => undefined); // seen by the caller as a watchdog that never answers
  child.unref();
  return child.pid;
}

/**
 * How long a watchdog just spawned may take to listen: ~60 ms, but a node start takes seconds on a loaded machine
 * (CI runs hundreds of test files on two cores). Waited for only while its process lives: one that cannot listen
 * exits within 5 s.
 */
const SPAWNED_LISTENS_MS = 30_000;

/**
 * For the server this process has just started: spawns its watchdog, with this process as its starter. Call
 * `listening` once the server is ready and before letting go of the start lock (withStartLock): a process reusing
 * the server does so only under that lock, and takes "nothing listens" for "no watchdog" and starts one of its
 * own. Were this one still starting then, the two would race for the socket; if the reuser's won, this one would
 * exit, and the reuser's, which does not know the starter, would stop the server under it once the reuser left.
 * Awaited under the lock, "nothing listens" can only mean that the starter was killed before its watchdog
 * listened, or that the watchdog was killed: then no starter is left to protect. It costs a start nothing but on
 * a loaded machine: the watchdog usually listens long before the server is ready.
 */
export function watchStartedServer(options: WatchdogOptions & { starter: number }): {
  pid: number | undefined;
  /** False when the watchdog does not listen (it could not start): the server then outlives a killed starter. */
  listening(): Promise<boolean>;
} {
  const pid = spawnWatchdog(options);
  return {
    pid,
    listening: async () => {
      const joined = await joinSpawnedWatchdog(options.address, pid);
      if (joined.status !== 'joined') return false;
      // Its starter is its user while it lives (watched by pid): leaving as a joined user stops nothing.
      joined.membership.drop();
      return true;
    },
  };
}

/**
 * Joins the watchdog just spawned as process `watchdogPid` (spawnWatchdog): waits while nothing listens at
 * `address` yet and that process lives, up to SPAWNED_LISTENS_MS. If another watchdog holds the socket, this one
 * is joined (the one spawned exits, the socket being taken).
 */
export function joinSpawnedWatchdog(address: string, watchdogPid: number | undefined): Promise<JoinResult> {
  return joinWatchdog(address, SPAWNED_LISTENS_MS, () => isAlive(watchdogPid));
}

/**
 * How long a process reusing a server waits for its watchdog to listen. Its starter saw it listen before letting
 * go of the start lock (watchStartedServer): only that of a starter killed meanwhile may be starting still.
 */
const FOUND_LISTENS_MS = 1_000;

/**
 * Joins the watchdog of a server another process started, found running under the start lock. When none listens
 * (its starter was killed before its watchdog listened, or the watchdog was killed), adopts the server with a
 * watchdog of its own: there is no live starter to protect, and should the first one listen after all, one of
 * the two gets the socket and the other exits.
 */
export async function joinRunningServer(
  options: Omit<WatchdogOptions, 'starter'>,
  log: (line: string) => void,
): Promise<JoinResult> {
  const joined = await joinWatchdog(options.address, FOUND_LISTENS_MS);
  if (joined.status !== 'absent') return joined;
  log(`no watchdog keeps the embedded PostgreSQL (pid ${options.pid}) running: starting one`);
  return joinSpawnedWatchdog(options.address, spawnWatchdog(options));
}

/**
 * How long an answer of the watchdog is waited for. No answer counts as a watchdog going away: a starter then stops
 * the server itself, under any other user. So it is long: a starved machine can keep a small node process from
 * answering for seconds, and a wedged watchdog only delays the starter's end.
 */
const REPLY_TIMEOUT_MS = 30_000;

/**
 * Joins the watchdog at `address`. `waitMs`: how long to retry while nothing listens yet, and only while
 * `retryWhile()` holds; 0 for a watchdog that should be listening already.
 */
export function joinWatchdog(
  address: string,
  waitMs = 0,
  retryWhile: () => boolean = () => true,
): Promise<JoinResult> {
  const deadline = Date.now() + waitMs;
  return new Promise((resolve) => {
    const attempt = () => {
      const socket = net.connect(address);
      let reply = '';
      let settled = false;
      const settle = (result: JoinResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (result.status !== 'joined') socket.destroy();
        resolve(result);
      };
      // No answer in time: treated as a watchdog going away; the caller waits for the server to stop.
      const timer = setTimeout(() => settle({ status: 'stopping' }), REPLY_TIMEOUT_MS);
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        if (!reply && (error.code === 'ECONNREFUSED' || error.code === 'ENOENT')) {
          clearTimeout(timer);
          settled = true;
          if (Date.now() < deadline && retryWhile()) setTimeout(attempt, 25);
          else resolve({ status: 'absent' });
          return;
        }
        settle({ status: 'stopping' });
      });
      socket.on('close', () => settle({ status: 'stopping' }));
      socket.on('data', (chunk: Buffer) => {
        reply += chunk.toString('utf8');
        if (!reply.includes('\n')) return;
        if (reply.startsWith('ok')) {
          socket.unref(); // a member, not a reason for the process to keep running
          settle({ status: 'joined', membership: membership(socket) });
        } else settle({ status: 'stopping' });
      });
    };
    attempt();
  });
}

function membership(socket: net.Socket): WatchdogMembership {
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    leave: async () => {
      if (socket.destroyed) return;
      socket.ref(); // the answer (the server stopped) must be waited for
      // Not end(): the watchdog would close its side at once, before it has stopped the server.
      socket.write('bye\n');
      // Bounded: the watchdog's own fast then immediate shutdown, and a little more.
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 45_000).unref());
      await Promise.race([closed, timeout]);
      socket.destroy();
    },
    drop: () => {
      socket.destroy();
    },
    handOver: () =>
      new Promise<boolean>((resolve) => {
        if (socket.destroyed) return resolve(false);
        let answer = '';
        let settled = false;
        const settle = (kept: boolean) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          socket.off('data', onData);
          if (kept) socket.destroy();
          resolve(kept);
        };
        const onData = (chunk: Buffer) => {
          answer += chunk.toString('utf8');
          if (answer.includes('\n')) settle(answer.startsWith('kept'));
        };
        // No answer in time: the server is stopped by this process, as without a watchdog.
        const timer = setTimeout(() => settle(false), REPLY_TIMEOUT_MS);
        socket.on('data', onData);
        void closed.then(() => settle(false));
        socket.write('handover\n');
      }),
  };
}

/**
 * The end of the process that started the server (its stop()), while its watchdog listens at `address`: hands the
 * server over to the watchdog when other processes use it. `kept`: they do, the watchdog stops it once the last
 * has left, this process lets it run. Otherwise this process stops it itself, then calls `release()` (until then,
 * the watchdog turns newcomers away, and stops the server should this process die first).
 */
export async function handOverServer(address: string): Promise<{ kept: boolean; release(): void }> {
  const joined = await joinWatchdog(address);
  if (joined.status !== 'joined') return { kept: false, release: () => undefined };
  const kept = await joined.membership.handOver();
  return { kept, release: joined.membership.drop };
}
