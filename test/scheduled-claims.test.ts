import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { startRun } from '../src/warehouse/runs-repository.ts';
import { onceAcrossSchedulers } from '../src/warehouse/scheduled-claims.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

// N schedulers share one warehouse: the nightly verify and the daily objection check run once per trigger, by
// whichever scheduler comes first; the others find it taken (running, or already run) and do nothing.
describe('a scheduler job that records runs happens once per trigger, however many schedulers (real PostgreSQL)', () => {
  let fx: WarehouseFixture;
  const logger = createLogger({ console: false });
  const verifyRuns = async () =>
    (await fx.owner('runs').where({ kind: 'verify' }).count<{ n: string }[]>('* as n'))[0]!.n;

  beforeAll(async () => {
    fx = await openWarehouseFixture('scheduled-claims');
  });
  afterAll(async () => fx?.close());

  it('two schedulers on one trigger: one verifies, the other (running at the same time, or later) does not', async () => {
    const trigger = new Date(Date.now() - 1000);
    const verifySlowly = async () => {
      await verifyWarehouse(fx.warehouse, fx.catalog, {}, logger);
      await sleep(300);
    };
    const both = await Promise.all([
      onceAcrossSchedulers(fx.warehouse, 'verify', trigger, verifySlowly),
      onceAcrossSchedulers(fx.warehouse, 'verify', trigger, verifySlowly),
    ]);
    expect(both.filter(Boolean)).toHaveLength(1);
    expect(Number(await verifyRuns())).toBe(1);
    // A scheduler whose clock fired a little later for the same trigger finds the run and leaves it.
    expect(await onceAcrossSchedulers(fx.warehouse, 'verify', trigger, verifySlowly)).toBe(false);
    expect(Number(await verifyRuns())).toBe(1);
  });

  it('the next trigger is verified again; another kind of job is not held up by this one', async () => {
    const next = new Date(Date.now() + 50);
    await sleep(100);
    expect(
      await onceAcrossSchedulers(fx.warehouse, 'verify', next, () =>
        verifyWarehouse(fx.warehouse, fx.catalog, {}, logger).then(() => undefined),
      ),
    ).toBe(true);
    expect(Number(await verifyRuns())).toBe(2);
    let checked = false;
    expect(
      await onceAcrossSchedulers(fx.warehouse, 'objection-check', next, async () => {
        checked = true;
      }),
    ).toBe(true);
    expect(checked).toBe(true);
  });

  it("a try of this scheduler's that threw is tried again; another scheduler's, even failed, still holds the trigger", async () => {
    await sleep(50);
    const trigger = new Date();
    const runsOfTrigger = () =>
      fx.owner('runs').where({ kind: 'objection-check' }).where('started_at', '>=', trigger).orderBy('id');
    // Another process's try of this trigger, ended by a fault: its own retry does the work, not this scheduler.
    await fx.owner('runs').insert({ kind: 'objection-check', status: 'failed', host: 'other-host', pid: 1 });
    let checked = 0;
    const check = async () => {
      checked++;
    };
    expect(await onceAcrossSchedulers(fx.warehouse, 'objection-check', trigger, check)).toBe(false);
    expect(checked).toBe(0);

    const later = new Date(Date.now() + 50);
    await sleep(100);
    const restart = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    const startThenFail = async () => {
      await startRun(fx.warehouse, 'objection-check', {});
      throw restart;
    };
    await expect(onceAcrossSchedulers(fx.warehouse, 'objection-check', later, startThenFail)).rejects.toBe(
      restart,
    );
    // The run it started ends failed with the error, and the retry of the same trigger does the work.
    const [first] = await runsOfTrigger().where('started_at', '>=', later);
    expect(first).toMatchObject({ status: 'failed', error: restart.message });
    expect(await onceAcrossSchedulers(fx.warehouse, 'objection-check', later, check)).toBe(true);
    expect(checked).toBe(1);
  });
});
