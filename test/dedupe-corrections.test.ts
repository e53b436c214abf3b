import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import type { ChannelLevel } from '../src/catalog/catalog-entry.ts';
import { createCatalog } from '../src/catalog/load-catalog.ts';
import { createLogger } from '../src/log/logger.ts';
import { pendingDisagreements } from '../src/records/disagreements.ts';
import { findRecords, recordHistory } from '../src/records/record-history.ts';
import { noticeRows } from '../src/report/notice-rows.ts';
import { createNotice } from '../src/report/notices.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const channel = (level: ChannelLevel, provider: string) => ({ level, provider, receivedAt: RECEIVED });
const PROVINCE = channel('province', '113700000000000000');
const CITY = channel('city', '113701000000000000');
const COUNTY = channel('county', '113701020000000000');

describe('corrections, re-deliveries, in-file duplicates and channel precedence', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(12, 66);
  const row = (i: number) => rows[i] as PenaltyRow;
  let n = 0;
  const file = (list: PenaltyRow[]) => writeRows(fx.scratch, `delivery-${++n}.csv`, list);
  // The same rows in another file (columns in another order, as another export would write them): a
  // byte-identical file from the same channel would be skipped by the sha256 ledger (test/ingest-ledger.test.ts).
  const refiled = (list: PenaltyRow[]) =>
    writeRows(fx.scratch, `delivery-${++n}.csv`, list, [...PENALTY_HEADER].reverse());
  const historyOf = async (i: number) => {
    const [record] = await findRecords(fx.warehouse, row(i).行政处罚决定书文号!);
    if (!record) throw new Error(`no record for row ${i}`);
    const history = await recordHistory(fx.warehouse, record.id);
    if (!history) throw new Error(`no history for record ${record.id}`);
    const current = history.versions.at(-1)!;
    const pending = pendingDisagreements(
      history.sources,
      {
        contentHash: current.contentHash,
        level: history.record.level,
        corrected: current.procedureId !== null,
        versionId: current.id,
      },
      ['province', 'city', 'county'],
    );
    return { ...history, current, pending };
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('dedupe_corrections');
  });
  afterAll(async () => fx?.close());

  it('an exact re-delivery from the same channel is unchanged and adds no version', async () => {
    const first = await fx.ingest([file(rows.slice(0, 4))], PROVINCE);
    expect(first.counts).toMatchObject({ read: 4, inserted: 4 });
    const again = await fx.ingest([refiled(rows.slice(0, 4))], PROVINCE);
    expect(again.counts).toMatchObject({ read: 4, unchanged: 4, inserted: 0, updated: 0, merged: 0 });
    const history = await historyOf(0);
    expect(history.versions).toHaveLength(1);
    // The re-delivery continues the province's run: counted in its file's summary, not a lineage row of its own
    // (017-compact-lineage); the record still answers that two files of the province delivered it.
    expect(history.sources.map((source) => source.outcome)).toEqual(['inserted']);
    expect(history.unchanged).toHaveLength(1);
  });

  it('a correction becomes a new version; the old version stays readable', async () => {
    const corrected = edit(row(0), { 处罚内容: '罚款人民币2万元（更正）', '罚款金额（万元）': '2' });
    const summary = await fx.ingest([file([corrected])], PROVINCE);
    expect(summary.counts).toMatchObject({ read: 1, updated: 1 });
    const history = await historyOf(0);
    expect(history.versions.map((version) => version.versionNo)).toEqual([1, 2]);
    expect(history.versions[0]?.data.CF_NR).toBe(row(0).处罚内容);
    expect(history.current.data).toMatchObject({ CF_NR: '罚款人民币2万元（更正）', CF_NR_FK: 2 });
    expect(history.record.currentVersionId).toBe(history.current.id);
  });

  it('a re-delivery typed differently (brackets, date and number formats, spaces) is unchanged', async () => {
    const retyped = edit(row(1), {
      行政处罚决定书文号: ` ${row(1).行政处罚决定书文号!.replace('〔', '（').replace('〕', '）')}`,
      处罚决定日期: row(1).处罚决定日期!.replace(/-0?/g, '/'),
      '罚款金额（万元）': `${Number(row(1)['罚款金额（万元）']).toFixed(6)}`,
      违法事实: row(1).违法事实!.replace(/，/g, ' , '),
    });
    const summary = await fx.ingest([file([retyped])], PROVINCE);
    expect(summary.counts).toMatchObject({ read: 1, unchanged: 1 });
  });

  it('in one file: an exact repeat is unchanged, the same key with other content is rejected naming the first row', async () => {
    const repeat = row(4);
    const clash = edit(row(4), {
      行政处罚决定书文号: row(4).行政处罚决定书文号!.replace('〔', '【').replace('〕', '】'),
      处罚内容: '罚款人民币9万元',
    });
    const summary = await fx.ingest([file([row(4), row(5), repeat, clash])], PROVINCE);
    expect(summary.counts).toMatchObject({ read: 4, inserted: 2, unchanged: 1, rejected: 1 });
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([[5, '*', 'duplicate-key-in-batch']]);
    const [rejection] = await fx.warehouse('rejections').where({ run_id: summary.runId });
    expect(rejection.errors[0]).toMatchObject({ value: '2' });
    expect(rejection.errors[0].message).toContain('第2行');
    expect((await historyOf(4)).sources.map((source) => source.outcome)).toEqual(['inserted', 'unchanged']);
  });

  it('in one file: an exact repeat of a conflict is that conflict again, kept with its content', async () => {
    await fx.ingest([file([row(10)])], PROVINCE);
    const differing = edit(row(10), { 处罚内容: '警告（市级录入）' });
    const summary = await fx.ingest([file([differing, row(11), differing])], CITY);
    expect(summary.counts).toMatchObject({ read: 3, conflict: 2, inserted: 1, unchanged: 0 });
    const history = await historyOf(10);
    expect(history.versions).toHaveLength(1);
    const fromCity = history.sources.filter((source) => source.level === 'city');
    // Not "the same again": that would count as the city having delivered this content (a later city row of it
    // would be unchanged instead of merged once the province adopts it, and a review notice would close).
    expect(fromCity.map((source) => [source.rowNumber, source.outcome, source.versionId])).toEqual([
      [2, 'conflict', null],
      [4, 'conflict', null],
    ]);
    expect(fromCity.map((source) => source.conflictData?.CF_NR)).toEqual([
      '警告（市级录入）',
      '警告（市级录入）',
    ]);
  });

  it('a repeat of a conflict kept as `unchanged` by an older engine does not count as the city delivering it', async () => {
    // Row 10's city content, adopted by the province, then delivered by the city again: merged, as the city never
    // had it accepted. The warehouse holds, as an engine before the fix wrote it, one more repeat of the conflict.
    const differing = edit(row(10), { 处罚内容: '警告（市级录入）' });
    const record = (await historyOf(10)).record;
    const conflict = (await historyOf(10)).sources.find((source) => source.outcome === 'conflict')!;
    // Into its sealed file: the owner switches 052's check off for this transaction (ALTER TABLE is transactional).
    await fx.owner.transaction(async (trx) => {
      await trx.raw('ALTER TABLE record_sources DISABLE TRIGGER record_sources_file_being_loaded');
      await trx.raw(
        `INSERT INTO record_sources (record_id, version_id, outcome, run_id, source_file_id, row_number, provider_code,
                                     level, content_hash, conflict_data, received_at, late, working_days)
         SELECT record_id, NULL, 'unchanged', run_id, source_file_id, row_number + 100, provider_code, level,
                content_hash, conflict_data, received_at, late, working_days
         FROM record_sources WHERE id = ?`,
        [conflict.id],
      );
      await trx.raw('ALTER TABLE record_sources ENABLE TRIGGER record_sources_file_being_loaded');
    });
    expect((await fx.ingest([file([differing])], PROVINCE)).counts).toMatchObject({ updated: 1 });
    expect((await fx.ingest([refiled([differing])], CITY)).counts).toMatchObject({ merged: 1, unchanged: 0 });
    expect((await historyOf(10)).record.id).toBe(record.id);
  });

  it('county below city: differing county content is a conflict, equal content merges', async () => {
    const city = await fx.ingest([file([row(6)])], CITY);
    const differing = edit(row(6), { 处罚内容: '警告（县级录入）' });
    const county = await fx.ingest([file([differing])], COUNTY);
    expect([city.counts.inserted, county.counts.conflict]).toEqual([1, 1]);
    const countyAgrees = await fx.ingest([file([row(6)])], COUNTY);
    expect(countyAgrees.counts).toMatchObject({ merged: 1 });
    const cityAgain = await fx.ingest([refiled([row(6)])], CITY);
    expect(cityAgain.counts).toMatchObject({ unchanged: 1 });
    const history = await historyOf(6);
    expect(history.versions).toHaveLength(1);
    expect(history.record.level).toBe('city');
    expect(history.sources.find((source) => source.outcome === 'conflict')?.conflictData?.CF_NR).toBe(
      '警告（县级录入）',
    );
    // The county's latest delivery agrees with the current version: nothing pending.
    expect(history.pending).toEqual([]);
  });

  it('a city delivery equal to a city-level record and a higher province push raise the level', async () => {
    await fx.ingest([file([row(7)])], CITY);
    const province = await fx.ingest([file([row(7)])], PROVINCE);
    expect(province.counts).toMatchObject({ merged: 1 });
    const history = await historyOf(7);
    expect(history.record.level).toBe('province');
    expect(history.versions).toHaveLength(1);
  });

  it('a conflict stays pending until the province corrects to the city content', async () => {
    await fx.ingest([file([row(8)])], PROVINCE);
    const cityVersion = edit(row(8), {
      处罚内容: '罚款人民币0.5万元（市级复核）',
      '罚款金额（万元）': '0.50',
    });
    const conflict = await fx.ingest([file([cityVersion])], CITY);
    expect(conflict.counts).toMatchObject({ conflict: 1 });
    let history = await historyOf(8);
    expect(history.current.data.CF_NR).toBe(row(8).处罚内容);
    expect(history.pending.map((source) => source.level)).toEqual(['city']);

    const provinceCorrection = edit(cityVersion, { '罚款金额（万元）': '0.5' });
    const correction = await fx.ingest([file([provinceCorrection])], PROVINCE);
    expect(correction.counts).toMatchObject({ updated: 1 });
    history = await historyOf(8);
    expect(history.current.data).toMatchObject({ CF_NR: '罚款人民币0.5万元（市级复核）', CF_NR_FK: 0.5 });
    expect(history.pending).toEqual([]);
    // The city re-delivering its content now merges with the province's version.
    const cityAgain = await fx.ingest([refiled([cityVersion])], CITY);
    expect(cityAgain.counts).toMatchObject({ merged: 1 });
  });

  it("at a record's level only the provider holding it corrects it: another department's content is a conflict", async () => {
    const QINGDAO = channel('city', '113702000000000000');
    const qingdaoPenalty = edit(row(0), { 行政处罚决定书文号: '青市监罚〔2026〕1号' });
    const historyOfQingdao = async () => {
      const [record] = await findRecords(fx.warehouse, qingdaoPenalty.行政处罚决定书文号!);
      const history = (await recordHistory(fx.warehouse, record!.id))!;
      const current = history.versions.find((version) => version.id === history.record.currentVersionId)!;
      return { history, current };
    };
    await fx.ingest([file([qingdaoPenalty])], QINGDAO);
    // Jinan, also a city channel, delivers other content under Qingdao's decision number (a key typed wrong, or a
    // provider's direct report naming a record it does not hold): not applied.
    const jinanContent = edit(qingdaoPenalty, { 处罚内容: '济南市录入的内容' });
    const jinan = await fx.ingest([file([jinanContent])], CITY);
    expect(jinan.counts).toMatchObject({ conflict: 1, updated: 0 });
    let { history, current } = await historyOfQingdao();
    expect(history.versions).toHaveLength(1);
    expect(current.data.CF_NR).toBe(qingdaoPenalty.处罚内容);
    const pending = pendingDisagreements(
      history.sources,
      { contentHash: current.contentHash, level: 'city', corrected: false, versionId: current.id },
      ['province', 'city', 'county'],
    );
    expect(pending.map((source) => source.providerCode)).toEqual([CITY.provider]);
    // Jinan's review notice says whose record it is, before the field that differs.
    const notice = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: CITY.provider,
      scope: { kind: 'run', runId: jinan.runId },
      issuedOn: '2026-11-21',
    });
    const listed = [];
    for await (const row of noticeRows(fx.warehouse, fx.catalog, notice.id)) listed.push(row);
    expect(listed.map((row) => row.errors.map((error) => [error.code, error.field]))).toEqual([
      [
        ['record-of-another-provider', '*'],
        ['conflict', 'CF_NR'],
      ],
    ]);
    expect(listed[0]!.errors[1]!.message).toContain('与现行（同级其他报送单位）数据不一致');
    // Qingdao corrects its own record; the province, above both, may too.
    const qingdao = await fx.ingest([file([edit(qingdaoPenalty, { 处罚内容: '青岛市更正' })])], QINGDAO);
    expect(qingdao.counts).toMatchObject({ updated: 1 });
    const province = await fx.ingest([file([edit(qingdaoPenalty, { 处罚内容: '省级更正' })])], PROVINCE);
    expect(province.counts).toMatchObject({ updated: 1 });
    ({ history, current } = await historyOfQingdao());
    expect([current.data.CF_NR, history.record.level, history.versions.length]).toEqual([
      '省级更正',
      'province',
      3,
    ]);
  });

  it('at its level only the provider holding a record withdraws it, not another that re-delivered it', async () => {
    const QINGDAO = channel('city', '113702000000000000');
    const SOFT_DELETE = { softDelete: { column: 'del_flag', values: ['1'] } };
    const qingdaoPenalty = edit(row(0), { 行政处罚决定书文号: '青市监罚〔2026〕2号' });
    const flagged = (flag: string) =>
      writeRows(
        fx.scratch,
        `withdraw-${++n}.csv`,
        [{ ...qingdaoPenalty, del_flag: flag }],
        [...PENALTY_HEADER, 'del_flag'],
      );
    await fx.ingest([file([qingdaoPenalty])], QINGDAO);
    // Jinan re-delivers the same content: the level delivered it already, so it is the same again.
    expect((await fx.ingest([refiled([qingdaoPenalty])], CITY)).counts).toMatchObject({ unchanged: 1 });
    const byJinan = await fx.ingest([flagged('1')], { ...CITY, withdrawals: SOFT_DELETE });
    expect(byJinan.counts).toMatchObject({ withdrawn: 0, rejected: 1 });
    expect(byJinan.errorsByCode).toEqual({ 'withdrawal-not-provider-record': 1 });
    const [record] = await findRecords(fx.warehouse, qingdaoPenalty.行政处罚决定书文号!);
    expect(record?.status).toBe('current');
    const byQingdao = await fx.ingest([flagged('1')], { ...QINGDAO, withdrawals: SOFT_DELETE });
    expect(byQingdao.counts).toMatchObject({ withdrawn: 1, rejected: 0 });
    expect((await findRecords(fx.warehouse, qingdaoPenalty.行政处罚决定书文号!))[0]?.status).toBe(
      'withdrawn',
    );
  });

  it('precedence is configurable per catalog entry: with city first, a province difference is the conflict', async () => {
    const entry = fx.catalog.resolve('xzcf', '2026-11-20');
    const cityFirst = createCatalog([{ ...entry, precedence: ['city', 'province', 'county'] }]);
    const logger = createLogger({ logFile: path.join(fx.scratch, 'precedence.log'), console: false });
    const ingest = async (list: PenaltyRow[], level: ChannelLevel, provider: string) =>
      ingestUnits(
        fx.warehouse,
        cityFirst,
        {
          units: [await localFileUnit(file(list), RECEIVED)],
          catalog: 'xzcf',
          providerCode: provider,
          level,
          encoding: 'auto',
        },
        logger,
      );
    await ingest([row(9)], 'city', CITY.provider);
    const province = await ingest([edit(row(9), { 处罚内容: '省级版本' })], 'province', PROVINCE.provider);
    expect(province.counts).toMatchObject({ conflict: 1, updated: 0 });
    const city = await ingest([edit(row(9), { 处罚内容: '市级更正' })], 'city', CITY.provider);
    expect(city.counts).toMatchObject({ updated: 1 });
    const history = await historyOf(9);
    expect(history.current.data.CF_NR).toBe('市级更正');
    expect(history.record.level).toBe('city');
  });
});
