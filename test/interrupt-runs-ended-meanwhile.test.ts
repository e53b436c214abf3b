import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interruptRuns, interruptRunsOfJob, startRun } from '../src/warehouse/runs-repository.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// A worker starting or stopping marks the runs of dead processes on its host interrupted (markInterruptedRuns):
// it reads them, then ends them. Between the two, another worker's sweep may already have interrupted one of them
// (interruptRunsOfJob). The second update must pass over it, not fail the worker (the database refuses to change a
// run that ended: migration 035), as it did at a SIGTERM in the queue workers' test.
describe('interrupting runs that another process ended meanwhile', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('interrupt-ended-meanwhile');
  });
  afterAll(async () => fx?.close());

  it('ends the ones still running, leaves the ended one as it ended, and does not throw', async () => {
    const jobId = '55a6d363-21bd-4cbb-a299-8205dc533fbb';
    const swept = await startRun(fx.warehouse, 'pipeline', {}, 'feed-07', { jobId });
    const stillRunning = await startRun(fx.warehouse, 'pipeline', {}, 'feed-08');
    expect(await interruptRunsOfJob(fx.warehouse, jobId, 'its worker was lost')).toBe(1);

    expect(
      await interruptRuns(fx.warehouse, [swept, stillRunning], 'process ended before the run finished'),
    ).toBe(1);

    const runs = await fx
      .warehouse('runs')
      .whereIn('id', [swept, stillRunning])
      .orderBy('id')
      .select('status', 'error');
    expect(runs).toEqual([
      { status: 'interrupted', error: 'its worker was lost' },
      { status: 'interrupted', error: 'process ended before the run finished' },
    ]);
  });
});
