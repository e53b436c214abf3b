import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAlive } from './process-alive.ts';
import { takeOverStaleLock, withStartLock } from './server-start-lock.ts';

/** The pid of a process that has run and exited (and been reaped): a holder that died. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(isAlive(child.pid)).toBe(false);
  return child.pid;
}

/** A start that holds the lock until `release()`; `inside` resolves once it holds it. */
function heldStart(dataDir: string) {
  let release = () => {};
  let entered = () => {};
  const inside = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const done = withStartLock(dataDir, async () => {
    entered();
    await new Promise<void>((resolve) => {
      release = resolve;
    });
  });
  return { inside, done, release: () => release() };
}

describe('the embedded server start lock (real filesystem)', () => {
  let scratch: string;
  let dataDir: string;
  let lockFile: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-start-lock-'));
    dataDir = path.join(scratch, 'postgres');
    lockFile = `${dataDir}.lock`;
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('a waiter that read the dead holder before another waiter took the lock over leaves the new lock alone', async () => {
    const stale = String(deadPid());
    writeFileSync(lockFile, stale);
    const first = heldStart(dataDir);
    await first.inside;
    const firsts = readFileSync(lockFile, 'utf8');
    expect(firsts.startsWith(`${process.pid} `)).toBe(true);
    // The second waiter read the same dead pid a moment before the first took over, and acts on it only now.
    expect(await takeOverStaleLock(lockFile, stale)).toBe(false);
    expect(readFileSync(lockFile, 'utf8')).toBe(firsts);
    let secondStarted = false;
    const second = withStartLock(dataDir, async () => {
      secondStarted = true;
    });
    await sleep(500);
    expect(secondStarted).toBe(false);
    first.release();
    await first.done;
    await second;
    expect(secondStarted).toBe(true);
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('several waiters taking over one stale lock at once: exactly one holds it at a time', async () => {
    for (let round = 0; round < 5; round++) {
      writeFileSync(lockFile, String(deadPid()));
      let holding = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 6 }, () =>
          withStartLock(dataDir, async () => {
            most = Math.max(most, ++holding);
            await sleep(30);
            holding--;
          }),
        ),
      );
      expect(most).toBe(1);
      // Each let go of its own lock only; nothing is left behind.
      expect(readdirSync(scratch)).toEqual([]);
    }
  });

  it('a lock that is there but cannot be read fails the start, naming it, instead of being retried forever', async () => {
    mkdirSync(lockFile); // taken (the link fails with EEXIST), yet reading it fails (EISDIR)
    const start = withStartLock(dataDir, async () => 'started');
    await expect(start).rejects.toThrow(`cannot read the embedded PostgreSQL's start lock ${lockFile}`);
  });

  it('a start lets go of its own lock only', async () => {
    const first = heldStart(dataDir);
    await first.inside;
    // Its lock was taken from it (by a process of an older version, or by hand): the new one is not its to remove.
    rmSync(lockFile);
    writeFileSync(lockFile, '4242 another-start');
    first.release();
    await first.done;
    expect(readFileSync(lockFile, 'utf8')).toBe('4242 another-start');
  });
});
