import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { hashPassword } from '../src/console/password-hash.ts';
import { addConsoleUser } from '../src/warehouse/console-users-repository.ts';
import {
  CHROMIUM,
  CONSOLE_ARTIFACTS,
  type ConsoleFixture,
  hasChromium,
  openConsoleFixture,
} from './support/console-fixture.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';

/**
 * 数据直报 (Art. 11) in the console: a provider's user uploads a file for its own entry and sees the result at
 * once — the ingest path's counts and Chinese rejection messages — downloads the rejection report, and can do
 * nothing else. 济南市 (config/providers.json: city level, expects xzcf) reports through user `jinan`.
 */
const JINAN = { name: 'jinan', password: 'jinan-password-1', providerCode: '11370100MB28174284' };
const DATE = PENALTY_HEADER.indexOf('处罚决定日期');
const NUMBER = PENALTY_HEADER.indexOf('行政处罚决定书文号');
/** Small, so that the over-limit upload in the test stays small too. */
const MAX_BYTES = 64 * 1024;

/** Five rows, the third with a decision date that does not exist. */
function deliveryWithBadRow(tag: string): string {
  const rows = penaltyRows(5, tag);
  rows[2]![DATE] = '2026-02-30';
  return toCsv(PENALTY_HEADER, rows);
}

