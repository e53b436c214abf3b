import { createReadStream } from 'node:fs';
import type { Format } from '../connectors/contracts.ts';

/** Decode + parse alone (no per-row work, no database): the parser comparison. */
export async function parseOnly(format: Format, file: string): Promise<{ ms: number; rows: number }> {
  const started = performance.now();
  const stream = await format.open(createReadStream(file, { highWaterMark: 256 * 1024 }), {
    encoding: 'auto',
  });
  let rows = 0;
  for await (const batch of stream.batches) rows += batch.length;
  return { ms: performance.now() - started, rows };
}
