import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import type { Provider } from '../src/report/providers.ts';
import { type QualityBulletin, qualityBulletin } from '../src/report/quality-stats.ts';
import { DEFAULT_THRESHOLDS } from '../src/run/reject-threshold.ts';
import { providerPeriodCounts } from '../src/warehouse/quality-repository.ts';
import type { Thresholds } from '../src/warehouse/threshold-decision.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVIDERS: Provider[] = [
  { code: 'P-JINAN', name: '济南市', level: 'city', expectedEntries: ['xzcf'] },
  { code: 'P-QINGDAO', name: '青岛市', level: 'city', expectedEntries: ['xzcf'] },
  { code: 'P-YANTAI', name: '烟台市', level: 'city', expectedEntries: ['xzcf'] },
  { code: 'P-WEIFANG', name: '潍坊市', level: 'city', expectedEntries: ['xzcf'] },
];

function rows(prefix: string, count: number, badShare: number): string[][] {
  return generatePenalties(count, { badShare, seed: prefix.length }).rows.map((row) => {
    const copy = [...row];
    copy[13] = copy[13]!.replace('济市监罚', prefix);
    return copy;
  });
}

/** Files held back over their reject threshold weigh in the bulletin as the run summary counts them. */
describe('the quality bulletin with held-back files', () => {
  let fx: WarehouseFixture;
  let bulletin: QualityBulletin;

  beforeAll(async () => {
    fx = await openWarehouseFixture('report_quality_held');
    const deliver = async (provider: string, name: string, data: string[][], thresholds: Thresholds) => {
      const file = path.join(fx.scratch, name);
      writeFileSync(file, toCsv(PENALTY_HEADER, data));
      return fx.ingest([file], {
        provider,
        level: 'city',
        receivedAt: new Date('2026-11-10T10:00:00+08:00'),
        thresholds,
      });
    };
    // 济南 clean; 青岛 every row broken (held back); 潍坊 half broken over a 40% threshold (held back);
    // 烟台 nothing.
    await deliver('P-JINAN', 'jinan.csv', rows('济南罚', 20, 0), DEFAULT_THRESHOLDS);
    const qingdao = await deliver('P-QINGDAO', 'qingdao.csv', rows('青岛罚', 20, 1), DEFAULT_THRESHOLDS);
    const weifang = await deliver('P-WEIFANG', 'weifang.csv', rows('潍坊罚', 20, 0.5), {
      maxRejectRate: 0.4,
      maxRejected: null,
    });
    expect([qingdao.status, weifang.status]).toEqual(['failed-threshold', 'failed-threshold']);
    expect([qingdao.counts.read, qingdao.counts.rejected]).toEqual([20, 20]);
    expect([weifang.counts.read, weifang.counts.rejected]).toEqual([20, 10]);
    bulletin = await qualityBulletin(fx.warehouse, PROVIDERS, {
      from: '2026-11-01',
      to: '2026-11-30',
      bottom: 1,
    });
  });
  afterAll(async () => fx?.close());

  it('counts a held-back file’s rejected rows in 报送行数 and 拒收行数, not as a provider that sent nothing', () => {
    const qingdao = bulletin.providers.find((p) => p.code === 'P-QINGDAO')!;
    expect(qingdao.current).toMatchObject({ delivered: 20, rejected: 20, rejectionRate: 1, accepted: 0 });
    expect(qingdao.current.score).toBeGreaterThan(0);
    // Nothing of it was collected: coverage and lineage stay on loaded files.
    expect(qingdao.current.coverage).toBe(0);
    expect(qingdao.current.lateRate).toBeNull();
    const yantai = bulletin.providers.find((p) => p.code === 'P-YANTAI')!;
    expect(yantai.current).toMatchObject({ delivered: 0, score: 0 });
    // Ranked, and above the provider that sent nothing (before: both 0 rows, score 0, ranked on the code alone).
    const ranked = bulletin.providers.map((p) => p.code);
    expect(ranked.at(-1)).toBe('P-YANTAI');
    expect(ranked.indexOf('P-QINGDAO')).toBeLessThan(ranked.indexOf('P-YANTAI'));
    // A half-broken held-back file: 20 rows read as its run says, 10 rejected (not 10 rows, all rejected).
    const weifang = bulletin.providers.find((p) => p.code === 'P-WEIFANG')!;
    expect(weifang.current).toMatchObject({ delivered: 20, rejected: 10, rejectionRate: 0.5 });
  });

  it('gives a held-back file’s rejections and its valid rows held back, apart from lineage', async () => {
    const counts = await providerPeriodCounts(fx.warehouse, '2026-11-01', '2026-11-30', undefined);
    const byCode = Object.fromEntries(counts.map((row) => [row.provider_code, row]));
    expect(byCode['P-WEIFANG']).toMatchObject({
      sources: 0,
      accepted: 0,
      late: 0,
      rejected: 10,
      held: 10,
      entries: [],
    });
    expect(byCode['P-QINGDAO']).toMatchObject({ sources: 0, rejected: 20, held: 0, entries: [] });
    expect(byCode['P-JINAN']).toMatchObject({ sources: 20, rejected: 0, held: 0, entries: ['xzcf'] });
  });
});
