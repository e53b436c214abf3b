import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { syncCatalogEntries } from '../src/cli/sync-catalog-entries.ts';
import { nextDay, periodEnd } from '../src/disclosure/civil-dates.ts';
import { createLogger, type Logger } from '../src/log/logger.ts';
import { repairRecord } from '../src/procedures/credit-repair.ts';
import { correctRecord, type Grounds, reattributeRecord } from '../src/procedures/legal-procedures.ts';
import { findRecords } from '../src/records/record-history.ts';
import type { VerifyScope } from '../src/verify/integrity-finding.ts';
import { verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { asOfficer } from '../src/warehouse/objection-log-repository.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { fixturePath, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const GROUNDS: Grounds = {
  basis: '鲁信用办函〔2026〕31号',
  reason: '提供单位书面确认原数据有误',
  operator: '张科员',
};
const DECISION = '行政处罚决定书文号';
const today = todayInShanghai();
const monthsAgo = (months: number) => periodEnd(today, -months);
const lookupsOf = (entry: string) =>
  JSON.parse(readFileSync(fixturePath(entry, 'legacy-2016-utf8', 'expected.json'), 'utf8')).lookups;

/**
 * `records.business_key`, `records.catalog_code` and `records.created_at` are in no chain, and `procedure_repair`
 * believes the disclosure its caller hands it: verify recomputes the key from the current version by the catalog
 * entry's own key function, and each repair's repairable day by the catalog's disclosure rules.
 */
