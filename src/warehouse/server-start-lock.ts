import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WarehouseSetupError } from './connect-warehouse.ts';
import { isAlive } from './process-alive.ts';
import { START_TIMEOUT_MS } from './server-timeouts.ts';

/**
 * Serializes start-ups on one data directory across processes, so two never initialise or start it at once.
 * The lock is the file `<dataDir>.lock`, holding its taker's pid and a token of that one start (`4242 9f3c…`):
 * it appears whole (linked from a file already written), is let go of only by its taker, and is taken from a
 * holder that died by exactly one waiter (takeOverStaleLock), however many wait.
 */
export async function withStartLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const lockFile = `${dataDir}.lock`;
  const mine = `${process.pid} ${randomUUID()}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  // Written whole first, then linked as the lock: a lock file is never seen half-written.
  const written = `${lockFile}.${randomUUID()}`;
  await fs.writeFile(written, mine, { flag: 'wx' }).catch((error: unknown) => {
    throw lockNotWritable(error, dataDir);
  });
  try {
    await takeLock(lockFile, written, dataDir, deadline);
  } finally {
    await fs.rm(written, { force: true });
  }
  try {
    return await work();
  } finally {
    await releaseLock(lockFile, mine);
  }
}

async function takeLock(lockFile: string, written: string, dataDir: string, deadline: number): Promise<void> {
  for (;;) {
    if (await linkUnlessTaken(written, lockFile)) return;
    const held = await fs.readFile(lockFile, 'utf8').catch((error: unknown) => {
      // Only a lock let go of meanwhile is retried at once: one that cannot be read would be retried forever.
      if (errorCode(error) === 'ENOENT') return undefined;
      throw new Error(`cannot read the embedded PostgreSQL's start lock ${lockFile}: ${String(error)}`, {
        cause: error,
      });
    });
    if (held === undefined) continue; // let go of meanwhile: try again at once
    const holder = Number.parseInt(held, 10);
    // A file without a pid (an older version's, its writer died between creating and writing it) is never taken.
    if (Number.isInteger(holder) && !isAlive(holder) && (await takeOverStaleLock(lockFile, held))) continue;
    if (Date.now() > deadline) {
      throw new Error(
        `another process (pid ${holder || '?'}) has been starting the embedded PostgreSQL in ${dataDir} for over ` +
          `${START_TIMEOUT_MS / 1000} s: wait for it or stop it, or delete ${lockFile} (and any ${lockFile}.stale-*) ` +
          'if no such process runs.',
      );
    }
    await sleep(200);
  }
}

/** Links `file` as `name` unless there is a `name`: false when there is. */
async function linkUnlessTaken(file: string, name: string): Promise<boolean> {
  try {
    await fs.link(file, name);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Removes the lock `held` of a holder that died, unless another waiter does or has done so: true when it is gone.
 * Reading a dead pid and removing the file are two steps, and between them another waiter may have removed it
 * and taken a new lock. So the lock is first linked to a name of its own content, which only one waiter can
 * create: that one checks it linked the dead holder's lock (not a new one) and removes it. The others find the
 * name taken and wait, or link a new lock, see it is not the dead one and leave it.
 */
export async function takeOverStaleLock(lockFile: string, held: string): Promise<boolean> {
  const claim = `${lockFile}.stale-${createHash('sha256').update(held).digest('hex').slice(0, 16)}`;
  try {
    await fs.link(lockFile, claim);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return true; // gone already
    if (code === 'EEXIST') return false; // another waiter is taking it over
    throw error;
  }
  try {
    if ((await fs.readFile(claim, 'utf8')) !== held) return false;
    // Still the dead holder's: no one else may remove it while this claim stands.
    await fs.rm(lockFile, { force: true });
    return true;
  } finally {
    await fs.rm(claim, { force: true });
  }
}

/** Removes the lock only while it is this start's own. */
async function releaseLock(lockFile: string, mine: string): Promise<void> {
  const held = await fs.readFile(lockFile, 'utf8').catch(() => undefined);
  if (held === mine) await fs.rm(lockFile, { force: true });
}

/**
 * The folder holding the data directory, where its lock, password and log files go, that this OS user may not
 * write in (nor create, when a folder above it is another user's): a configuration error (exit 2) with the advice
 * for a data directory of another user; else `error`.
 */
export function dataFolderNotWritable(error: unknown, dataDir: string): unknown {
  const code = errorCode(error);
  if (code !== 'EACCES' && code !== 'EPERM') return error;
  const folder = path.dirname(dataDir);
  return new WarehouseSetupError(
    `cannot write in ${folder} (${(error as Error).message}), the folder of the embedded PostgreSQL's ` +
      `data directory ${dataDir} (its start lock, password and log files go there): if another user (e.g. root) ` +
      'created it, run as that user or give the folder to this one (chown -R), or choose another CREDIT_ETL_PG_DIR.',
    { cause: error },
  );
}

/** Refusals of a file in an existing folder that only another folder cures: /proc (ENOENT), a read-only mount. */
const FOLDER_REFUSES_FILES = new Set(['ENOENT', 'EROFS', 'ENOTDIR']);

/**
 * The start lock could not be written beside the data directory: a folder this user may not write in is named with
 * the chown advice; one that takes no files (`/proc`, a read-only filesystem) is the setting's too, exit 2 naming
 * the folder, never a raw errno as a failure of the run.
 */
function lockNotWritable(error: unknown, dataDir: string): unknown {
  const notWritable = dataFolderNotWritable(error, dataDir);
  if (notWritable !== error || !FOLDER_REFUSES_FILES.has(errorCode(error) ?? '')) return notWritable;
  return new WarehouseSetupError(
    `cannot write in ${path.dirname(dataDir)} (${(error as Error).message}), the folder of the embedded ` +
      `PostgreSQL's data directory ${dataDir} (its start lock, password and log files go there): ` +
      'choose another CREDIT_ETL_PG_DIR.',
    { cause: error },
  );
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
