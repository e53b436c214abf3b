import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { openSkimmedCsv, type SkimmedRecord } from '../connectors/formats/csv-skim.ts';
import { type Fingerprint, rawFingerprinter } from '../src/run/raw-fingerprint.ts';

/**
 * The fingerprints a night's rows are looked up in, shared by the threads of bench/skim-threads.ts: the first
 * file's every row, open addressing as src/run/fast-redelivery.ts keeps them, and per entry the row that took it
 * (taken once, by whichever thread gets there first: `Atomics.compareExchange`).
 */
export interface SharedTable {
  hi: Uint32Array;
  lo: Uint32Array;
  slots: Int32Array;
  takenBy: Int32Array;
  mask: number;
}

export function sharedTable(fingerprints: Fingerprint[]): SharedTable {
  const n = fingerprints.length;
  let size = 16;
  while (size < n * 2) size *= 2;
  const shared = (length: number) => new SharedArrayBuffer(4 * length);
  const table: SharedTable = {
    hi: new Uint32Array(shared(n)),
    lo: new Uint32Array(shared(n)),
    slots: new Int32Array(shared(size)),
    takenBy: new Int32Array(shared(n)),
    mask: size - 1,
  };
  fingerprints.forEach(({ hi, lo }, i) => {
    table.hi[i] = hi;
    table.lo[i] = lo;
    let slot = lo & table.mask;
    while (table.slots[slot] !== 0) slot = (slot + 1) & table.mask;
    table.slots[slot] = i + 1;
  });
  return table;
}

/** Takes the record when its fingerprint is in the table and no thread took that entry yet. */
export function takeFrom(table: SharedTable, { hi, lo }: Fingerprint, rowNumber: number): boolean {
  for (let slot = lo & table.mask; ; slot = (slot + 1) & table.mask) {
    const entry = table.slots[slot]!;
    if (entry === 0) return false;
    if (table.lo[entry - 1] === lo && table.hi[entry - 1] === hi)
      return Atomics.compareExchange(table.takenBy, entry - 1, 0, rowNumber) === 0;
  }
}

/** The header line of a CSV file: its cells (split on commas: the generated files quote none) and its bytes. */
export function headerOf(file: string): { cells: string[]; bytes: Buffer } {
  const head = Buffer.alloc(64 * 1024);
  const fd = openSync(file, 'r');
  const read = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const end = head.subarray(0, read).indexOf(0x0a) + 1;
  const bytes = head.subarray(0, end);
  return { cells: bytes.toString('utf8').trimEnd().split(','), bytes };
}

/**
 * Skims bytes [start, end) of a UTF-8 CSV file (its header put before them) with the engine's skim and raw
 * fingerprints; `offer` decides each record. Returns the records taken and those passed on to the parser.
 */
export async function skimRange(
  file: string,
  start: number,
  end: number,
  offer: (fingerprint: Fingerprint, record: SkimmedRecord) => boolean,
): Promise<{ taken: number; passed: number }> {
  const header = headerOf(file);
  // The shape (entry, options) only names the cache a fingerprint belongs to; it costs nothing per row.
  const fingerprinter = rawFingerprinter({} as never, undefined, header.cells);
  const range = createReadStream(file, { start, end: end - 1, highWaterMark: 1 << 20 });
  const input =
    start === 0
      ? range
      : Readable.from(
          (async function* () {
            yield header.bytes;
            yield* range;
          })(),
        );
  let taken = 0;
  const skimmed = await openSkimmedCsv(input, { encoding: 'utf8', delimiter: ',' }, header.cells.length, {
    take(record) {
      const took = offer(fingerprinter.ofRecord(record), record);
      if (took) taken++;
      return took;
    },
  });
  let passed = 0;
  for await (const batch of skimmed.rows.batches) passed += batch.length;
  return { taken, passed };
}
