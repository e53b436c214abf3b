import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Fingerprint } from '../src/run/raw-fingerprint.ts';
import { sharedTable, skimRange } from './skim-threads-table.ts';

/**
 * `tsx bench/skim-threads.ts <first csv> <night csv> [--threads 1,2,3]`: the skim of a nightly re-delivery (the
 * fast path's read, connectors/formats/csv-skim.ts) split over N worker threads, no database (issue #17, what is
 * left of the 1% night). The first file's rows are fingerprinted into one table shared by the threads; the night
 * file is cut into N byte ranges at line breaks and each thread skims its range, fingerprinting every record and
 * taking those in the table. Cutting at a line break is right only for a file with none inside a cell (as the
 * bench's generated files); an engine would cut where its chunk planning does (csv-chunks.ts). Prints, per thread
 * count, the wall time from starting the threads (their start-up included) and the slowest thread's own skim.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { threads: { type: 'string', default: '1,2,3' } },
});
const [first, night] = positionals;
if (!first || !night)
  throw new Error('usage: tsx bench/skim-threads.ts <first csv> <night csv> [--threads 1,2,3]');
const counts = values.threads.split(',').map(Number);
if (!counts.every((count) => Number.isInteger(count) && count >= 1 && count <= 16))
  throw new Error('--threads takes thread counts 1–16, comma-separated');

const built = performance.now();
const fingerprints: Fingerprint[] = [];
await skimRange(first, 0, statSync(first).size, (fingerprint) => {
  fingerprints.push(fingerprint);
  return true;
});
const table = sharedTable(fingerprints);
console.log(`table of ${fingerprints.length} fingerprints: ${seconds(performance.now() - built)} s`);

const size = statSync(night).size;
// Every split must take and pass the same records as any other: a cut inside a record would show here.
let firstCounts: string | undefined;
for (const threads of counts) {
  table.takenBy.fill(0);
  const cuts = cutsAtLineBreaks(night, size, threads);
  const started = performance.now();
  const results = await Promise.all(
    cuts.slice(0, -1).map(
      (start, i) =>
        new Promise<{ taken: number; passed: number; ms: number }>((resolve, reject) => {
          const worker = new Worker(new URL('./skim-threads-bootstrap.js', import.meta.url), {
            workerData: { file: night, start, end: cuts[i + 1], table },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const wall = performance.now() - started;
  const sum = (key: 'taken' | 'passed') => results.reduce((total, result) => total + result[key], 0);
  const slowest = Math.max(...results.map((result) => result.ms));
  const split = `taken ${sum('taken')}, passed ${sum('passed')}`;
  firstCounts ??= split;
  if (split !== firstCounts) throw new Error(`${threads} threads: ${split}, against ${firstCounts} before`);
  console.log(`${threads} thread(s): ${seconds(wall)} s (slowest skim ${seconds(slowest)} s), ${split}`);
}

/** Byte offsets cutting the file into `parts` ranges, each starting after a line break (0 and the size at the ends). */
function cutsAtLineBreaks(file: string, bytes: number, parts: number): number[] {
  const fd = openSync(file, 'r');
  const probe = Buffer.alloc(64 * 1024);
  const cuts = [0];
  for (let part = 1; part < parts; part++) {
    const at = Math.floor((bytes * part) / parts);
    const read = readSync(fd, probe, 0, probe.length, at);
    cuts.push(at + probe.subarray(0, read).indexOf(0x0a) + 1);
  }
  closeSync(fd);
  cuts.push(bytes);
  return cuts;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}
