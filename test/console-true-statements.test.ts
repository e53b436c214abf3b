import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { hashPassword } from '../src/console/password-hash.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { addConsoleUser } from '../src/warehouse/console-users-repository.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { PAGE_DATA, seedConsolePages } from './support/console-pages-data.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';
import { until } from './support/until.ts';
import { fixturePath } from './support/warehouse-fixture.ts';

/**
 * What the console's pages state must be true (a hostile review's findings): a retry that read no file does not
 * turn a failed day green, the quality bulletin's 报送行数 is the sum its legend names, a run's row adds up to
 * the rows it read and names its kind in Chinese, the pipelines page names its transports and providers, a
 * download for a request that is wrong is refused, a date before 1900 is called that, and /account lists what a
 * role may open.
 */
const PIPELINE = 'p1';
const JINAN = { code: '11370100MB28174284', name: '济南市' };
const UPLOADER = { name: 'jinan', password: 'jinan-password-1' };
const BAD_ID = '11010519491231002X';

let cx: ConsoleFixture;
let goodRun: number;
let failedRun: number;
let retryRun: number;
let directRun: number;
let seededRun: number;
let drop: string;

function penaltyCsv(rows: number, bad: boolean): string {
  const lines = readFileSync(fixturePath('xzcf', 'utf8-bom', 'input.csv'), 'utf8').split(/\r?\n/);
  const body = lines.slice(1, 1 + rows);
  if (bad) body[0] = body[0]!.replace('913701020000050122', BAD_ID);
  return [lines[0], ...body].join('\n');
}

/** Logs `jinan` (a provider user) in and uploads `content` on the 数据直报 page. */
async function directReport(name: string, content: string): Promise<Response> {
  const login = await fetch(`${cx.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(UPLOADER),
  });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const form = await (await fetch(`${cx.baseUrl}/direct-report`, { headers: { cookie } })).text();
  const csrf = /action="\/direct-report\?_csrf=([^"]+)"/.exec(form)?.[1];
  const body = new FormData();
  body.set('catalog', 'xzcf');
  body.set('file', new Blob([content], { type: 'text/csv' }), name);
  return fetch(`${cx.baseUrl}/direct-report?_csrf=${csrf}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie },
    body,
  });
}

/** The cells of an HTML table's body rows, by its header titles. */
function tableRows(page: string, id: string): Record<string, string>[] {
  const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(page)?.[1] ?? '';
  const text = (cell: string) => cell.replace(/<[^>]*>/g, '').trim();
  const headers = [
    ...(/<thead>([\s\S]*?)<\/thead>/.exec(table)?.[1] ?? '').matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g),
  ].map((match) => text(match[1]!));
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) => {
    const cells = [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((match) => text(match[1]!));
    return Object.fromEntries(headers.map((header, index) => [header, cells[index] ?? '']));
  });
}

