import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ExcelJS from 'exceljs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import type { Provider } from '../src/report/providers.ts';
import { writeQualityHtml } from '../src/report/quality-html.ts';
import { type QualityBulletin, qualityBulletin } from '../src/report/quality-stats.ts';
import { writeQualityXlsx } from '../src/report/quality-xlsx.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(PROJECT_ROOT, 'reports', 'artifacts');

const PROVIDERS: Provider[] = [
  { code: 'P-JINAN', name: '济南市', level: 'city', expectedEntries: ['xzcf'] },
  { code: 'P-QINGDAO', name: '青岛市', level: 'city', expectedEntries: ['xzcf'] },
  { code: 'P-YANTAI', name: '烟台市', level: 'city', expectedEntries: ['xzcf'] },
  { code: 'P-WEIFANG', name: '潍坊市', level: 'city', expectedEntries: ['xzcf', 'xzxk'] },
];

/** Penalty rows with decision numbers of their own (`prefix`), so providers do not deliver each other's keys. */
function rows(prefix: string, count: number, badShare: number): string[][] {
  return generatePenalties(count, { badShare, seed: prefix.length }).rows.map((row) => {
    const copy = [...row];
    copy[13] = copy[13]!.replace('济市监罚', prefix);
    return copy;
  });
}

describe('the quality bulletin (Art. 15)', () => {
  let fx: WarehouseFixture;
  let bulletin: QualityBulletin;

  beforeAll(async () => {
    fx = await openWarehouseFixture('report_quality');
    const deliver = async (provider: string, name: string, data: string[][], day: string) => {
      const file = path.join(fx.scratch, name);
      writeFileSync(file, toCsv(PENALTY_HEADER, data));
      await fx.ingest([file], { provider, level: 'city', receivedAt: new Date(`${day}T10:00:00+08:00`) });
    };
    // This period: 济南 clean, 潍坊 clean but half its catalog, 青岛 every second row bad, 烟台 nothing.
    await deliver('P-JINAN', 'jinan.csv', rows('济南罚', 20, 0), '2026-11-10');
    await deliver('P-WEIFANG', 'weifang.csv', rows('潍坊罚', 20, 0), '2026-11-11');
    await deliver('P-QINGDAO', 'qingdao.csv', rows('青岛罚', 20, 0.5), '2026-11-12');
    // The previous period: 青岛 was clean.
    await deliver('P-QINGDAO', 'qingdao-before.csv', rows('青岛前罚', 20, 0), '2026-10-15');
    bulletin = await qualityBulletin(fx.warehouse, PROVIDERS, {
      from: '2026-11-01',
      to: '2026-11-30',
      bottom: 1,
    });
  });
  afterAll(async () => fx?.close());

  it('ranks providers on rejection rate, timeliness and coverage, with the trend against the previous period', () => {
    expect(bulletin.previousPeriod).toEqual({ from: '2026-10-01', to: '2026-10-31' });
    expect(bulletin.providers.map((p) => [p.rank, p.code, p.bottom])).toEqual([
      [1, 'P-JINAN', false],
      [2, 'P-WEIFANG', false],
      [3, 'P-QINGDAO', false],
      [4, 'P-YANTAI', true],
    ]);
    const qingdao = bulletin.providers.find((p) => p.code === 'P-QINGDAO')!;
    expect(qingdao.current).toMatchObject({ delivered: 20, rejected: 10, rejectionRate: 0.5, coverage: 1 });
    expect(qingdao.trend).toBeLessThan(0);
    expect(bulletin.providers.find((p) => p.code === 'P-WEIFANG')!.current.coverage).toBe(0.5);
    expect(bulletin.providers.find((p) => p.code === 'P-YANTAI')!.current).toMatchObject({
      delivered: 0,
      score: 0,
    });
  });

  it('writes the ranking to XLSX with the bottom provider highlighted', async () => {
    const out = path.join(fx.scratch, 'quality.xlsx');
    await writeQualityXlsx(bulletin, out);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['质量通报', '指标说明']);
    const sheet = workbook.worksheets[0]!;
    const table: ExcelJS.Row[] = [];
    sheet.eachRow((row) => {
      if (typeof row.getCell(1).value === 'number') table.push(row);
    });
    expect(table.map((row) => row.getCell(3).value)).toEqual([
      'P-JINAN',
      'P-WEIFANG',
      'P-QINGDAO',
      'P-YANTAI',
    ]);
    expect(table[3]!.getCell(2).fill).toMatchObject({ fgColor: { argb: 'FFFFC7CE' } });
    expect(table[0]!.getCell(2).fill).toBeUndefined();
    expect(table[1]!.getCell(12).value).toBe('1/2（50.0%）');
  });

  it('writes one self-contained HTML file: inline style and SVG, no script, no external reference', async () => {
    const out = path.join(fx.scratch, 'quality.html');
    await writeQualityHtml(bulletin, out);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<svg id="ranking-chart"');
    expect(html).toContain('<svg id="trend-chart"');
    expect(html).not.toMatch(/<script|<link|src=|url\(|@import/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  const browserTest = existsSync(CHROMIUM)
    ? 'renders in headless Chromium with the providers in rank order, and saves a screenshot'
    : `SKIPPED: ${CHROMIUM} is not installed (run .ci/run, or apt-get install chromium) — headless render check`;
  it.skipIf(!existsSync(CHROMIUM))(browserTest, async () => {
    const out = path.join(fx.scratch, 'quality.html');
    await writeQualityHtml(bulletin, out);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(out).href);
      expect(requests).toEqual([pathToFileURL(out).href]);
      const tableOrder = await page.$$eval('#ranking tbody tr', (trs) =>
        trs.map((tr) => tr.getAttribute('data-provider')),
      );
      expect(tableOrder).toEqual(['P-JINAN', 'P-WEIFANG', 'P-QINGDAO', 'P-YANTAI']);
      // The chart as drawn: bars sorted top to bottom by their rendered position.
      const bars = await page.$$eval('#ranking-chart g.bar', (groups) =>
        groups.map((g) => ({
          provider: g.getAttribute('data-provider'),
          top: g.getBoundingClientRect().top,
          width: g.querySelector('rect')?.getBoundingClientRect().width ?? 0,
        })),
      );
      const drawn = [...bars].sort((a, b) => a.top - b.top);
      expect(drawn.map((bar) => bar.provider)).toEqual(tableOrder);
      expect(drawn[0]!.width).toBeGreaterThan(drawn[2]!.width);
      const bottomColour = await page.$eval(
        '#ranking tbody tr.bottom td',
        (td) => getComputedStyle(td).backgroundColor,
      );
      expect(bottomColour).toBe('rgb(255, 199, 206)');
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, 'quality-bulletin.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await browser.close();
    }
  });
});
