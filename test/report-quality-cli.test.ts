import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { loadProviders, type Provider } from '../src/report/providers.ts';
import { QUALITY_HEADERS, qualityCells } from '../src/report/quality-columns.ts';
import { type QualityBulletin, qualityBulletin } from '../src/report/quality-stats.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * `report quality` as an operator runs it: after the file, the ranking on the console (the bulletin's own labels
 * and cells), or with `--json` one document of the bulletin's figures. Both are checked against what
 * quality-stats computes for the same database and against the files the same command wrote.
 */
const SHANDONG = '11370000MB2852362M';
const JINAN = '11370100MB28174284';
const QINGDAO = '11370200MB2851941M';
/** Delivered with no registry entry (`--allow-unregistered-provider`). */
const UNREGISTERED = '113700000000000000';
const PERIOD = ['--from', '2026-11-01', '--to', '2026-11-30', '--bottom', '1'];

/** The console's columns: the bulletin's labels, then the 末位 flag. */
const COLUMNS = [
  '排名',
  '报送单位',
  '代码',
  '得分',
  '报送行数',
  '拒收率',
  '迟报率',
  '目录覆盖',
  '重复报送行数',
  '末位',
];

/** Penalty rows with decision numbers of their own; every `onTimeEvery`th row decided days before it is received. */
function penalties(prefix: string, count: number, badShare: number, onTimeEvery = 0): string[][] {
  const decided = PENALTY_HEADER.indexOf('处罚决定日期');
  return generatePenalties(count, { badShare, seed: prefix.length }).rows.map((row, i) => {
    const copy = [...row];
    copy[13] = copy[13]!.replace('济市监罚', prefix);
    if (onTimeEvery > 0 && i % onTimeEvery === 0) copy[decided] = '2026-11-05';
    return copy;
  });
}

/** The cells of a table's line, split on its column gaps (two spaces or more). */
const cellsOf = (line: string) => line.trim().split(/ {2,}/);

