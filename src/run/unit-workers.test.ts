import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepWarm, startUnitWorkerAhead, takeWorker } from './unit-workers.ts';

describe('unit workers started ahead', () => {
  const started: Worker[] = [];
  const track = (worker: Worker) => {
    started.push(worker);
    return worker;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((worker) => worker.terminate()));
  });

  it('the first unit takes the worker started ahead, and a second start keeps that one', () => {
    const ahead = track(startUnitWorkerAhead(64));
    expect(startUnitWorkerAhead(64)).toBe(ahead);
    expect(track(takeWorker(64))).toBe(ahead);
    expect(track(takeWorker(64))).not.toBe(ahead);
  });

  it('a worker started ahead that died is not handed to a unit', async () => {
    const ahead = track(startUnitWorkerAhead(64));
    await ahead.terminate();
    expect(track(takeWorker(64))).not.toBe(ahead);
  });

  it('a unit with another heap cap gets a worker of its own; the one started ahead is let go', async () => {
    const ahead = track(startUnitWorkerAhead(64));
    const exited = once(ahead, 'exit');
    expect(track(takeWorker(96))).not.toBe(ahead);
    await exited;
  });

  it('a kept worker whose wait ran out is not handed to a unit while it is still exiting', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const kept = track(takeWorker(64));
      keepWarm(kept, 64, 10);
      const exited = once(kept, 'exit');
      vi.advanceTimersByTime(10); // the wait runs out: terminate() is called, its exit has not come yet
      expect(track(takeWorker(64))).not.toBe(kept);
      await exited;
    } finally {
      vi.useRealTimers();
    }
  });

  it("an error of a worker kept between units does not throw in the unit's thread", () => {
    const kept = track(takeWorker(64));
    keepWarm(kept, 64);
    expect(() => kept.emit('error', new Error('failed while idle'))).not.toThrow();
  });
});