beforeAll(async () => {
  const pipelinesDir = path.join(process.env.TMPDIR ?? '/tmp', `credit-etl-console-true-${process.pid}`);
  mkdirSync(pipelinesDir, { recursive: true });
  cx = await openConsoleFixture('console_true', { pipelinesDir, browser: false });
  drop = path.join(cx.fx.scratch, 'drop');
  writeFileSync(
    path.join(pipelinesDir, `${PIPELINE}.json`),
    JSON.stringify({
      catalog: 'xzcf',
      provider: JINAN.code,
      level: 'city',
      transport: { type: 'drop-folder', directory: path.join(drop, '{date}') },
      schedule: { cron: '0 30 2 * * *' },
      thresholds: { maxRejectRate: 0.2 },
    }),
  );
  const { pipelines, problems } = await loadPipelines(pipelinesDir, cx.deps.transports);
  expect(problems).toEqual([]);
  const run = async (partition: string, file: string, csv: string) => {
    mkdirSync(path.join(drop, partition), { recursive: true });
    writeFileSync(path.join(drop, partition, file), csv);
    writeFileSync(path.join(drop, partition, `${file}.ok`), '');
    const result = await runPipeline(
      cx.fx.warehouse,
      cx.fx.catalog,
      pipelines[0]!,
      { partition, kind: 'backfill', stagingDir: cx.deps.stagingDir },
      createLogger({ console: false }),
    );
    if (result.status !== 'ran') throw new Error('pipeline locked');
    return result.summary;
  };
  goodRun = (await run('2026-11-20', 'day1.csv', penaltyCsv(3, false))).runId;
  // One bad row of two is over the pipeline's 20 %: the file goes back whole, to failed/.
  const bad = await run('2026-11-21', 'day2.csv', penaltyCsv(2, true));
  expect([bad.status, bad.counts.read, bad.counts.rejected, bad.counts.held]).toEqual([
    'failed-threshold',
    2,
    1,
    1,
  ]);
  failedRun = bad.runId;
  expect(existsSync(path.join(drop, '2026-11-21', 'failed', 'day2.csv'))).toBe(true);
  // The data pages' deliveries (a CLI ingest with rejected rows, the city's conflicting copy), received in
  // November, and a province file held back whole: 4 rows, 3 rejected (over 20 %), 1 valid row not applied.
  seededRun = (await seedConsolePages(cx.fx)).runId;
  const heldFile = path.join(cx.fx.scratch, 'held.csv');
  const rows = penaltyRows(4, 'HELD');
  const date = PENALTY_HEADER.indexOf('处罚决定日期');
  for (const row of rows.slice(0, 3)) row[date] = '2026-02-30';
  writeFileSync(heldFile, toCsv(PENALTY_HEADER, rows));
  const held = await cx.fx.ingest([heldFile], {
    provider: PAGE_DATA.province,
    receivedAt: new Date('2026-11-22T10:00:00+08:00'),
    thresholds: { maxRejectRate: 0.2, maxRejected: null },
  });
  expect([held.status, held.counts.read, held.counts.rejected, held.counts.held]).toEqual([
    'failed-threshold',
    4,
    3,
    1,
  ]);
  // A provider's own upload on the 数据直报 page.
  await addConsoleUser(cx.fx.warehouse, {
    name: UPLOADER.name,
    role: 'provider',
    providerCode: JINAN.code,
    passwordHash: await hashPassword(UPLOADER.password),
  });
  const uploaded = await directReport('济南-直报.csv', toCsv(PENALTY_HEADER, penaltyRows(2, 'DR')));
  expect(uploaded.status).toBe(200);
  directRun = (await cx.fx.warehouse('runs').max<{ id: number }[]>({ id: 'id' }))[0]!.id;

  // The admin retries the failed day: its file is in failed/, so the retry reads nothing and completes.
  const admin = await cx.http('admin');
  expect((await admin.post(`/runs/${failedRun}/retry`)).status).toBe(303);
  let page = '';
  await until('the retry to end', async () => {
    page = await (await admin.get(`/runs/${failedRun}`)).text();
    return page.includes('正在进行') ? undefined : true;
  });
  retryRun = (await cx.fx.warehouse('runs').max<{ id: number }[]>({ id: 'id' }))[0]!.id;
  const retried = await cx.fx.warehouse('runs').where({ id: retryRun }).first();
  expect([retried.pipeline, retried.partition_date, retried.status, retried.counts.read]).toEqual([
    PIPELINE,
    '2026-11-21',
    'completed',
    0,
  ]);
}, 180_000);

afterAll(async () => cx?.close());

describe('a retry that read no file', () => {
  it('leaves the failed day showing its failure in the grid, the empty retry noted', async () => {
    const viewer = await cx.http('viewer');
    const page = await (await viewer.get('/runs?from=2026-11-15&to=2026-11-25')).text();
    const cell = /<td class="day[^"]*" data-day="2026-11-21"[^>]*>/.exec(page)?.[0] ?? '';
    expect(cell).toContain('data-status="failed-threshold"');
    expect(cell).toContain(`data-retried-empty="${retryRun}"`);
    expect(cell).toContain(`重试未读取任何文件（运行 #${retryRun}）`);
    expect(cell).not.toContain('成功');
    expect(page).toContain(`<a href="/runs/${failedRun}" aria-label="${PIPELINE} 2026-11-21`);
    // The day that loaded stays green, as before.
    const good = /<td class="day[^"]*" data-day="2026-11-20"[^>]*>/.exec(page)?.[0] ?? '';
    expect(good).toContain('data-status="completed"');
    expect(good).toContain(`运行 #${goodRun}`);
    expect(good).not.toContain('data-retried-empty');
  });

  it("says on the failed run's page that the retry read nothing, and why", async () => {
    const admin = await cx.http('admin');
    const page = await (await admin.get(`/runs/${failedRun}`)).text();
    const state = /<p class="[^"]*" id="retry-state">([\s\S]*?)<\/p>/.exec(page)?.[1] ?? '';
    expect(state).toContain('admin 发起的重试已结束，但未读取任何文件');
    expect(state).toContain(`运行 #${retryRun}</a> 读取 0 行`);
    expect(state).toContain('day2.csv（超过拒收阈值）已整体退回报送单位，移入投递目录的 failed/ 子目录');
    expect(state).not.toContain('重试已完成');
    // The warehouse's word, which outlives the console process's memory of the retry.
    const later = /<p class="error" id="later-runs">([\s\S]*?)<\/p>/.exec(page)?.[1] ?? '';
    expect(later).toContain(`运行 #${retryRun}</a> 成功，但未读取任何文件，未改变本分区日的结果`);
  });
});

