import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerReadingOf } from '../src/run/reading-fingerprint.ts';
import { isAlreadyLoaded } from '../src/warehouse/source-files-repository.ts';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import {
  fixturePath,
  flatRejections,
  openWarehouseFixture,
  type WarehouseFixture,
} from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const PROVINCE = '113700000000000000';

/**
 * The sha256 ledger skips a delivery only when its bytes are the channel's latest load, read the same way: bytes
 * loaded at some earlier time may have been overtaken since (a correction the provider now takes back), and bytes
 * read with a lookup added (or under a changed entry) give other records. Those are loaded, every row judged by the
 * merge; nothing is skipped that would have changed the warehouse.
 */
describe("the sha256 ledger skips only the channel's latest load, read the same way", () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('ingest_ledger_latest');
  });
  afterAll(async () => fx?.close());

  const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

  it('a file sent again after a correction loaded takes the correction back; sent once more, it is skipped', async () => {
    const rows = basePenalties(10, 61);
    const night1 = writeRows(fx.scratch, 'night1.csv', rows);
    const corrected = rows.map((row, i) =>
      i === 2 ? edit(row, { 处罚内容: '罚款人民币5万元（更正）' }) : row,
    );
    const night2 = writeRows(fx.scratch, 'night2.csv', corrected);
    const night3 = path.join(fx.scratch, 'night3.csv');
    copyFileSync(night1, night3);

    const first = await fx.ingest([night1], { receivedAt: RECEIVED });
    expect(first.counts).toMatchObject({ read: 10, inserted: 10 });
    const second = await fx.ingest([night2], { receivedAt: RECEIVED });
    expect(second.counts).toMatchObject({ read: 10, updated: 1, unchanged: 9 });
    // The transports' pre-check: night1's bytes were loaded, but are no longer the channel's latest load.
    const channel = { catalogCode: 'xzcf', providerCode: PROVINCE, level: 'province' as const };
    const reading = ledgerReadingOf(fx.catalog, { catalog: 'xzcf', encoding: 'auto' }, '2026-11-20');
    expect(await isAlreadyLoaded(fx.warehouse, sha256(night1), channel, reading)).toBe(false);
    expect(await isAlreadyLoaded(fx.warehouse, sha256(night2), channel, reading)).toBe(true);

    const third = await fx.ingest([night3], { receivedAt: RECEIVED });
    expect(third.files.map((file) => [file.name, file.status])).toEqual([['night3.csv', 'loaded']]);
    expect(third.counts).toMatchObject({ read: 10, updated: 1, unchanged: 9 });
    // Every record is as night1 gave it again: the corrected one's current version has night1's content.
    const current = await fx.warehouse.raw<{ rows: { key: string; hash: string }[] }>(
      `SELECT r.business_key AS key, v.content_hash AS hash FROM records r
       JOIN record_versions v ON v.id = r.current_version_id ORDER BY 1`,
    );
    const asFirstGave = await fx.warehouse.raw<{ rows: { key: string; hash: string }[] }>(
      `SELECT r.business_key AS key, v.content_hash AS hash FROM records r
       JOIN record_versions v ON v.record_id = r.id AND v.version_no = 1 ORDER BY 1`,
    );
    expect(current.rows).toEqual(asFirstGave.rows);

    // Now night3 is the latest load: the same bytes again are skipped, pointing at it.
    const fourth = await fx.ingest([night1], { receivedAt: RECEIVED });
    expect(fourth.files.map((file) => [file.status, file.sameContentAs?.name])).toEqual([
      ['skipped', 'night3.csv'],
    ]);
    expect(fourth.files[0]?.error).toBeUndefined();
    const skipped = await fx.warehouse('source_files').where({ run_id: fourth.runId }).first('error');
    expect(skipped.error).toContain('内容与本渠道已载入的文件「night3.csv」');
    expect(await isAlreadyLoaded(fx.warehouse, sha256(night1), channel, reading)).toBe(true);

    // The very delivery seen again (same name, same received time: a file left in its folder) is skipped too;
    // the same bytes received again later are a new delivery, judged row by row.
    const seenAgain = await fx.ingest([night2], { receivedAt: RECEIVED });
    expect(seenAgain.files.map((file) => [file.status, file.sameContentAs?.name])).toEqual([
      ['skipped', 'night2.csv'],
    ]);
    const sentAgain = await fx.ingest([night2], { receivedAt: new Date('2026-11-21T10:00:00+08:00') });
    expect(sentAgain.files.map((file) => file.status)).toEqual(['loaded']);
    expect(sentAgain.counts).toMatchObject({ read: 10, updated: 1, unchanged: 9 });
  });

  it('a file with a row rejected for a missing lookup, sent again once the lookup is added, loads that row', async () => {
    const file = fixturePath('xzcf', 'legacy-2016-utf8', 'input.csv');
    const lookups = JSON.parse(readFileSync(fixturePath('xzcf', 'legacy-2016-utf8', 'expected.json'), 'utf8'))
      .lookups as { authorityCodes: Record<string, string> };
    const city = { level: 'city' as const, provider: '11370100MB28174284', receivedAt: RECEIVED };
    const first = await fx.ingest([file], { ...city, lookups });
    expect(first.counts).toMatchObject({ read: 9, inserted: 4, rejected: 5 });
    expect(await flatRejections(fx.warehouse, first.runId)).toContainEqual([7, 'CF_CFJG', 'lookup-missing']);

    // As the fix hint says: the authority added to the lookup table, the same file sent again.
    const added = { authorityCodes: { ...lookups.authorityCodes, 某某县某某局: '11370100MB28174284' } };
    const again = await fx.ingest([file], { ...city, lookups: added });
    expect(again.files.map((one) => one.status)).toEqual(['loaded']);
    expect(again.counts).toMatchObject({ read: 9, inserted: 1, unchanged: 4, rejected: 4 });
    expect(await flatRejections(fx.warehouse, again.runId)).not.toContainEqual([
      7,
      'CF_CFJG',
      'lookup-missing',
    ]);

    // Read the same way as the latest load: skipped.
    const once = await fx.ingest([file], { ...city, lookups: added });
    expect(once.files.map((one) => [one.status, one.sameContentAs?.sourceFileId])).toEqual([
      ['skipped', again.files[0]?.sourceFileId],
    ]);
  });
});
