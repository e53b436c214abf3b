import { appendFileSync, createReadStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceUnit } from '../connectors/contracts.ts';
import { unitsForFile } from '../connectors/transports/archive-units.ts';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * `ingest` (a file handed over directly, not hashed before it is read) and a file that grows while it is read:
 * the attempt ends failed as a drop folder's does (`… changed while it was loading`), nothing of the file is
 * committed nor recorded against it; once complete, it loads whole.
 */
describe('a file handed to ingest that changes while it is read', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('ingest_changed_while_read');
  });
  afterAll(async () => fx?.close());

  const recorded = async (name: string) =>
    Number((await fx.warehouse('source_files').where({ name }).count({ n: '*' }))[0]?.n);
  const records = async () => Number((await fx.warehouse('records').count({ n: '*' }))[0]?.n);

  /** Whole rows of `count` penalties, and `extra` more rows to append. */
  function csvParts(tag: string, count: number, extra: number): { first: string; rest: string } {
    const all = penaltyRows(count + extra, tag);
    const first = toCsv(PENALTY_HEADER, all.slice(0, count));
    return { first, rest: toCsv(PENALTY_HEADER, all).slice(first.length) };
  }

  it('fails a file appended to while its bytes stream in (the appended rows read too), nothing committed', async () => {
    const file = path.join(fx.scratch, 'growing.csv');
    const { first, rest } = csvParts('growing', 40, 2);
    writeFileSync(file, first);
    const [listed] = await unitsForFile(file);
    // Loaded in this thread (no locator), its bytes read in small pieces: the writer appends once the first is in,
    // before the reader reaches the end, so the appended rows are read as the file's own.
    const { locator: _inWorker, ...unit } = listed as SourceUnit;
    const growing: SourceUnit = {
      ...unit,
      open: () =>
        createReadStream(file, { highWaterMark: 512 }).once('data', () => appendFileSync(file, rest)),
    };
    const before = await records();
    await expect(ingestDelivery(fx, [growing])).rejects.toThrow(
      // Said as the delivery's state, not as a network that failed.
      /^growing\.csv was still being written while it loaded \(not a fault of the file.*growing\.csv changed while it was loading \(its size went from \d+ to \d+ bytes\)/,
    );
    expect(await recorded('growing.csv')).toBe(0);
    expect(await records()).toBe(before);
    // Complete now: it loads, every row of it.
    const summary = await ingestDelivery(fx, await unitsForFile(file));
    expect(summary.files.map((loaded) => [loaded.name, loaded.status])).toEqual([['growing.csv', 'loaded']]);
    expect(summary.counts).toMatchObject({ read: 42, inserted: 42, rejected: 0 });
  });

  it("fails a file written to after it was listed, read in a unit's worker (as `ingest` reads it)", async () => {
    const file = path.join(fx.scratch, 'appended.csv');
    const { first, rest } = csvParts('appended', 30, 1);
    writeFileSync(file, first);
    const units = await unitsForFile(file);
    expect(units[0]?.locator).toBeDefined();
    appendFileSync(file, rest);
    const before = await records();
    await expect(ingestDelivery(fx, units)).rejects.toThrow(
      /^appended\.csv was still being written while it loaded .*appended\.csv changed while it was loading/,
    );
    expect(await recorded('appended.csv')).toBe(0);
    expect(await records()).toBe(before);
  });
});
