import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import Papa from 'papaparse';
import type { SourceRow } from '../connectors/contracts.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { compileEntry } from '../src/run/compiled-entry.ts';
import { compileRowStager } from '../src/run/stage-row.ts';

/** One row thread of bench/row-threads.ts: stages the batches it is sent, answers their COPY text. */
const { code, day, columns, header, receivedAt } = workerData as {
  code: string;
  day: string;
  columns: (string | undefined)[];
  header: string[];
  receivedAt: Date;
};
const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
const stage = compileRowStager(compileEntry(catalog.resolve(code, day)), columns, header, receivedAt);
parentPort?.on('message', (job: { seq: number; rows?: SourceRow[]; chunk?: string; firstRow?: number }) => {
  let text = '';
  if (job.rows) for (const row of job.rows) text += stage(row);
  else {
    // `--mode text`: whole records as text; this thread parses them too (row numbers from the main thread).
    const records = Papa.parse<string[]>(job.chunk ?? '', { skipEmptyLines: true }).data;
    let rowNumber = job.firstRow ?? 2;
    for (const cells of records) text += stage({ rowNumber: rowNumber++, cells });
  }
  parentPort?.postMessage({ seq: job.seq, text });
});
parentPort?.postMessage({ ready: true });