describe('the runs list', () => {
  it('shows every outcome of a run, adding up to the rows read', async () => {
    const viewer = await cx.http('viewer');
    const page = await (await viewer.get('/runs?from=2026-11-01&to=2026-12-31')).text();
    const rows = [...page.matchAll(/<tr data-run="(\d+)">([\s\S]*?)<\/tr>/g)];
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const byRun = new Map<number, { read: number; outcomes: Record<string, number>; kind: string }>();
    for (const [, id, row] of rows) {
      const read = Number(/<td class="num read">(\d+)<\/td>/.exec(row!)?.[1]);
      const outcomes = Object.fromEntries(
        [...row!.matchAll(/data-outcome="(\w+)" data-rows="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])]),
      );
      const kind = (/<td class="kind">([\s\S]*?)<\/td>/.exec(row!)?.[1] ?? '').replace(/<[^>]*>/g, '');
      byRun.set(Number(id), { read, outcomes, kind });
      const sum = Object.values(outcomes).reduce((total, rows) => total + rows, 0);
      expect([Number(id), sum]).toEqual([Number(id), read]);
    }
    // The failed run: 2 read = 1 rejected + 1 held back whole.
    expect(byRun.get(failedRun)!.outcomes).toEqual({ rejected: 1, held: 1 });
    expect(rows.find(([, id]) => Number(id) === failedRun)![2]).toContain('整体退回未入库 1');
    // The city's copy of the company's record: a conflict, shown.
    expect(
      Object.values(Object.fromEntries([...byRun].map(([id, run]) => [id, run.outcomes.conflict ?? 0]))),
    ).toContain(1);
    expect(rows.find(([, id]) => Number(id) === retryRun)![2]).toContain('未读取任何数据行');
    // Each run's kind in Chinese.
    expect(byRun.get(seededRun)!.kind).toBe('命令行导入');
    expect(byRun.get(directRun)!.kind).toBe('数据直报');
    expect(byRun.get(failedRun)!.kind).toBe(`补跑 ${PIPELINE}`);
    expect(page).not.toMatch(/<td class="kind">ingest<\/td>/);
  });

  it("names a direct report's kind on its run page, and sends its retry back to the upload page", async () => {
    const admin = await cx.http('admin');
    const page = await (await admin.get(`/runs/${directRun}`)).text();
    expect(page).toContain('<dt>类型 / 管道</dt><dd>数据直报</dd>');
    const refused = await admin.post(`/runs/${directRun}/retry`);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('数据直报请报送单位更正文件后在数据直报页面重新上传');
  });

  it('names the transport and the provider on the pipelines page, the USCC unmasked', async () => {
    const viewer = await cx.http('viewer');
    const page = await (await viewer.get('/pipelines')).text();
    const row = new RegExp(`<tr id="${PIPELINE}"[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';
    expect(row).toContain('<td class="transport">本地投递目录</td>');
    expect(row).not.toContain('drop-folder');
    expect(row).toContain(`${JINAN.name}（${JINAN.code}）`);
    // Its last run is the retry that read nothing: said so.
    expect(row).toContain(`#${retryRun}</a> 2026-11-21（未读取任何文件）`);
  });
});

describe('the quality bulletin', () => {
  it('adds up: 报送行数 = 入库 + 冲突 + 拒收 + 整体退回, on the page and in its workbook', async () => {
    const viewer = await cx.http('viewer');
    const page = await (await viewer.get('/quality?from=2026-11-01&to=2026-11-30')).text();
    expect(page).toContain('入库、冲突、拒收、整体退回行数之和');
    const rows = tableRows(page, 'ranking');
    const province = rows.find((row) => row.代码 === PAGE_DATA.province)!;
    // 4 rows of the page data (2 loaded, 2 rejected) and the held-back file's 4 (3 rejected, 1 held back).
    expect([
      province.报送行数,
      province.入库行数,
      province.拒收行数,
      province.整体退回行数,
      province.冲突数,
    ]).toEqual(['8', '2', '5', '1', '0']);
    for (const row of rows)
      expect([row.代码, Number(row.报送行数)]).toEqual([
        row.代码,
        Number(row.入库行数) + Number(row.冲突数) + Number(row.拒收行数) + Number(row.整体退回行数),
      ]);
    const city = rows.find((row) => row.代码 === PAGE_DATA.city)!;
    expect([city.报送行数, city.冲突数]).toEqual(['1', '1']);

    const download = await viewer.get('/quality/download?from=2026-11-01&to=2026-11-30');
    expect(download.status).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await download.arrayBuffer()) as unknown as ExcelJS.Buffer);
    const sheet = workbook.getWorksheet('质量通报')!;
    let headers: string[] = [];
    const table: Record<string, unknown>[] = [];
    sheet.eachRow((row) => {
      const values = (row.values as unknown[]).slice(1);
      if (values[0] === '排名') headers = values.map(String);
      else if (typeof values[0] === 'number')
        table.push(Object.fromEntries(headers.map((header, index) => [header, values[index]])));
    });
    expect(table.find((row) => row.代码 === PAGE_DATA.province)).toMatchObject({
      报送行数: 8,
      入库行数: 2,
      拒收行数: 5,
      整体退回行数: 1,
      冲突数: 0,
    });
    for (const row of table)
      expect(row.报送行数).toBe(
        Number(row.入库行数) + Number(row.冲突数) + Number(row.拒收行数) + Number(row.整体退回行数),
      );
    const definitions = workbook.getWorksheet('指标说明')!;
    expect(String(definitions.getRow(1).getCell(2).value)).toContain('入库、冲突、拒收、整体退回行数之和');
  });
});

describe('rejection downloads', () => {
  it('answers 404 for a run that does not exist, 400 for a reversed period or an unknown format', async () => {
    const viewer = await cx.http('viewer');
    const missing = await viewer.get('/rejections/download?run=99999&format=csv');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('运行批次 99999 不存在');
    const reversed = await viewer.get(
      `/rejections/download?from=2026-03-01&to=2026-01-01&provider=${PAGE_DATA.province}&format=csv`,
    );
    expect(reversed.status).toBe(400);
    expect(await reversed.text()).toContain('起始日期 2026-03-01 晚于截止日期 2026-01-01');
    const pdf = await viewer.get(`/rejections/download?run=${seededRun}&format=pdf`);
    expect(pdf.status).toBe(400);
    expect(pdf.headers.get('content-type')).toContain('text/html');
    const said = await pdf.text();
    expect(said).toContain('下载格式 pdf 不支持');
    expect(said).toContain('xlsx');
    expect(said).toContain('csv');
    // The right requests still download.
    const csv = await viewer.get(`/rejections/download?run=${seededRun}&format=csv`);
    expect(csv.status).toBe(200);
    // (fetch's text() drops the byte-order mark)
    expect((await csv.text()).startsWith('来源文件')).toBe(true);
    const xlsx = await viewer.get(`/rejections/download?run=${seededRun}`);
    expect([xlsx.status, xlsx.headers.get('content-disposition')]).toEqual([
      200,
      expect.stringMatching(/xlsx/),
    ]);
  });
});

describe('what the pages say of dates and accounts', () => {
  it('calls a day before 1900 what it is, not an invalid date', async () => {
    const viewer = await cx.http('viewer');
    for (const address of ['/quality?from=0001-01-01', '/rejections?from=0001-01-01']) {
      const response = await viewer.get(address);
      const text = await response.text();
      expect([address, response.status]).toEqual([address, 400]);
      expect(text, address).not.toContain('不是有效日期');
      expect(text, address).toContain('0001-01-01');
      expect(text, address).toContain('1900');
    }
  });

  it("lists each role's pages on /account", async () => {
    const expected = {
      viewer: ['运行记录', '拒收数据', '复核通知', '质量通报', '记录查询', '管道', '目录'],
      auditor: ['运行记录', '拒收数据', '复核通知', '质量通报', '记录查询', '管道', '目录', '查看记录'],
      admin: ['运行记录', '拒收数据', '复核通知', '质量通报', '记录查询', '管道', '目录', '查看记录'],
      provider: ['数据直报'],
    } as const;
    for (const [role, pages] of Object.entries(expected) as [keyof typeof expected, readonly string[]][]) {
      const page = await (await (await cx.http(role)).get('/account')).text();
      expect(page, role).not.toContain('暂无可用页面');
      const listed = [
        ...(/<ul id="account-pages">([\s\S]*?)<\/ul>/.exec(page)?.[1] ?? '').matchAll(
          /<a href="[^"]*">([^<]*)<\/a>/g,
        ),
      ].map((match) => match[1]);
      expect([role, listed]).toEqual([role, pages]);
    }
    const provider = await (await (await cx.http('provider')).get('/account')).text();
    expect(provider).toContain('<dd class="mono">113700000000000000</dd>');
  });
});
