import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { loadProviders, providersFile } from '../src/report/providers.ts';
import { writeQualityHtml } from '../src/report/quality-html.ts';
import {
  type QualityBulletin,
  qualityBulletin,
  type Rankable,
  rankProviders,
} from '../src/report/quality-stats.ts';
import { writeQualityXlsx } from '../src/report/quality-xlsx.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';

/** Rankable rows from [code, score, rows delivered], in the order given. */
const rows = (...specs: [string, number, number][]): Rankable[] =>
  specs.map(([code, score, delivered]) => ({ code, rank: 0, bottom: false, current: { score, delivered } }));
const ranking = (ranked: Rankable[]) => ranked.map((row) => [row.code, row.rank, row.bottom]);

describe('ranking the bulletin (rankProviders)', () => {
  it('ranks equal score and volume as a tie (1, 1, 3…), listed by code within it', () => {
    const ranked = rankProviders(
      rows(['E', 0, 0], ['B', 100, 20], ['D', 0, 0], ['A', 100, 20], ['C', 0, 0]),
      1,
    );
    expect(ranking(ranked)).toEqual([
      ['A', 1, false],
      ['B', 1, false],
      ['C', 3, true],
      ['D', 3, true],
      ['E', 3, true],
    ]);
  });

  it('still breaks an equal score on volume (the larger first), as the bulletin documents', () => {
    const ranked = rankProviders(rows(['A', 80, 10], ['B', 80, 30], ['C', 50, 5]), 1);
    expect(ranking(ranked)).toEqual([
      ['B', 1, false],
      ['A', 2, false],
      ['C', 3, true],
    ]);
  });

  it('flags a tie across the --bottom cut-off whole, and only the places asked for otherwise', () => {
    const sample = () => rows(['A', 90, 9], ['B', 60, 6], ['C', 60, 6], ['D', 10, 1]);
    // Bottom 2: D and one of the tied B, C are the last two places: both B and C are flagged.
    expect(ranking(rankProviders(sample(), 2))).toEqual([
      ['A', 1, false],
      ['B', 2, true],
      ['C', 2, true],
      ['D', 4, true],
    ]);
    expect(ranking(rankProviders(sample(), 1)).map(([, , bottom]) => bottom)).toEqual([
      false,
      false,
      false,
      true,
    ]);
    expect(ranking(rankProviders(sample(), 3)).map(([, , bottom]) => bottom)).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect(rankProviders(sample(), 0).some((row) => row.bottom)).toBe(false);
    expect(rankProviders(sample(), 9).every((row) => row.bottom)).toBe(true);
    expect(rankProviders([], 3)).toEqual([]);
  });
});

/** Penalty rows with decision numbers of their own; prefixes of one length give the same rows otherwise. */
function penalties(prefix: string, count: number, badShare: number): string[][] {
  return generatePenalties(count, { badShare, seed: prefix.length }).rows.map((row) => {
    const copy = [...row];
    copy[13] = copy[13]!.replace('济市监罚', prefix);
    return copy;
  });
}

/** The shipped registry: 山东省 (province), 济南市 and 青岛市 (city). The fixture's province code is not in it. */
const SHANDONG = '11370000MB2852362M';
const JINAN = '11370100MB28174284';
const QINGDAO = '11370200MB2851941M';
const UNREGISTERED = '113700000000000000';
const PERIOD = 'from=2026-12-01&to=2026-12-06&bottom=1';