describe('credit-etl report quality: the ranking on the console and --json', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let providersFile: string;
  let providers: Provider[];
  let bulletin: QualityBulletin;

  beforeAll(async () => {
    fx = await openWarehouseFixture('report_quality_cli');
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
      CREDIT_ETL_PG_DIR: path.join(fx.scratch, 'pg'),
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
    };
    // The shipped providers, 青岛 expected to deliver 行政许可 too: its coverage is 1/2.
    providersFile = path.join(fx.scratch, 'providers.json');
    writeFileSync(
      providersFile,
      JSON.stringify({
        providers: [
          { code: SHANDONG, name: '山东省（省级统一推送）', level: 'province', expectedEntries: ['xzcf'] },
          { code: JINAN, name: '济南市', level: 'city', expectedEntries: ['xzcf'] },
          { code: QINGDAO, name: '青岛市', level: 'city', expectedEntries: ['xzcf', 'xzxk'] },
        ],
      }),
    );
    providers = await loadProviders(providersFile);
    const deliver = async (
      provider: string,
      level: 'province' | 'city',
      data: string[][],
      name: string,
      day: string,
    ) => {
      const file = path.join(fx.scratch, name);
      writeFileSync(file, toCsv(PENALTY_HEADER, data));
      await fx.ingest([file], { provider, level, receivedAt: new Date(`${day}T10:00:00+08:00`) });
    };
    // 济南: 20 rows in two overlapping files (10 re-delivered), every second one on time; it delivered in October too.
    const jinan = penalties('济南罚', 20, 0, 2);
    await deliver(JINAN, 'city', jinan.slice(0, 15), 'jinan-a.csv', '2026-11-10');
    await deliver(JINAN, 'city', jinan.slice(5), 'jinan-b.csv', '2026-11-12');
    await deliver(JINAN, 'city', penalties('济南前罚', 10, 0), 'jinan-before.csv', '2026-10-15');
    // 青岛: every third row bad; half its catalog. The unregistered province code: 5 clean rows. 山东省: nothing.
    await deliver(QINGDAO, 'city', penalties('青岛罚', 10, 1 / 3, 3), 'qingdao.csv', '2026-11-11');
    await deliver(UNREGISTERED, 'province', penalties('省级罚', 5, 0), 'unregistered.csv', '2026-11-13');
    bulletin = await qualityBulletin(fx.warehouse, providers, {
      from: '2026-11-01',
      to: '2026-11-30',
      bottom: 1,
    });
    // The fixture is what the assertions below are about: rates that are neither 0 nor 1, a re-delivery, a trend.
    const byCode = new Map(bulletin.providers.map((p) => [p.code, p]));
    expect(byCode.get(JINAN)!.current).toMatchObject({ delivered: 20, redelivered: 10 });
    expect(byCode.get(JINAN)!.current.lateRate).toBeGreaterThan(0);
    expect(byCode.get(JINAN)!.current.lateRate).toBeLessThan(1);
    expect(byCode.get(JINAN)!.trend).not.toBeNull();
    expect(byCode.get(QINGDAO)!.current).toMatchObject({ rejected: 3, coverage: 0.5 });
    expect(byCode.get(SHANDONG)).toMatchObject({ bottom: true, current: { delivered: 0, score: 0 } });
    expect(byCode.get(UNREGISTERED)!.registered).toBe(false);
  }, 300_000);
  afterAll(async () => fx?.close());

  it('prints one line per provider in rank order, the bulletin’s cells, and the file; the workbook holds the same', async () => {
    const out = path.join(fx.scratch, 'out', 'quality.xlsx');
    const result = await runCli(
      ['report', 'quality', ...PERIOD, '--providers', providersFile, '--out', out],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const { previousPeriod } = bulletin;
    expect(lines[0]).toBe(
      `quality bulletin 2026-11-01 to 2026-11-30 (previous period ${previousPeriod.from} to ${previousPeriod.to}), level all: 4 provider(s), the last 1 place(s) flagged 末位 (ties at the cut-off whole)`,
    );
    expect(cellsOf(lines[1]!)).toEqual(COLUMNS);
    const table = lines.slice(2, 2 + bulletin.providers.length).map(cellsOf);
    // What quality-stats computed, cell by cell as the bulletin writes it (qualityCells), in rank order.
    expect(table).toEqual(bulletin.providers.map(expectedConsoleRow));
    expect(table.map((row) => row[2])).toEqual(bulletin.providers.map((p) => p.code));
    expect(table.find((row) => row[2] === SHANDONG)![9]).toBe('末位');
    expect(table.find((row) => row[2] === UNREGISTERED)![1]).toBe(`${UNREGISTERED}（未登记）`);
    expect(lines.slice(2 + bulletin.providers.length)).toEqual([`written: ${out} (xlsx)`]);

    // The workbook the command wrote: the same providers, ranks, names, counts and flags, rates as fractions.
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const sheet = workbookTable(workbook);
    expect(sheet.map((row) => row.代码)).toEqual(table.map((row) => row[2]));
    for (const [i, row] of table.entries()) {
      const cells = sheet[i]!;
      expect([
        cells.排名,
        cells.报送单位,
        cells.得分,
        cells.报送行数,
        cells.重复报送行数,
        cells.目录覆盖,
      ]).toEqual([Number(row[0]), row[1], Number(row[3]), Number(row[4]), Number(row[8]), row[7]]);
      expect(percentOf(cells.拒收率)).toBe(row[5]);
      expect(percentOf(cells.迟报率)).toBe(row[6]);
      expect(cells.red).toBe(row[9] === '末位');
    }
  });

  it('--json: one document on stdout, the bulletin’s figures (rates as numbers, codes whole) and the file; the HTML says the same', async () => {
    const out = path.join(fx.scratch, 'out', 'quality.html');
    const result = await runCli(
      ['report', 'quality', ...PERIOD, '--providers', providersFile, '--out', out, '--json'],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split('\n')).toHaveLength(1);
    const document = JSON.parse(result.stdout) as QualityJson;
    expect(document.period).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(document.previousPeriod).toEqual(bulletin.previousPeriod);
    expect([document.level, document.bottom]).toEqual([null, 1]);
    expect(document.files).toEqual([{ format: 'html', path: out }]);
    // The same numbers as quality-stats (its figures without the channel level it read them at).
    const figures = ({ level: _level, ...rest }: object & { level?: unknown }) => rest;
    expect(document.providers).toEqual(
      bulletin.providers.map((p) => ({
        rank: p.rank,
        code: p.code,
        name: p.name,
        level: p.level,
        registered: p.registered,
        bottom: p.bottom,
        expectedEntries: p.expectedEntries,
        current: figures(p.current),
        previous: p.previous === null ? null : figures(p.previous),
        trend: p.trend,
      })),
    );
    const qingdao = document.providers.find((p) => p.code === QINGDAO)!;
    expect(qingdao.current.rejectionRate).toBe(0.3);
    expect(qingdao.current.coverage).toBe(0.5);
    expect(typeof document.providers.find((p) => p.code === JINAN)!.current.lateRate).toBe('number');
    expect(result.stdout).toContain(`"code":"${UNREGISTERED}"`);

    // The HTML the command wrote: each provider's row as the JSON gives it.
    const html = htmlTable(readFileSync(out, 'utf8'));
    expect(html.map((row) => row.代码)).toEqual(document.providers.map((p) => p.code));
    for (const [i, provider] of document.providers.entries()) {
      const row = html[i]!;
      expect([row.排名, row.得分, row.报送行数, row.重复报送行数, row.拒收行数]).toEqual(
        [
          provider.rank,
          provider.current.score,
          provider.current.delivered,
          provider.current.redelivered,
          provider.current.rejected,
        ].map(String),
      );
      expect([row.拒收率, row.迟报率]).toEqual(
        [provider.current.rejectionRate, provider.current.lateRate].map(percentOf),
      );
      expect(row.bottom).toBe(provider.bottom);
      expect(row.变化).toBe(
        provider.trend === null ? '—' : provider.trend > 0 ? `+${provider.trend}` : String(provider.trend),
      );
    }
  });

  it('refuses a period longer than 100 years: exit 2 naming it, no SQL on stderr, no file written', async () => {
    const out = path.join(fx.scratch, 'out', 'too-long.xlsx');
    const result = await runCli(
      ['report', 'quality', '--from', '2026-01-01', '--to', '9999-12-31', '--out', out],
      env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--from 2026-01-01 to --to 9999-12-31 is longer than 100 years: choose a shorter period',
    );
    expect(result.stderr).not.toMatch(/SELECT|WITH|time zone displacement/);
    expect(existsSync(out)).toBe(false);
  });

  it('--json with a usage error: exit 2 and the failure object, no file written', async () => {
    const out = path.join(fx.scratch, 'out', 'never.html');
    const result = await runCli(
      ['report', 'quality', ...PERIOD, '--bottom', 'x', '--out', out, '--json'],
      env,
    );
    expect(result.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'usage-error',
      exitCode: 2,
      error: '--bottom x: use a whole number ≥ 0',
    });
  });
});

