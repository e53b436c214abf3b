import { writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, makeUscc, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import type { ChannelLevel } from '../src/catalog/catalog-entry.ts';
import type { Provider } from '../src/report/providers.ts';
import { type ProviderQuality, type QualityBulletin, qualityBulletin } from '../src/report/quality-stats.ts';
import { writeQualityXlsx } from '../src/report/quality-xlsx.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import type { WithdrawalSignals } from '../src/run/withdrawal-signals.ts';
import { providerPeriodCounts } from '../src/warehouse/quality-repository.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVIDERS: Provider[] = [
  { code: 'P-PROV', name: '省级推送', level: 'province', expectedEntries: ['xzcf'] },
  { code: 'P-CITY', name: '青岛市', level: 'city', expectedEntries: ['xzcf', 'xzxk'] },
  { code: 'P-SKIP', name: '烟台市', level: 'city', expectedEntries: ['xzcf'] },
  { code: 'P-DUMP', name: '潍坊市', level: 'city', expectedEntries: ['xzcf'] },
  { code: 'P-WD', name: '威海市', level: 'city', expectedEntries: ['xzcf'] },
  { code: 'P-EMPTY', name: '某县', level: 'county', expectedEntries: ['xzcf'] },
  { code: 'P-OTHER', name: '日照市', level: 'city', expectedEntries: ['xzcf'] },
];

const XZXK_HEADER =
  '行政相对人名称,行政相对人类别,行政相对人代码_1(统一社会信用代码),行政相对人代码_2(工商注册号),行政相对人代码_3(组织机构代码),行政相对人代码_4(税务登记号),行政相对人代码_5(事业单位证书号),行政相对人代码_6(社会组织登记证号),法定代表人,法定代表人证件类型,法定代表人证件号码,证件类型,证件号码,行政许可决定文书名称,许可决定书文号,审批类别,许可证书名称,许可编号,许可内容,许可决定日期,有效期自,许可截止期,许可机关,许可机关统一社会信用代码,当前状态,数据来源单位,数据来源单位统一社会信用代码,备注';

const BASE = generatePenalties(1).rows[0]!;
/** Penalty row `n` (its own company, code and decision number), formed on `date`. */
function row(n: number, { date = '2026-10-28', amount = '0.5' } = {}): string[] {
  const copy = [...BASE];
  copy[0] = `审查示例有限公司${n}`;
  copy[2] = makeUscc('91', '370102', 500_000 + n);
  copy[13] = `济市监罚〔2026〕${1000 + n}号`;
  copy[19] = amount;
  copy[22] = date;
  return copy;
}
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/**
 * Nightly full dumps re-deliver what the warehouse has: the bulletin counts such rows apart (重复报送行数), never as
 * volume or lateness, and a file skipped as byte-identical follows the same rule as one read all unchanged.
 */
