import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Format } from '../connectors/contracts.ts';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { matchHeaders } from '../src/catalog/match-headers.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { compileEntry } from '../src/run/compiled-entry.ts';
import { compileRowStager } from '../src/run/stage-row.ts';

/**
 * Decode + parse + the per-row work (normalize, validate, key, hash, COPY line), no database: what the
 * client spends per row before the server sees it.
 */
export async function rowWork(
  format: Format,
  file: string,
): Promise<{ ms: number; rows: number; bytes: number }> {
  const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
  const received = new Date();
  const compiled = compileEntry(catalog.resolve('xzcf', todayInShanghai(received)));
  const started = performance.now();
  const stream = await format.open(createReadStream(file, { highWaterMark: 256 * 1024 }), {
    encoding: 'auto',
  });
  const { columns } = matchHeaders(compiled.entry, stream.header);
  const stage = compileRowStager(compiled, columns, stream.header, received, stream.serialToDate);
  let rows = 0;
  let bytes = 0;
  for await (const batch of stream.batches) {
    for (const row of batch) bytes += stage(row).length;
    rows += batch.length;
  }
  return { ms: performance.now() - started, rows, bytes };
}

if (process.argv[1] === import.meta.filename) {
  const { csvFormat } = await import('../connectors/formats/csv-format.ts');
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/row-work.ts <penalty csv>');
  console.log(await rowWork(csvFormat, file));
}
