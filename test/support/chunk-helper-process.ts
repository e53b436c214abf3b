import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/log/logger.ts';
import { QUEUES, type StageChunksJob } from '../../src/queue/job-kinds.ts';
import { openQueue } from '../../src/queue/open-queue.ts';
import { helpWithChunks } from '../../src/run/help-with-chunks.ts';
import { connectWarehouse } from '../../src/warehouse/connect-warehouse.ts';

/**
 * A worker process that works only the `chunks` queue: `tsx test/support/chunk-helper-process.ts <database url>`.
 * It takes `stage-chunks` jobs (pg-boss) and runs helpWithChunks for their load, as `credit-etl worker` does,
 * until it is stopped (SIGTERM: after the chunk in hand; SIGKILL: its chunk's transaction rolls back). The
 * chunked-load test and `npm run bench -- --workers` start these as the other workers.
 */
const url = process.argv[2];
if (!url) throw new Error('usage: chunk-helper-process.ts <database url>');
const warehouse = connectWarehouse(url, {
  poolSize: 2,
  applicationName: `credit-etl chunk helper ${process.pid}`,
});
const logger = createLogger({ console: false });
const queue = await openQueue(url, {
  logger,
  maintain: false,
  applicationName: `credit-etl chunk helper ${process.pid}`,
});
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (stopping = true));
process.send?.('ready');
while (!stopping) {
  const job = await queue.fetch(QUEUES.chunks);
  if (!job) {
    await sleep(50);
    continue;
  }
  const { loadId } = job.data as StageChunksJob;
  try {
    const staged = await helpWithChunks(warehouse, { loadId, worker: `helper ${process.pid}` });
    await queue.complete(QUEUES.chunks, job.id, { loadId, staged });
  } catch (error) {
    await queue.fail(QUEUES.chunks, job.id, { loadId, error: String(error) });
  }
}
await queue.stop();
await warehouse.destroy();
