import { statSync } from 'node:fs';
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
    // A worker on a machine that does not see the file (no shared storage) leaves the chunks to those that do.
    if (!sameFile(load.path, load.sizeBytes)) return staged;
    const outcome = await stageNextChunk(warehouse, load, load.request as ChunkWork, options.worker);
    if (outcome !== 'staged') return staged;
    staged++;
  }
}

function sameFile(path: string, sizeBytes: number): boolean {
  try {
    return statSync(path).size === sizeBytes;
  } catch {
    return false;
  }
}
