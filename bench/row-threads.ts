import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { csvFormat } from '../connectors/formats/csv-format.ts';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { matchHeaders } from '../src/catalog/match-headers.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { compileEntry } from '../src/run/compiled-entry.ts';
import { compileRowStager } from '../src/run/stage-row.ts';

/**
 * `tsx bench/row-threads.ts <penalty csv> [--threads 0,1,2]`: the client's row work (normalize, validate, key,
 * hash, COPY line) spread over N worker threads, no database (issue #17, parallel row work). The main thread
 * decodes and parses, sends row batches (structured clone) and joins the COPY text in file order, as a
 * production pool would while it streams COPY; 0 threads stages inline, as the engine does today. Prints rows/s,
 * start-up of the threads and the process's peak RSS, per thread count (run each count in its own process for
 * a clean peak: `--threads 2`).
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { threads: { type: 'string', default: '0,1,2' }, mode: { type: 'string', default: 'rows' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: tsx bench/row-threads.ts <penalty csv> [--threads 0,1,2]');
const counts = values.threads.split(',').map(Number);
const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
const receivedAt = new Date();
const day = todayInShanghai(receivedAt);

for (const threads of counts) {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const stream = await csvFormat.open(createReadStream(file, { highWaterMark: 256 * 1024 }), {
    encoding: 'auto',
  });
  const compiled = compileEntry(catalog.resolve('xzcf', day));
  const { columns } = matchHeaders(compiled.entry, stream.header);
  const workers = await Promise.all(
    Array.from({ length: threads }, async () => {
      const worker = new Worker(new URL('./row-threads-bootstrap.js', import.meta.url), {
        workerData: { code: 'xzcf', day, columns, header: stream.header, receivedAt },
        // The unit worker's young generation, and a modest old one: what a production pool would set.
        resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
      });
      await new Promise((resolve) => worker.once('message', resolve));
      return worker;
    }),
  );
  const startupMs = performance.now() - started;
  const startupCpu = process.cpuUsage(cpuBefore);
  let rows = 0;
  let bytes = 0;
  let settle: (limit: number) => Promise<void>;
  let send: (job: object) => void;
  if (threads === 0) {
    const stage = compileRowStager(compiled, columns, stream.header, receivedAt, stream.serialToDate);
    for await (const batch of stream.batches) {
      for (const row of batch) bytes += stage(row).length;
      rows += batch.length;
    }
  } else if (values.mode === 'text') {
    await stageAsText();
  } else {
    // In file order: batch `seq` is written only after every batch before it (a reorder buffer), and at most
    // two batches per thread are in flight (the parser waits: memory stays bounded).
    ({ settle, send } = inOrder());
    for await (const batch of stream.batches) {
      await settle(2 * threads - 1);
      send({ rows: batch });
      rows += batch.length;
    }
    await settle(0);
  }
  /** Batches go out round-robin and come back joined in file order, at most two in flight per thread. */
  function inOrder() {
    const done = new Map<number, string>();
    let next = 0;
    let sent = 0;
    let wake: (() => void) | undefined;
    for (const worker of workers) {
      worker.on('message', ({ seq, text }: { seq: number; text: string }) => {
        done.set(seq, text);
        while (done.has(next)) {
          bytes += done.get(next)?.length ?? 0;
          done.delete(next);
          next++;
        }
        wake?.();
      });
    }
    const settle = (limit: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (sent - next <= limit) {
            wake = undefined;
            resolve();
          } else wake = check;
        };
        check();
      });
    const send = (job: object) => {
      workers[sent % threads]?.postMessage({ seq: sent, ...job });
      sent++;
    };
    return { settle, send };
  }
  /**
   * `--mode text`: the main thread only decodes and cuts the text at record ends (an even number of quotes
   * so far: a quoted line break is inside a record); each thread parses its records and stages them. A string
   * crosses threads as one copy, where parsed rows are cloned cell by cell.
   */
  async function stageAsText() {
    ({ settle, send } = inOrder());
    const decoder = new TextDecoder('utf-8');
    let pending = '';
    let quotes = 0;
    let scanned = 0;
    let firstRow = 2;
    let headerSkipped = false;
    const cut = async (final: boolean) => {
      let end = -1;
      for (let i = scanned; i < pending.length; i++) {
        const c = pending.charCodeAt(i);
        if (c === 34) quotes++;
        else if (c === 10 && quotes % 2 === 0) end = i + 1;
      }
      scanned = pending.length;
      if (final) end = pending.length;
      if (end <= 0) return;
      let chunk = pending.slice(0, end);
      pending = pending.slice(end);
      quotes = 0;
      for (let i = 0; i < pending.length; i++) if (pending.charCodeAt(i) === 34) quotes++;
      scanned = pending.length;
      if (!headerSkipped) {
        chunk = chunk.slice(chunk.indexOf('\n') + 1);
        headerSkipped = true;
      }
      const records = countRecords(chunk);
      await settle(2 * threads - 1);
      send({ chunk, firstRow });
      firstRow += records;
      rows += records;
    };
    for await (const bytes of createReadStream(file as string, { highWaterMark: 1 << 20 })) {
      pending += decoder.decode(bytes as Buffer, { stream: true });
      await cut(false);
    }
    pending += decoder.decode();
    await cut(true);
    await settle(0);
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(workers.map((worker) => worker.terminate()));
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      threads,
      rows,
      bytes,
      seconds: +(ms / 1000).toFixed(2),
      rowsPerSecond: Math.round(rows / (ms / 1000)),
      startupMs: Math.round(startupMs),
      // CPU of the whole process (every thread) per row: what contention on a shared machine does not change.
      startupCpuMs: Math.round((startupCpu.user + startupCpu.system) / 1000),
      cpuMicrosPerRow: +((cpu.user + cpu.system - startupCpu.user - startupCpu.system) / rows).toFixed(1),
      peakRssMb: Math.round(rss),
    }),
  );
}

/** Records in a chunk of whole records: line breaks outside quotes, less blank lines. */
function countRecords(chunk: string): number {
  let records = 0;
  let quotes = 0;
  let blank = true;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk.charCodeAt(i);
    if (c === 34) quotes++;
    if (c === 10 && quotes % 2 === 0) {
      if (!blank) records++;
      blank = true;
    } else if (c !== 13) blank = false;
  }
  return blank ? records : records + 1;
}