describe('the quality bulletin with re-deliveries', () => {
  let fx: WarehouseFixture;
  let bulletin: QualityBulletin;
  const runs: Record<string, RunSummary> = {};

  const write = (name: string, text: string) => {
    const file = path.join(fx.scratch, name);
    writeFileSync(file, text);
    return file;
  };
  const csv = (name: string, data: string[][], header: string[] = PENALTY_HEADER) =>
    write(name, toCsv(header, data));
  /** The same content in other bytes (a UTF-8 BOM): not the ledger's sha256, so read again. */
  const bom = (name: string, data: string[][], header: string[] = PENALTY_HEADER) =>
    write(name, `\uFEFF${toCsv(header, data)}`);
  const deliver = async (
    file: string,
    provider: string,
    level: ChannelLevel,
    day: string,
    extra: { catalog?: string; withdrawals?: WithdrawalSignals } = {},
  ) => {
    const summary = await fx.ingest([file], {
      provider,
      level,
      receivedAt: new Date(`${day}T10:00:00+08:00`),
      ...extra,
    });
    runs[`${provider} ${day} ${path.basename(file)}`] = summary;
    return summary;
  };
  const of = (code: string): ProviderQuality => bulletin.providers.find((p) => p.code === code)!;

  beforeAll(async () => {
    fx = await openWarehouseFixture('report_quality_redelivery');
    // The reviewer's province: 10 rows formed 10-28, delivered on time 11-02 (deadline 11-06), then the same rows
    // again 11-09 and 11-16 (nightly full dumps), and 11-17 byte for byte the latest load (skipped).
    const province = range(0, 10).map((n) => row(n));
    await deliver(csv('p1.csv', province), 'P-PROV', 'province', '2026-11-02');
    const second = await deliver(bom('p2.csv', province), 'P-PROV', 'province', '2026-11-09');
    // The merge's own flag stays the row's timeliness (docs/warehouse.md "Timeliness"): late, yet no new late row.
    expect(second.counts).toMatchObject({ read: 10, unchanged: 10, late: 10 });
    await deliver(csv('p3.csv', province), 'P-PROV', 'province', '2026-11-16');
    expect(
      (await deliver(csv('p4.csv', province), 'P-PROV', 'province', '2026-11-17')).files[0]!.status,
    ).toBe('skipped');

    // A city: four rows and one of the province's keys with other content (a conflict), on time; an empty xzxk
    // file; then late: one row changed, the rest again, the same conflict again, and a bad row.
    const stale = row(0, { amount: '9.9' });
    const city = range(100, 4).map((n) => row(n));
    await deliver(csv('c1.csv', [...city, stale]), 'P-CITY', 'city', '2026-11-03');
    await deliver(write('c1-xzxk.csv', `${XZXK_HEADER}\n`), 'P-CITY', 'city', '2026-11-03', {
      catalog: 'xzxk',
    });
    const changed = [
      ...city.slice(0, 3),
      row(103, { amount: '1.5' }),
      stale,
      row(104, { date: '2026-02-30' }),
    ];
    const late = await deliver(csv('c2.csv', changed), 'P-CITY', 'city', '2026-11-20');
    expect(late.counts).toMatchObject({ unchanged: 3, updated: 1, conflict: 1, rejected: 1 });

    // Loaded in October, then in November the same file byte for byte (skipped) or in other bytes (read, unchanged).
    const october = { date: '2026-10-10' };
    const skipped = range(200, 3).map((n) => row(n, october));
    await deliver(csv('s1.csv', skipped), 'P-SKIP', 'city', '2026-10-15');
    expect((await deliver(csv('s2.csv', skipped), 'P-SKIP', 'city', '2026-11-05')).files[0]!.status).toBe(
      'skipped',
    );
    const dumped = range(300, 3).map((n) => row(n, october));
    await deliver(csv('d1.csv', dumped), 'P-DUMP', 'city', '2026-10-15');
    await deliver(bom('d2.csv', dumped), 'P-DUMP', 'city', '2026-11-05');

    // Withdrawal requests sent again with every dump (当前状态 撤销): one new withdrawal, then its repeat.
    const withdrawals: WithdrawalSignals = { status: { column: '当前状态', values: ['1', '撤销'] } };
    const header = [...PENALTY_HEADER, '当前状态'];
    const held = range(400, 2).map((n) => row(n, october));
    const wd = (state: string) => [
      [...held[0]!, state],
      [...held[1]!, '0'],
    ];
    await deliver(csv('w1.csv', wd('0'), header), 'P-WD', 'city', '2026-10-15', { withdrawals });
    const first = await deliver(csv('w2.csv', wd('撤销'), header), 'P-WD', 'city', '2026-11-02', {
      withdrawals,
    });
    expect(first.counts).toMatchObject({ withdrawn: 1, unchanged: 1 });
    const repeat = await deliver(bom('w3.csv', wd('撤销'), header), 'P-WD', 'city', '2026-11-09', {
      withdrawals,
    });
    expect(repeat.counts).toMatchObject({ withdrawn: 1, unchanged: 1 });

    // A county sends an empty file, then the same empty file again (skipped).
    await deliver(csv('e1.csv', []), 'P-EMPTY', 'county', '2026-11-04');
    expect((await deliver(csv('e2.csv', []), 'P-EMPTY', 'county', '2026-11-06')).files[0]!.status).toBe(
      'skipped',
    );

    // Another city sends two of 青岛市's rows as they stand (unchanged: the same level had them), one of them twice
    // in its file: its first delivery of them, and a file's own duplicate, not re-deliveries.
    const shared = range(100, 2).map((n) => row(n));
    const other = await deliver(csv('o1.csv', [...shared, shared[1]!]), 'P-OTHER', 'city', '2026-11-10');
    expect(other.counts).toMatchObject({ read: 3, unchanged: 3 });

    bulletin = await qualityBulletin(fx.warehouse, PROVIDERS, {
      from: '2026-11-01',
      to: '2026-11-30',
      bottom: 1,
    });
  });
  afterAll(async () => fx?.close());

  it('counts rows re-delivered unchanged apart: no volume, no lateness (a record is late when its first delivery was)', () => {
    expect(of('P-PROV').current).toMatchObject({
      delivered: 10,
      accepted: 10,
      redelivered: 20,
      late: 0,
      lateRate: 0,
      rejectionRate: 0,
      coverage: 1,
      score: 100,
    });
  });

  it('counts no re-delivery of what another provider sent first, nor of a row repeated within one file', () => {
    // Formed 10-28, received 11-10: late, as first deliveries are judged.
    expect(of('P-OTHER').current).toMatchObject({ delivered: 3, accepted: 3, redelivered: 0, late: 3 });
  });

  it('counts a conflict sent again just so as a re-delivery; new rows, late or not, as before', () => {
    // New: 4 inserted, 1 updated (late: formed 10-28, received 11-20), the conflict once, the bad row.
    // Again: 3 unchanged rows and the same conflict.
    expect(of('P-CITY').current).toMatchObject({
      delivered: 7,
      accepted: 5,
      conflicts: 1,
      rejected: 1,
      redelivered: 4,
      late: 1,
      lateRate: 1 / 6,
    });
    expect(of('P-CITY').current.rejectionRate).toBeCloseTo(1 / 11);
  });

  it('counts a withdrawal request sent again as a re-delivery', () => {
    expect(of('P-WD').current).toMatchObject({ delivered: 1, accepted: 1, redelivered: 3, coverage: 1 });
  });

  it('covers an entry only with a row delivered: an empty file covers nothing, an all-unchanged dump does', () => {
    expect(of('P-CITY').current).toMatchObject({ deliveredEntries: ['xzcf'], coverage: 0.5 });
    expect(of('P-CITY').current.score).toBeCloseTo(40 * (1 - 1 / 11) + 30 * (1 - 1 / 6) + 15, 1);
    expect(of('P-EMPTY').current).toMatchObject({
      delivered: 0,
      redelivered: 0,
      deliveredEntries: [],
      score: 0,
    });
  });

  it('gives a file skipped as identical and one read all unchanged the same figures but the rows read', () => {
    const skipped = of('P-SKIP').current;
    const dumped = of('P-DUMP').current;
    expect(skipped).toMatchObject({ delivered: 0, redelivered: 0, deliveredEntries: ['xzcf'], score: 100 });
    expect(dumped).toMatchObject({ delivered: 0, redelivered: 3, deliveredEntries: ['xzcf'], score: 100 });
    const figures = [
      'delivered',
      'accepted',
      'conflicts',
      'late',
      'lateRate',
      'rejected',
      'coverage',
      'score',
    ] as const;
    for (const figure of figures) expect([figure, skipped[figure]]).toEqual([figure, dumped[figure]]);
    // Their October load is the previous period, counted as new then.
    expect(of('P-SKIP').previous).toMatchObject({ delivered: 3, redelivered: 0, score: 100 });
  });

  it('adds up: delivered = accepted + conflicts + rejected + held, and the rows read = delivered + redelivered', async () => {
    const { rows } = await fx.warehouse.raw<{ rows: { provider_code: string; read: number }[] }>(
      `SELECT provider_code, coalesce(sum((counts->>'read')::int), 0)::int AS read FROM source_files
       WHERE (received_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN '2026-11-01' AND '2026-11-30'
       GROUP BY 1`,
    );
    expect(rows).toHaveLength(PROVIDERS.length);
    for (const { provider_code, read } of rows) {
      const { current } = of(provider_code);
      expect([provider_code, current.delivered]).toEqual([
        provider_code,
        current.accepted + current.conflicts + current.rejected + current.held,
      ]);
      expect([provider_code, read]).toEqual([provider_code, current.delivered + current.redelivered]);
    }
    const counts = await providerPeriodCounts(fx.warehouse, '2026-11-01', '2026-11-30', undefined);
    for (const row of counts) expect(row.sources).toBe(row.accepted + row.conflicts);
  });

  it('shows 重复报送行数 in its own column and defines it in the workbook', async () => {
    const out = path.join(fx.scratch, 'quality.xlsx');
    await writeQualityXlsx(bulletin, out);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    let headers: string[] = [];
    const table: Record<string, unknown>[] = [];
    workbook.getWorksheet('质量通报')!.eachRow((sheetRow) => {
      const values = (sheetRow.values as unknown[]).slice(1);
      if (values[0] === '排名') headers = values.map(String);
      else if (typeof values[0] === 'number')
        table.push(Object.fromEntries(headers.map((header, index) => [header, values[index]])));
    });
    expect(table.find((r) => r.代码 === 'P-PROV')).toMatchObject({
      报送行数: 10,
      入库行数: 10,
      重复报送行数: 20,
      迟报率: 0,
      目录覆盖: '1/1（100.0%）',
      得分: 100,
    });
    expect(table.find((r) => r.代码 === 'P-CITY')).toMatchObject({ 目录覆盖: '1/2（50.0%）' });
    const terms: string[] = [];
    workbook.getWorksheet('指标说明')!.eachRow((sheetRow) => terms.push(String(sheetRow.getCell(1).value)));
    expect(terms).toContain('重复报送行数');
  });
});
