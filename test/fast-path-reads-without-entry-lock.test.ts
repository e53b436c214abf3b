import { createReadStream, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/** The catalog entry's merge lock (src/warehouse/merge-staged.ts lockEntryForMerge). */
const MERGE_LOCK = `hashtext('credit-etl:merge:' || 'xzcf')`;
const ROWS = 2000;

/**
 * A nightly re-delivery on the fast path (issue #17) reads its rows without the catalog entry's merge lock: a big
 * file (a provider's upload, a 前置库 dump) no longer keeps every other load of the entry waiting for its whole
 * read. The cache it recognised rows by is stamped, and checked again under the lock before the merge: a load of
 * the same channel that committed meanwhile sends it back to the full path, whose outcomes it then gives.
 */
describe('the fast path reads without holding the entry’s merge lock', () => {
  let fx: WarehouseFixture;
  const rows = penaltyRows(ROWS, 'nolock');
  const CONTENT = PENALTY_HEADER.indexOf('处罚内容');
  beforeAll(async () => {
    fx = await openWarehouseFixture('fast_path_no_entry_lock');
    const first = path.join(fx.scratch, 'first.csv');
    writeFileSync(first, toCsv(PENALTY_HEADER, rows));
    const loaded = await ingestDelivery(fx, await unitsForFile(first));
    expect(loaded.counts).toMatchObject({ read: ROWS, inserted: ROWS });
  });
  afterAll(async () => fx?.close());

  /**
   * The night's file, read in this thread, its bytes stopping once 90% of them are read by the skim (the unit's
   * second read: the first finds the header, then the cache is read and the skim reads the file again) until
   * `release`: the cache was read, the rows are being read.
   */
  async function gatedUnit(name: string, content: string) {
    const file = path.join(fx.scratch, name);
    writeFileSync(file, content);
    const size = statSync(file).size;
    let reached!: () => void;
    const reading = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let gated = false;
    let opens = 0;
    const [listed] = await unitsForFile(file);
    const { locator: _inWorker, ...unit } = listed as SourceUnit;
    const gatedReads: SourceUnit = {
      ...unit,
      open: () => {
        opens += 1;
        const skim = opens === 2;
        return Readable.from(
          (async function* () {
            let read = 0;
            for await (const chunk of createReadStream(file, { highWaterMark: 16 * 1024 })) {
              read += (chunk as Buffer).length;
              yield chunk;
              if (skim && !gated && read >= size * 0.9) {
                gated = true;
                reached();
                await gate;
              }
            }
          })(),
        );
      },
    };
    return { unit: gatedReads, reading, release };
  }

  const entryLockFree = async () => {
    const { rows: answer } = await fx.warehouse.raw(
      `SELECT pg_try_advisory_xact_lock(${MERGE_LOCK}) AS free`,
    );
    return answer[0].free as boolean;
  };

  it('leaves the entry’s merge lock free while a re-delivery’s rows are read on the fast path', async () => {
    // One more blank line: not byte-identical (the ledger would skip it whole), every row the same.
    const night = await gatedUnit('night-1.csv', `${toCsv(PENALTY_HEADER, rows)}\n`);
    const loading = ingestDelivery(fx, [night.unit]);
    await night.reading;
    expect(await entryLockFree()).toBe(true);
    night.release();
    const summary = await loading;
    expect(summary.files.map((file) => file.status)).toEqual(['loaded']);
    expect(summary.counts).toMatchObject({ read: ROWS, unchanged: ROWS });
    expect(summary.files[0]?.fastRows).toBe(ROWS);
  });

  it('gives the full path’s outcomes when another file of the channel committed during the read', async () => {
    const night = await gatedUnit('night-2.csv', `${toCsv(PENALTY_HEADER, rows)}\n\n`);
    const loading = ingestDelivery(fx, [night.unit]);
    await night.reading;
    // Meanwhile the provider corrects one record in another file, which merges at once.
    const corrected = rows.map((row, i) =>
      i === 7 ? row.map((cell, c) => (c === CONTENT ? `${cell}（更正）` : cell)) : row,
    );
    const correction = path.join(fx.scratch, 'correction.csv');
    writeFileSync(correction, toCsv(PENALTY_HEADER, corrected));
    const meanwhile = await ingestDelivery(fx, await unitsForFile(correction));
    expect(meanwhile.counts).toMatchObject({ read: ROWS, updated: 1, unchanged: ROWS - 1 });
    night.release();
    // The night's file still carries the old content of that record: the full path updates it back, as the
    // channel's latest delivery, where the stale cache would have counted it unchanged.
    const summary = await loading;
    expect(summary.files.map((file) => file.status)).toEqual(['loaded']);
    expect(summary.counts).toMatchObject({ read: ROWS, updated: 1, unchanged: ROWS - 1 });
    expect(summary.files[0]?.fastRows).toBe(0);
  });
});