/** Dec 1–6 (the previous period Nov 25–30), with --bottom 1, as the console and `report quality` ask. */
describe('the bulletin with ties, a provider new this period and an unregistered one', () => {
  let cx: ConsoleFixture;
  let bulletin: QualityBulletin;

  beforeAll(async () => {
    cx = await openConsoleFixture('report_quality_ties', { browser: false });
    const deliver = async (provider: string, level: 'province' | 'city', data: string[][], day: string) => {
      const file = path.join(cx.fx.scratch, `${provider}-${day}.csv`);
      writeFileSync(file, toCsv(PENALTY_HEADER, data));
      await cx.fx.ingest([file], { provider, level, receivedAt: new Date(`${day}T10:00:00+08:00`) });
    };
    // 济南 and the unregistered provider: the same 20 clean rows this period (equal score and volume); nobody
    // delivered in the period before (the platform was not collecting yet); 山东省 and 青岛 sent nothing at all.
    await deliver(JINAN, 'city', penalties('济南罚', 20, 0), '2026-12-02');
    await deliver(UNREGISTERED, 'province', penalties('省级罚', 20, 0), '2026-12-02');
    bulletin = await qualityBulletin(cx.fx.warehouse, await loadProviders(providersFile()), {
      from: '2026-12-01',
      to: '2026-12-06',
      bottom: 1,
    });
  }, 120_000);
  afterAll(async () => cx?.close());

  it('shares ranks between tied providers and flags every provider of the bottom tie', () => {
    expect(bulletin.providers.map((p) => [p.code, p.rank, p.bottom, p.current.delivered])).toEqual([
      [UNREGISTERED, 1, false, 20],
      [JINAN, 1, false, 20],
      [SHANDONG, 3, true, 0],
      [QINGDAO, 3, true, 0],
    ]);
    const [unregistered, jinan] = bulletin.providers;
    expect(jinan!.current.score).toBe(unregistered!.current.score);
  });

  it('has no previous score (null) when nobody delivered in the previous period', () => {
    const byCode = new Map(bulletin.providers.map((p) => [p.code, p]));
    expect(byCode.get(JINAN)).toMatchObject({ previous: null, trend: null, registered: true });
    expect(byCode.get(UNREGISTERED)).toMatchObject({ previous: null, trend: null, registered: false });
    expect(byCode.get(QINGDAO)).toMatchObject({ previous: null, trend: null });
  });

  it('scores 0 then a registered provider that sent nothing while others delivered (应归尽归)', async () => {
    // Dec 7–12: the period before is Dec 1–6, when 济南 and the unregistered provider delivered.
    const next = await qualityBulletin(cx.fx.warehouse, await loadProviders(providersFile()), {
      from: '2026-12-07',
      to: '2026-12-12',
      bottom: 1,
    });
    const byCode = new Map(next.providers.map((p) => [p.code, p]));
    expect(byCode.get(QINGDAO)?.previous).toMatchObject({ delivered: 0, score: 0 });
    expect(byCode.get(QINGDAO)?.trend).toBe(0);
    expect(byCode.get(JINAN)?.previous).toMatchObject({ delivered: 20 });
    // An unregistered provider is listed only in a period it delivered in.
    expect(byCode.has(UNREGISTERED)).toBe(false);
  });

  it('writes 上期得分 and 变化 as — and marks the unregistered provider 未登记 in the workbook', async () => {
    const out = path.join(cx.fx.scratch, 'quality.xlsx');
    await writeQualityXlsx(bulletin, out);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const table = workbookTable(workbook);
    expect(table.map((row) => [row.排名, row.代码])).toEqual([
      [1, UNREGISTERED],
      [1, JINAN],
      [3, SHANDONG],
      [3, QINGDAO],
    ]);
    const jinan = table.find((row) => row.代码 === JINAN)!;
    expect([jinan.上期得分, jinan.变化]).toEqual(['—', '—']);
    expect(table.find((row) => row.代码 === UNREGISTERED)!.报送单位).toBe(`${UNREGISTERED}（未登记）`);
    expect(table.find((row) => row.代码 === JINAN)!.报送单位).toBe('济南市');
    const red = (code: string) =>
      table.find((row) => row.代码 === code)!.fill === 'FFFFC7CE' ? 'red' : 'plain';
    expect([JINAN, UNREGISTERED, SHANDONG, QINGDAO].map(red)).toEqual(['plain', 'plain', 'red', 'red']);
  });

  it('says the same in the HTML file and on the console page', async () => {
    const out = path.join(cx.fx.scratch, 'quality.html');
    await writeQualityHtml(bulletin, out);
    const viewer = await cx.http('viewer');
    const page = await viewer.get(`/quality?${PERIOD}`);
    expect(page.status).toBe(200);
    for (const html of [readFileSync(out, 'utf8'), await page.text()]) {
      const table = htmlTable(html);
      expect(table.map((row) => [row.排名, row.代码, row.bottom])).toEqual([
        ['1', UNREGISTERED, false],
        ['1', JINAN, false],
        ['3', SHANDONG, true],
        ['3', QINGDAO, true],
      ]);
      const jinan = table.find((row) => row.代码 === JINAN)!;
      expect([jinan.上期得分, jinan.变化]).toEqual(['—', '—']);
      expect(table.find((row) => row.代码 === UNREGISTERED)!.报送单位).toBe(`${UNREGISTERED}（未登记）`);
      // The charts: no 0 drawn as the previous score, and the ranking chart names the unregistered provider so.
      const trend = new RegExp(`<g class="trend" data-provider="${JINAN}">([\\s\\S]*?)</g>`).exec(html)?.[1];
      expect(trend).toMatch(/>济南市 —<\/text>/);
      expect(trend).toContain('上期 —');
      expect(trend).not.toContain('class="previous"');
      expect(html).toContain(`1. ${UNREGISTERED}（未登记）`);
      expect(html).toContain('与其并列者一并标出');
    }
    const download = await viewer.get(`/quality/download?${PERIOD}`);
    expect(download.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await download.arrayBuffer()) as unknown as ExcelJS.Buffer);
    const jinan = workbookTable(workbook).find((row) => row.代码 === JINAN)!;
    expect([jinan.排名, jinan.上期得分, jinan.变化]).toEqual([1, '—', '—']);
  });
});

/** The ranking table of a bulletin workbook, by header, with each row's fill colour. */
function workbookTable(workbook: ExcelJS.Workbook): Record<string, unknown>[] {
  const sheet = workbook.getWorksheet('质量通报')!;
  let headers: string[] = [];
  const table: Record<string, unknown>[] = [];
  sheet.eachRow((row) => {
    const values = (row.values as unknown[]).slice(1);
    if (values[0] === '排名') headers = values.map(String);
    else if (typeof values[0] === 'number') {
      const fill = row.getCell(2).fill as { fgColor?: { argb?: string } } | undefined;
      table.push({
        ...Object.fromEntries(headers.map((header, index) => [header, values[index]])),
        fill: fill?.fgColor?.argb,
      });
    }
  });
  return table;
}

/** The #ranking table's rows, by header, with whether each is flagged 末位 (`class="bottom"`). */
function htmlTable(html: string): Record<string, string | boolean>[] {
  const table = /<table id="ranking">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  const headers = [...table.matchAll(/<th>([\s\S]*?)<\/th>/g)].map((match) => match[1]!);
  return [...table.matchAll(/<tr data-provider[^>]*?( class="bottom")?>([\s\S]*?)<\/tr>/g)].map((row) => {
    const cells = [...row[2]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((match) => match[1]!);
    return {
      ...Object.fromEntries(headers.map((header, index) => [header, cells[index] ?? ''])),
      bottom: row[1] !== undefined,
    };
  });
}