describe('数据直报: a provider uploads its own file in the console', () => {
  let cx: ConsoleFixture;
  let previousLimit: string | undefined;

  /** Logs `jinan` in over HTTP; returns its cookie and its session's CSRF token. */
  async function jinanSession(): Promise<{ cookie: string; csrf: string }> {
    const response = await fetch(`${cx.baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: JINAN.name, password: JINAN.password }),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/direct-report');
    const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
    const form = await (await fetch(`${cx.baseUrl}/direct-report`, { headers: { cookie } })).text();
    const csrf = /action="\/direct-report\?_csrf=([^"]+)"/.exec(form)?.[1];
    expect(csrf, form).toBeTruthy();
    return { cookie, csrf: csrf! };
  }

  async function upload(
    session: { cookie: string; csrf?: string },
    catalog: string,
    name: string,
    content: string,
  ): Promise<Response> {
    const body = new FormData();
    body.set('catalog', catalog);
    body.set('file', new Blob([content], { type: 'text/csv' }), name);
    const query = session.csrf ? `?_csrf=${session.csrf}` : '';
    return fetch(`${cx.baseUrl}/direct-report${query}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: session.cookie },
      body,
    });
  }

  const runCount = async () =>
    Number((await cx.fx.warehouse('runs').count<{ n: string }[]>({ n: '*' }))[0]?.n);

  beforeAll(async () => {
    previousLimit = process.env.CREDIT_ETL_DIRECT_REPORT_MAX_BYTES;
    process.env.CREDIT_ETL_DIRECT_REPORT_MAX_BYTES = String(MAX_BYTES);
    cx = await openConsoleFixture('console_direct_report');
    await addConsoleUser(cx.fx.warehouse, {
      name: JINAN.name,
      role: 'provider',
      providerCode: JINAN.providerCode,
      passwordHash: await hashPassword(JINAN.password),
    });
  }, 120_000);
  afterAll(async () => {
    if (previousLimit === undefined) delete process.env.CREDIT_ETL_DIRECT_REPORT_MAX_BYTES;
    else process.env.CREDIT_ETL_DIRECT_REPORT_MAX_BYTES = previousLimit;
    await cx?.close();
  });

  it.skipIf(!hasChromium())(
    `in Chromium: upload, the counts and the bad row's Chinese message at once, the report downloaded (${CHROMIUM})`,
    { timeout: 180_000 },
    async () => {
      const page = await cx.page();
      await page.goto(`${cx.baseUrl}/login`);
      await page.fill('input[name=name]', JINAN.name);
      await page.fill('input[name=password]', JINAN.password);
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      expect(new URL(page.url()).pathname).toBe('/direct-report');
      expect(await page.textContent('main')).toContain('济南市');
      // Only its own page in the navigation.
      expect(await page.$$eval('header nav a', (links) => links.map((a) => a.textContent))).toEqual([
        '数据直报',
      ]);

      const file = path.join(cx.fx.scratch, '济南-2026-11-30.csv');
      writeFileSync(file, deliveryWithBadRow('DR'));
      await page.selectOption('select[name=catalog]', 'xzcf');
      await page.setInputFiles('input[name=file]', file);
      await Promise.all([page.waitForNavigation(), page.click('#upload button[type=submit]')]);
      const count = async (key: string) => Number(await page.textContent(`[data-count=${key}]`));
      expect(await count('read')).toBe(5);
      expect(await count('inserted')).toBe(4);
      expect(await count('rejected')).toBe(1);
      const badRow = page.locator('#rejections tr[data-row="4"]');
      expect(await badRow.count()).toBe(1);
      const cells = await badRow.locator('td').allTextContents();
      expect(cells[1]).toBe('处罚决定日期');
      expect(cells[2]).toBe('2026-02-30');
      expect(cells[3]).toMatch(/[\u4e00-\u9fff]/);
      mkdirSync(CONSOLE_ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(CONSOLE_ARTIFACTS, 'direct-report.png'), fullPage: true });

      // The run is recorded as a CLI ingest is: its files, provider and level.
      const run = await cx.fx.warehouse('runs').orderBy('id', 'desc').first();
      expect(run).toMatchObject({ kind: 'ingest', status: 'completed' });
      const sourceFile = await cx.fx.warehouse('source_files').where({ run_id: run.id }).first();
      expect(sourceFile).toMatchObject({
        name: '济南-2026-11-30.csv',
        provider_code: JINAN.providerCode,
        level: 'city',
      });

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
      const saved = path.join(cx.fx.scratch, 'downloaded.csv');
      await download.saveAs(saved);
      const report = readFileSync(saved, 'utf8');
      expect(report).toContain('2026-02-30');
      // The same Chinese message as on the page (CSV doubles its quotes).
      expect(report).toContain(cells[3]!.replaceAll('"', '""'));
      expect(report.split('\r\n')[1]).toMatch(/^济南-2026-11-30\.csv,4,xzcf,CF_JDRQ,/);

      // Every other page refuses it.
      for (const other of ['/runs', `/runs/${run.id}`, '/pipelines', '/catalog'])
        expect((await page.goto(`${cx.baseUrl}${other}`))?.status(), other).toBe(403);
      await page.context().close();
    },
  );

  it("another provider's entry is refused (403), nothing loaded; so is the report of another provider's run", async () => {
    const session = await jinanSession();
    const before = await runCount();
    // 济南市 reports xzcf only (config/providers.json): xzxk is another provider's entry.
    const refused = await upload(session, 'xzxk', 'xk.csv', deliveryWithBadRow('XK'));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('不是本单位');
    expect(await runCount()).toBe(before);

    const theirs = await cx.fx.ingest([writeCsv(cx, 'province.csv', deliveryWithBadRow('PROV'))]);
    const other = await fetch(`${cx.baseUrl}/direct-report/runs/${theirs.runId}/rejections.csv`, {
      headers: { cookie: session.cookie },
    });
    expect(other.status).toBe(403);
    expect(await other.text()).not.toContain('2026-02-30');
  });

  it('over HTTP: the result page at once, and the report as XLSX for its own run', async () => {
    const session = await jinanSession();
    const uploaded = await upload(session, 'xzcf', 'http.csv', deliveryWithBadRow('HTTP'));
    expect(uploaded.status).toBe(200);
    const text = await uploaded.text();
    expect(text).toContain('data-count="rejected">1<');
    const runId = /\/direct-report\/runs\/(\d+)\/rejections\.xlsx/.exec(text)?.[1];
    expect(runId, text).toBeTruthy();
    const workbook = await fetch(`${cx.baseUrl}/direct-report/runs/${runId}/rejections.xlsx`, {
      headers: { cookie: session.cookie },
    });
    expect(workbook.status).toBe(200);
    expect(workbook.headers.get('content-disposition')).toContain(`run-${runId}-rejections.xlsx`);
    expect(
      Buffer.from(await workbook.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');
  });

  it('shows a file name or a header cell holding an ID number masked on the result page', async () => {
    const id = '370102199001011231';
    const session = await jinanSession();
    const named = await (await upload(session, 'xzcf', `直报${id}.csv`, deliveryWithBadRow('NAMED'))).text();
    expect(named).toContain('直报3701**********1231.csv');
    const header = [...PENALTY_HEADER.slice(0, -1), `姓名${id}`];
    const badHeader = await (
      await upload(session, 'xzcf', 'header.csv', toCsv(header, penaltyRows(2, 'HEADER')))
    ).text();
    expect(badHeader).toContain('data-file-status="failed"');
    expect(badHeader).toContain('姓名3701**********1231');
    for (const text of [named, badHeader]) expect(text).not.toContain(id);
  });

  it('without the CSRF token the upload is refused and nothing is loaded; staff cannot upload either', async () => {
    const session = await jinanSession();
    const before = await runCount();
    const refused = await upload({ cookie: session.cookie }, 'xzcf', 'x.csv', deliveryWithBadRow('CSRF'));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('CSRF');
    const wrong = await upload(
      { ...session, csrf: 'not-the-token' },
      'xzcf',
      'x.csv',
      deliveryWithBadRow('CSRF'),
    );
    expect(wrong.status).toBe(403);
    expect(await runCount()).toBe(before);

    const viewer = await cx.http('viewer');
    expect((await viewer.get('/direct-report')).status).toBe(403);
    expect((await (await cx.http()).get('/direct-report')).status).toBe(303);
  });

  it('a file over the size limit is refused while it streams, and nothing of it is kept or loaded', async () => {
    const session = await jinanSession();
    const before = await runCount();
    const header = PENALTY_HEADER.join(',');
    const row = penaltyRows(1, 'BIG')[0]!;
    const lines = Array.from({ length: 400 }, (_, i) =>
      row.map((cell, c) => (c === NUMBER ? `${cell}-${i}` : cell)).join(','),
    );
    const big = `${header}\n${lines.join('\n')}\n`;
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_BYTES);
    const refused = await upload(session, 'xzcf', 'big.csv', big);
    expect(refused.status).toBe(413);
    expect(await refused.text()).toContain('超过直报上限');
    expect(await runCount()).toBe(before);
    const staged = path.join(cx.deps.stagingDir, 'direct-report');
    const left = readdirSync(staged, { recursive: true }).filter((entry) =>
      String(entry).endsWith('big.csv'),
    );
    expect(left).toEqual([]);
  });
});

function writeCsv(cx: ConsoleFixture, name: string, content: string): string {
  const file = path.join(cx.fx.scratch, name);
  writeFileSync(file, content);
  return file;
}
