import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FastPathUnusable,
  loadFingerprintCache,
  NO_FORMATION,
} from '../src/warehouse/fingerprint-cache-repository.ts';
import { withUnitTransaction } from '../src/warehouse/unit-session.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * The fingerprint cache is read by a binary COPY straight into typed arrays. The stream arrives in chunks of a
 * few dozen kilobytes that split tuples anywhere: a channel of 20,000 records (680 KB) crosses many boundaries.
 * Record ids above 2^32 and fingerprints of either sign check the byte arithmetic.
 */
describe('fingerprint cache read by binary COPY', () => {
  let fx: WarehouseFixture;
  const RECORDS = 20_000;
  let channelId = 0;

  beforeAll(async () => {
    fx = await openWarehouseFixture('fingerprint_cache_read');
    const [channel] = await fx
      .owner('fingerprint_channels')
      .insert({
        catalog_code: 'xzcf',
        provider_code: 'P',
        level: 'province',
        shape: 's',
        source_file_id: 1,
        generation: 0,
      })
      .returning('id');
    channelId = channel.id;
    const [other] = await fx
      .owner('fingerprint_channels')
      .insert({
        catalog_code: 'xzcf',
        provider_code: 'Q',
        level: 'city',
        shape: 's',
        source_file_id: 1,
        generation: 0,
      })
      .returning('id');
    // Every 7th record has no fingerprint (not read), every 5th no formation date; another channel beside it.
    await fx.owner.raw(
      `INSERT INTO fingerprint_standing (channel_id, record_id, fingerprint, formation_date, at_current)
       SELECT ?::int, 5000000000 + i * 3,
         CASE WHEN i % 7 <> 0 THEN (i * 2654435761 * CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END) # (i::bigint << 40) END,
         CASE WHEN i % 5 <> 0 THEN DATE '2020-01-01' + (i % 2000) END, true
       FROM generate_series(1, ?::int) i
       UNION ALL
       SELECT ?::int, i, i, DATE '2026-01-01', true FROM generate_series(1, 100) i`,
      [channelId, RECORDS, other.id],
    );
  });

  afterAll(async () => {
    await fx?.close();
  });

  it('reads every fingerprinted record of the channel exactly as stored', async () => {
    const { rows: expected } = await fx.owner.raw<{
      rows: { record_id: number | string; hi: number; lo: number | string; days: number }[];
    }>(
      `SELECT record_id, (fingerprint >> 32)::int AS hi, (fingerprint & 4294967295)::bigint AS lo,
              COALESCE(formation_date - DATE '1970-01-01', ?) AS days, count(*) OVER () AS n
       FROM fingerprint_standing WHERE channel_id = ? AND fingerprint IS NOT NULL ORDER BY record_id`,
      [NO_FORMATION, channelId],
    );
    const cache = await withUnitTransaction(fx.warehouse, (session) =>
      loadFingerprintCache(session, channelId),
    );
    expect(cache.standing).toBe(RECORDS);
    expect(cache.recordIds.length).toBe(expected.length);
    expect(expected.length).toBeGreaterThan(RECORDS * 0.8);
    // In the table's order, not the records': sorting them was an index scan five times the seq scan's cost.
    const read = Array.from(cache.recordIds, (recordId, i) => ({
      record_id: recordId,
      hi: cache.hi[i]! | 0,
      lo: Number(cache.lo[i]),
      days: cache.formationDays[i],
    })).sort((a, b) => a.record_id - b.record_id);
    expect(read).toEqual(
      expected.map(({ record_id, hi, lo, days }) => ({
        record_id: Number(record_id),
        hi,
        lo: Number(lo),
        days,
      })),
    );
  });

  it('refuses a cache that holds more than it counted, as changed while read', async () => {
    // The count and the stream disagree only if the cache changes between them: simulated by a session that
    // counts one fewer record than the stream brings.
    const error = await withUnitTransaction(fx.warehouse, async (session) => {
      const counting = {
        ...session,
        query: async <Row extends object>(sql: string, params?: unknown[]) => {
          const rows = await session.query<Row & { fingerprinted?: number }>(sql, params);
          return rows.map((row) =>
            row.fingerprinted === undefined ? row : { ...row, fingerprinted: row.fingerprinted - 1 },
          ) as Row[];
        },
      };
      return loadFingerprintCache(counting, channelId).catch((failure: unknown) => failure);
    });
    expect(error).toBeInstanceOf(FastPathUnusable);
  });
});