interface QualityJson {
  period: { from: string; to: string };
  previousPeriod: { from: string; to: string };
  level: string | null;
  bottom: number;
  providers: {
    rank: number;
    code: string;
    bottom: boolean;
    trend: number | null;
    current: {
      score: number;
      delivered: number;
      redelivered: number;
      rejected: number;
      rejectionRate: number | null;
      lateRate: number | null;
      coverage: number | null;
    };
  }[];
  files: { format: string; path: string }[];
}

/** The console row of a provider: the bulletin's own cells under the console's labels, then 末位. */
function expectedConsoleRow(provider: QualityBulletin['providers'][number]): string[] {
  const headers: readonly string[] = QUALITY_HEADERS;
  const cells = qualityCells(provider).map(String);
  const row = COLUMNS.slice(0, -1).map((column) => cells[headers.indexOf(column)]!);
  return provider.bottom ? [...row, '末位'] : row;
}

/** A rate as the bulletin shows it: `—` for none (null in JSON, `—` in the workbook). */
function percentOf(rate: unknown): string {
  if (typeof rate === 'number') return `${(rate * 100).toFixed(1)}%`;
  expect([null, '—']).toContain(rate);
  return '—';
}

/** The ranking table of a bulletin workbook, by header, with whether each row is red (末位). */
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
        red: fill?.fgColor?.argb === 'FFFFC7CE',
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
