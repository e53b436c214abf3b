import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './process-alive.ts';
import { START_TIMEOUT_MS } from './server-timeouts.ts';

/** Serializes start-ups on one data directory across processes, so two never initialise or start it at once. */
export async function withStartLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
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

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
