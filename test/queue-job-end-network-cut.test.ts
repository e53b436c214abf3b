import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInfrastructureFault } from '../connectors/infrastructure-fault.ts';
import { deferJobAttempt, endJobAttempt } from '../src/warehouse/queue-jobs-repository.ts';
import { type CuttableProxy, openCuttableProxy } from './support/cuttable-proxy.ts';
import { openQueueFixture, type QueueFixture } from './support/queue-fixture.ts';

/**
 * A worker ends or puts back a job over a connection of its own, retried through database faults. A network cut
 * (nothing answers, nothing is refused) must fail each try within seconds as a database fault, so that the next
 * try comes: a try that hung for the operating system's minutes would outlast a sweep's grace (the job then given
 * out again as a lost worker's) and keep a stopping worker from ending.
 */
describe('a job’s end and put-back through a network cut fail within seconds as database faults', {
  timeout: 60_000,
}, () => {
  let q: QueueFixture;
  let proxy: CuttableProxy;
  const JOB = '00000000-0000-4000-8000-000000000001';

  beforeAll(async () => {
    q = await openQueueFixture('job_end_network_cut');
    proxy = await openCuttableProxy(q.fx.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await q?.close();
  });

  /** How `work` ended and after how long, or `hung` past 25 s. */
  async function settle(work: () => Promise<unknown>) {
    const started = Date.now();
    const outcome = await Promise.race([
      work().then(
        () => ({ kind: 'answered' as const }),
        (error: unknown) => ({ kind: 'failed' as const, error }),
      ),
      new Promise<{ kind: 'hung' }>((resolve) => setTimeout(() => resolve({ kind: 'hung' }), 25_000).unref()),
    ]);
    return { ...outcome, seconds: (Date.now() - started) / 1000 };
  }

  it('answers through the proxy before the cut (the proxy passes the protocol)', async () => {
    await expect(deferJobAttempt(proxy.url, JOB, null, 0, {})).resolves.toBe(false);
  });

  it('after the cut: the put-back and the end fail, each within ~10 s, as faults worth another try', async () => {
    proxy.stall();
    const [defer, end] = await Promise.all([
      settle(() => deferJobAttempt(proxy.url, JOB, null, 0, {})),
      settle(() => endJobAttempt(proxy.url, 'pipelines', JOB, new Date(), async () => undefined)),
    ]);
    for (const tried of [defer, end]) {
      expect(tried.kind).toBe('failed');
      expect(tried.seconds).toBeLessThan(20);
      if (tried.kind === 'failed') expect(isInfrastructureFault(tried.error), String(tried.error)).toBe(true);
    }
  });
});
