import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { foldText } from '../src/dedupe/content-hash.ts';
import { recordHistory } from '../src/records/record-history.ts';
import { subjectArchive } from '../src/records/subject-archive.ts';
import {
  basePenalties,
  type CurrentRecord,
  currentState,
  edit,
  lineageSet,
  type PenaltyRow,
  writeRows,
} from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const PROVINCE = { level: 'province', provider: '113700000000000000', receivedAt: RECEIVED } as const;
const CITY = { level: 'city', provider: '113701000000000000', receivedAt: RECEIVED } as const;

/**
 * The province pushes rows 0–5; the city pushes rows 0–3 with the same content typed its own way (other
 * column order, brackets, date and number formats, spaces), row 4 with a different penalty, and row 6, which
 * only the city has (省市互补).
 */
function pushes(): { province: PenaltyRow[]; city: PenaltyRow[] } {
  const rows = basePenalties(7);
  const [r0, r1, r2, r3, r4, , r6] = rows as [PenaltyRow, ...PenaltyRow[]] & PenaltyRow[];
  const city = [
    edit(r0, { 行政处罚决定书文号: r0.行政处罚决定书文号!.replace('〔', '[').replace('〕', ']') }),
    edit(r1!, { 处罚决定日期: r1!.处罚决定日期!.replace(/^(\d{4})-0?(\d+)-0?(\d+)$/, '$1/$2/$3') }),
    edit(r2!, {
      '罚款金额（万元）': `${r2!['罚款金额（万元）']}${r2!['罚款金额（万元）']!.includes('.') ? '0' : '.00'}`,
    }),
    edit(r3!, { 违法事实: `  ${r3!.违法事实!.replace('，', ', ')} `, 处罚依据: `${r3!.处罚依据}\u3000` }),
    edit(r4!, { 处罚内容: '罚款人民币1万元（市级核定）', '罚款金额（万元）': '1' }),
    r6!,
  ];
  return { province: rows.slice(0, 6), city };
}

const folded = (data: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? foldText(v) : v]));

describe('province and city pushes of overlapping records', () => {
  let provinceFirst: WarehouseFixture;
  let cityFirst: WarehouseFixture;
  const { province, city } = pushes();

  beforeAll(async () => {
    [provinceFirst, cityFirst] = await Promise.all([
      openWarehouseFixture('order_province_first'),
      openWarehouseFixture('order_city_first'),
    ]);
  });
  afterAll(async () => Promise.all([provinceFirst?.close(), cityFirst?.close()]));

  it('province then city: same content merges, differing city content is a conflict, city-only rows insert', async () => {
    const dir = provinceFirst.scratch;
    const p = await provinceFirst.ingest([writeRows(dir, 'province.csv', province)], PROVINCE);
    const reordered = [...PENALTY_HEADER].reverse();
    const c = await provinceFirst.ingest([writeRows(dir, 'city.csv', city, reordered)], CITY);
    expect(p.counts).toMatchObject({ read: 6, inserted: 6, rejected: 0 });
    expect(c.counts).toMatchObject({ read: 6, merged: 4, conflict: 1, inserted: 1, updated: 0, rejected: 0 });
  });

  it('city then province: same content merges, the province version replaces the city one', async () => {
    const dir = cityFirst.scratch;
    const c = await cityFirst.ingest([writeRows(dir, 'city.csv', city, [...PENALTY_HEADER].reverse())], CITY);
    const p = await cityFirst.ingest([writeRows(dir, 'province.csv', province)], PROVINCE);
    expect(c.counts).toMatchObject({ read: 6, inserted: 6, rejected: 0 });
    expect(p.counts).toMatchObject({ read: 6, merged: 4, updated: 1, inserted: 1, conflict: 0, rejected: 0 });
  });

  it('both orders end with the same current records, the province version winning where they differ', async () => {
    const a = await currentState(provinceFirst.warehouse);
    const b = await currentState(cityFirst.warehouse);
    expect(a).toHaveLength(7);
    const comparable = (records: CurrentRecord[]) =>
      records.map(({ key, level, hash, data }) => ({ key, level, hash, data: folded(data) }));
    expect(comparable(a)).toEqual(comparable(b));
    // Equal content typed differently in free text keeps the typing of its first delivery (no new version).
    const retyped = (records: CurrentRecord[]) =>
      records.find((record) => record.key.includes(province[3]!.行政处罚决定书文号!))?.data.CF_SY;
    expect(retyped(a)).toBe(province[3]!.违法事实);
    expect(retyped(b)).toBe(city[3]!.违法事实!.trim());
    const disputed = a.find((record) => record.key.includes(province[4]!.行政处罚决定书文号!));
    expect(disputed?.data.CF_NR).toBe(province[4]!.处罚内容);
    expect(disputed?.level).toBe('province');
    const cityOnly = a.find((record) => record.key.includes(city[5]!.行政处罚决定书文号!));
    expect(cityOnly?.level).toBe('city');
    // Records both channels delivered identically are vouched for by the province.
    expect(a.filter((record) => record.level === 'province')).toHaveLength(6);
  });

  it('both orders keep the same lineage: every delivered (channel, content) pair', async () => {
    const a = await lineageSet(provinceFirst.warehouse);
    expect(a).toHaveLength(12);
    expect(a).toEqual(await lineageSet(cityFirst.warehouse));
  });

  it('both orders keep the city version of the disputed record and report it as a pending conflict', async () => {
    for (const fx of [provinceFirst, cityFirst]) {
      const [record] = await fx
        .warehouse('records')
        .whereRaw('business_key LIKE ?', [`%${province[4]!.行政处罚决定书文号}%`])
        .select('id');
      const history = await recordHistory(fx.warehouse, record.id);
      const cityRow = history?.sources.find((source) => source.level === 'city');
      const cityContent =
        cityRow?.conflictData ?? history?.versions.find((v) => v.id === cityRow?.versionId)?.data;
      expect(cityContent?.CF_NR).toBe('罚款人民币1万元（市级核定）');
      const archive = await subjectArchive(
        fx.warehouse,
        fx.catalog,
        province[4]!['行政相对人代码_1(统一社会信用代码)']!,
      );
      expect(archive.groups[0]?.records[0]?.conflictPending).toBe(1);
    }
  });
});
