import { parentPort, workerData } from 'node:worker_threads';
import { type SharedTable, skimRange, takeFrom } from './skim-threads-table.ts';

/** One skim thread of bench/skim-threads.ts: skims its byte range of the night's file against the shared table. */
const { file, start, end, table } = workerData as {
  file: string;
  start: number;
  end: number;
  table: SharedTable;
};
const started = performance.now();
const result = await skimRange(file, start, end, (fingerprint, record) =>
  takeFrom(table, fingerprint, record.rowNumber),
);
parentPort?.postMessage({ ...result, ms: performance.now() - started });