describe('verify: business keys and credit repairs recomputed from the catalog', { timeout: 120_000 }, () => {
  let fx: WarehouseFixture;
  let logger: Logger;
  const rows = basePenalties(8, 3131);
  const penalty = (i: number, decision: string, category: string, decided: string) =>
    edit(rows[i] as PenaltyRow, {
      [DECISION]: decision,
      处罚类别: category,
      处罚决定日期: decided,
      公示截止期: '',
    });
  const forged = penalty(0, '鲁济市监罚〔2026〕101号', '罚款', monthsAgo(2));
  const repairable = penalty(1, '鲁济市监罚〔2026〕102号', '没收违法所得', monthsAgo(5));
  const serious = penalty(2, '鲁济市监罚〔2026〕103号', '吊销许可证件', monthsAgo(1));
  const toCorrect = penalty(3, '鲁济市监罚〔2026〕104号', '罚款', monthsAgo(2));
  const toReattribute = penalty(4, '鲁济市监罚〔2026〕105号', '罚款', monthsAgo(2));
  const otherCatalog = penalty(5, '鲁济市监罚〔2026〕106号', '罚款', monthsAgo(2));
  const backdated = penalty(6, '鲁济市监罚〔2026〕107号', '罚款', monthsAgo(2));
  const idOf = async (decision: string) => {
    const found = await findRecords(fx.warehouse, decision);
    expect(found).toHaveLength(1);
    return found[0]!.id;
  };
  const verify = (scope: VerifyScope = {}) => verifyWarehouse(fx.warehouse, fx.catalog, scope, logger);
  const asSuperuser = (sql: string, params: unknown[] = []) =>
    fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica'); // triggers off: behind the engine's back
      await trx.raw(sql, params as never);
    });
  const cli = (args: string[]) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });
  let records = 0;

  beforeAll(async () => {
    fx = await openWarehouseFixture('verify_keys_repairs');
    logger = createLogger({ logFile: path.join(fx.scratch, 'verify.log'), console: false });
    // The 2016 layouts (catalog version 0, key fields derived by lookup), then the 2021 layout over the 行政处罚:
    // records whose versions were stored under two entry versions.
    const legacy = await fx.ingest([fixturePath('xzcf', 'legacy-2016-gb18030', 'input.csv')], {
      receivedAt: RECEIVED,
      lookups: lookupsOf('xzcf'),
    });
    expect(legacy.counts).toMatchObject({ inserted: 4 });
    const round = await fx.ingest([fixturePath('xzcf', 'legacy-2016-round', 'input.csv')], {
      receivedAt: RECEIVED,
    });
    expect(round.counts).toMatchObject({ updated: 4 });
    const permits = await fx.ingest([fixturePath('xzxk', 'legacy-2016-utf8', 'input.csv')], {
      catalog: 'xzxk',
      receivedAt: RECEIVED,
      lookups: lookupsOf('xzxk'),
    });
    expect(permits.counts).toMatchObject({ inserted: 3 });
    const delivered = await fx.ingest([
      writeRows(fx.scratch, 'd1.csv', [
        forged,
        repairable,
        serious,
        toCorrect,
        toReattribute,
        otherCatalog,
        backdated,
      ]),
    ]);
    expect(delivered.counts).toMatchObject({ inserted: 7 });
    // The legal procedures an officer runs: a correction, a reattribution (a new record of another key
    // supersedes the old one, which keeps its key and versions) and a credit repair, all through the engine.
    await correctRecord(
      fx.warehouse,
      fx.catalog,
      await idOf('鲁济市监罚〔2026〕104号'),
      ['备注=更正'],
      GROUNDS,
    );
    const reattributed = await reattributeRecord(
      fx.warehouse,
      fx.catalog,
      await idOf('鲁济市监罚〔2026〕105号'),
      makeUscc('91', '370102', 5_050_001),
      [],
      GROUNDS,
    );
    expect(reattributed.newRecordId).toBeGreaterThan(0);
    await repairRecord(fx.warehouse, fx.catalog, await idOf('鲁济市监罚〔2026〕102号'), GROUNDS);
    records = 4 + 3 + 7 + 1;
  });
  afterAll(async () => fx?.close());

  it('is clean after legacy layouts, a later layout over them, a correction, a reattribution and a repair', async () => {
    const clean = await verify();
    expect([clean.status, clean.records, clean.files]).toEqual(['completed', [], []]);
    expect(clean.counts).toMatchObject({ records, keys: records, repairs: 1 });
    expect(clean.counts.unchecked).toBeUndefined();
  });

  it('names a record whose business key, catalog or creation time was rewritten behind the engine', async () => {
    const keyForged = await idOf('鲁济市监罚〔2026〕101号');
    const moved = await idOf('鲁济市监罚〔2026〕106号');
    const older = await idOf('鲁济市监罚〔2026〕107号');
    const { rows: created } = await fx.warehouse.raw<{ rows: { first: string }[] }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS first
       FROM record_versions WHERE record_id = ? AND version_no = 1`,
      [older],
    );
    await asSuperuser(
      `UPDATE records SET business_key = replace(business_key, '101号', '901号') WHERE id = ?`,
      [keyForged],
    );
    await asSuperuser(`UPDATE records SET catalog_code = 'xzqz' WHERE id = ?`, [moved]);
    await asSuperuser(`UPDATE records SET created_at = created_at - interval '30 days' WHERE id = ?`, [
      older,
    ]);
    try {
      // What the audit saw: the forged decision number is the one the record shows.
      expect(await findRecords(fx.warehouse, '鲁济市监罚〔2026〕901号')).toHaveLength(1);
      const found = await verify();
      expect(found.status).toBe('failed');
      expect(found.records.map((finding) => [finding.recordId, finding.problem])).toEqual([
        [older, 'created-differs'],
        [keyForged, 'key-differs'],
        [moved, 'key-differs'],
      ]);
      const [createdFinding, keyFinding, movedFinding] = found.records;
      expect(createdFinding!.detail).toMatch(
        new RegExp(`version 1 written ${created[0]!.first.replace('.', '\\.')}$`),
      );
      expect(keyFinding).toMatchObject({ catalogCode: 'xzcf', versionNo: 1 });
      expect(keyFinding!.detail).toMatch(
        /^stored key .*〔2026〕901号.*, its current version \(xzcf v\d+\) gives .*〔2026〕101号/,
      );
      expect(movedFinding).toMatchObject({
        catalogCode: 'xzqz',
        detail: 'the record is filed under xzqz, its current version came in under xzcf',
      });
      const run = await fx.warehouse('runs').where({ id: found.runId }).first();
      expect(run).toMatchObject({
        status: 'failed',
        errors_by_code: { 'key-differs': 2, 'created-differs': 1 },
      });
      // The scope: the catalog the record now claims finds it; a day after the work, nothing was written.
      expect((await verify({ catalogCode: 'xzqz' })).records.map((finding) => finding.recordId)).toEqual([
        moved,
      ]);
      expect((await verify({ catalogCode: 'xzxk' })).records).toEqual([]);
      const tomorrow = new Date(`${nextDay(today)}T00:00:00+08:00`);
      expect((await verify({ since: tomorrow })).records).toEqual([]);
      // The operator's command names them and exits 4.
      const cli4 = await cli(['verify']);
      expect(cli4.code, cli4.stderr).toBe(4);
      expect(cli4.stdout).toContain('key-differs: stored key');
      expect(cli4.stdout).toMatch(/keys, \d+ repairs checked/);
    } finally {
      await asSuperuser(
        `UPDATE records SET business_key = replace(business_key, '901号', '101号') WHERE id = ?`,
        [keyForged],
      );
      await asSuperuser(`UPDATE records SET catalog_code = 'xzcf' WHERE id = ?`, [moved]);
      await asSuperuser(`UPDATE records SET created_at = created_at + interval '30 days' WHERE id = ?`, [
        older,
      ]);
    }
    expect((await verify()).status).toBe('completed');
  });

  it('names a credit repair an officer made by calling procedure_repair with a disclosure of its own', async () => {
    const early = await idOf('鲁济市监罚〔2026〕103号');
    const [permit] = await fx.warehouse('records').where({ catalog_code: 'xzxk' }).orderBy('id').pluck('id');
    const call = (recordId: number, disclosure: object) =>
      asOfficer(fx.warehouse, (trx) =>
        trx.raw('SELECT procedure_repair(?, ?::jsonb, ?, ?, ?) AS id', [
          recordId,
          JSON.stringify(disclosure),
          '伪',
          '直接调用',
          'x',
        ]),
      );
    // 严重: the minimum period is a year from the decision; the database believes the caller.
    await call(early, { repairableFrom: monthsAgo(1), state: 'disclosed' });
    // 行政许可 is no 失信信息: the catalog allows no repair of it at all.
    await call(permit!, { repairableFrom: '2020-01-01', state: 'disclosed' });
    const found = await verify();
    expect(found.status).toBe('failed');
    expect(found.counts).toMatchObject({ repairs: 3 });
    const repairs = found.records.filter((finding) => finding.problem === 'repair-before-period');
    expect(repairs.map((finding) => [finding.recordId, finding.catalogCode])).toEqual([
      [early, 'xzcf'],
      [permit, 'xzxk'],
    ]);
    const due = nextDay(periodEnd(monthsAgo(1), 12));
    expect(repairs[0]!.detail).toMatch(
      new RegExp(
        `^repair #\\d+ on ${today}: before ${due}, the first day its minimum disclosure period allows; its caller gave repairableFrom ${monthsAgo(1)}, recomputed ${due}$`,
      ),
    );
    expect(repairs[1]!.detail).toMatch(
      /^repair #\d+ on \d{4}-\d{2}-\d{2}: xzxk v0 allows no credit repair; its caller gave repairableFrom 2020-01-01, recomputed none$/,
    );
    // Nothing else: the repair the engine made stays clean.
    expect(found.records).toHaveLength(2);
    expect((await verify({ catalogCode: 'xzxk' })).records.map((finding) => finding.problem)).toEqual([
      'repair-before-period',
    ]);
    const cli4 = await cli(['verify', '--json']);
    expect(cli4.code, cli4.stderr).toBe(4);
    expect(JSON.parse(cli4.stdout).counts).toMatchObject({ records, keys: records, repairs: 3 });
  });

  it('names a record an officer corrected by calling procedure_correct with a row of another decision number', async () => {
    const target = await idOf('鲁济市监罚〔2026〕106号');
    // The database checks the key the caller hands it, not the key of the row it stores.
    await asOfficer(fx.warehouse, (trx) =>
      trx.raw(
        `SELECT procedure_correct(r.id, r.current_version_id, jsonb_set(v.data, '{CF_WSH}', '"鲁济市监罚〔2026〕906号"'), md5(v.content_hash),
                v.catalog_version, v.formation_date, r.business_key, r.subject_code, '伪', '直接调用', 'x')
         FROM records r JOIN record_versions v ON v.id = r.current_version_id WHERE r.id = ?`,
        [target],
      ),
    );
    const found = await verify();
    const keys = found.records.filter((finding) => finding.problem === 'key-differs');
    expect(keys.map((finding) => [finding.recordId, finding.versionNo])).toEqual([[target, 2]]);
    expect(keys[0]!.detail).toMatch(/〔2026〕106号.* gives .*〔2026〕906号/);
  });

  it('names a record an officer corrected by calling procedure_correct with a content hash that is not its data', async () => {
    const target = await idOf('鲁济市监罚〔2026〕107号');
    const before = await fx.warehouse('record_versions').where({ record_id: target }).orderBy('version_no');
    // The remark changed, the hash handed in is not the new data's (the database refuses the old content's own
    // hash as "no change", not another): the content a provider sends next is judged against a wrong hash.
    await asOfficer(fx.warehouse, (trx) =>
      trx.raw(
        `SELECT procedure_correct(r.id, r.current_version_id, jsonb_set(v.data, '{BZ}', '"改过的备注"'), reverse(v.content_hash),
                v.catalog_version, v.formation_date, r.business_key, r.subject_code, '伪', '直接调用', 'x')
         FROM records r JOIN record_versions v ON v.id = r.current_version_id WHERE r.id = ?`,
        [target],
      ),
    );
    const found = await verify();
    const hashes = found.records.filter((finding) => finding.problem === 'content-hash-differs');
    // The other direct correction above handed in a hash of nothing (an md5): found too, and nothing else.
    const otherCorrected = await idOf('鲁济市监罚〔2026〕106号');
    expect(hashes.map((finding) => [finding.recordId, finding.versionNo]).sort()).toEqual(
      [
        [otherCorrected, 2],
        [target, before.length + 1],
      ].sort(),
    );
    const handedIn = [...before.at(-1)!.content_hash].reverse().join('');
    const [, stored, given] =
      hashes
        .find((finding) => finding.recordId === target)!
        .detail.match(/^stored content hash (\S+), its data \(xzcf v\d+\) gives (\S+)$/) ?? [];
    expect(stored).toBe(handedIn);
    expect(given).toMatch(/^[\w-]{43}$/);
    expect(given).not.toBe(handedIn);
  });

  it("names a record whose level the engine's login lowered below a channel that delivered it", async () => {
    const target = await idOf('鲁济市监罚〔2026〕103号');
    // 济南市 delivers the province's content: merged, the record stays the province's.
    const city = await fx.ingest([writeRows(fx.scratch, 'city.csv', [serious])], {
      provider: '11370100MB28174284',
      level: 'city',
    });
    expect(city.counts).toMatchObject({ merged: 1 });
    const before = await verify();
    expect(before.records.filter((finding) => finding.problem === 'level-below-delivery')).toEqual([]);
    await syncCatalogEntries(fx.warehouse, fx.catalog.entries);
    // The database refuses the engine's login a lower level (036) once the entry is synced, as every command does:
    // lowered behind its back, the city's next different content would be an update instead of a conflict.
    await expect(fx.warehouse('records').where({ id: target }).update({ level: 'city' })).rejects.toThrow(
      /only rises/,
    );
    await asSuperuser(`UPDATE records SET level = 'city' WHERE id = ?`, [target]);
    const lowered = (await verify()).records.filter((finding) => finding.problem === 'level-below-delivery');
    expect(lowered.map((finding) => finding.recordId)).toEqual([target]);
    expect(lowered[0]!.detail).toContain('below province');
    await fx.owner('records').where({ id: target }).update({ level: 'province' });
    expect((await verify()).records.filter((finding) => finding.problem === 'level-below-delivery')).toEqual(
      [],
    );
  });
});
