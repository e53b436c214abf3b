import { chunkedLoadToHelp } from '../warehouse/chunked-loads-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type ChunkWork, stageNextChunk } from './chunk-stager.ts';

/**
 * A helper's share of a chunked load (load-in-chunks.ts): stages pending chunks of the load (or, without `loadId`,
 * of the oldest load that has any) until none is left to claim. Returns how many it staged. Safe to run any number
 * of times on any number of machines: a chunk is claimed by a row lock in the transaction that stages it.
 */
export async function helpWithChunks(
  warehouse: Warehouse,
  options: { loadId?: number; worker: string },
): Promise<number> {
  let staged = 0;
  for (;;) {
    const load = await chunkedLoadToHelp(warehouse, options.loadId);
    if (!load) return staged;
    const outcome = await stageNextChunk(warehouse, load, load.request as ChunkWork, options.worker);
    if (outcome !== 'staged') return staged;
    staged++;
  }
}
