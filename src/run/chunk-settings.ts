/** The smallest chunk worth a worker: below it the planning pass and the hand-over cost more than they save. */
export const MIN_CHUNK_BYTES = 1024 * 1024;

/**
 * `CREDIT_ETL_CHUNK_BYTES`: a CSV file larger than this many bytes is read in chunks of about this size by several
 * workers at once and merged once (docs/scale-out.md). Unset, empty or `0`: every file is read whole by one
 * worker (the default: on one machine with no other worker, splitting only adds a planning pass).
 */
export function readChunkBytes(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.CREDIT_ETL_CHUNK_BYTES?.trim();
  if (!text || text === '0') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < MIN_CHUNK_BYTES) {
    throw new Error(
      `CREDIT_ETL_CHUNK_BYTES=${text} is not a whole number of bytes ≥ ${MIN_CHUNK_BYTES} (1 MiB); unset it or set 0 to read every file whole`,
    );
  }
  return value;
}

/**
 * Asks other workers to help stage a chunked load's chunks (the job queue: src/queue/stage-chunks-job.ts). The
 * coordinator stages whatever is still pending itself, so a load never waits for help that does not come.
 */
export interface ChunkHelpers {
  request(loadId: number, helpers: number): Promise<void>;
}
