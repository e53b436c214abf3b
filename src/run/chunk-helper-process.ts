import { setTimeout as sleep } from 'node:timers/promises';
import { connectWarehouse } from '../warehouse/connect-warehouse.ts';
import { helpWithChunks } from './help-with-chunks.ts';

/**
 * A process that only helps with chunked loads: `tsx src/run/chunk-helper-process.ts <database url>`. It stages
 * pending chunks of any load until it is stopped (SIGTERM: after the chunk in hand). The tests and
 * `npm run bench -- --workers` start these as the other workers; in production `credit-etl worker` runs the same
 * helpWithChunks as a job of the queue.
 */
const url = process.argv[2];
if (!url) throw new Error('usage: chunk-helper-process.ts <database url>');
const warehouse = connectWarehouse(url, {
  poolSize: 1,
  applicationName: `credit-etl chunk helper ${process.pid}`,
});
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (stopping = true));
process.send?.('ready');
while (!stopping) {
  const staged = await helpWithChunks(warehouse, { worker: `helper ${process.pid}` });
  if (staged === 0) await sleep(50);
}
await warehouse.destroy();
