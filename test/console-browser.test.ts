import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import {
  CHROMIUM,
  CONSOLE_ARTIFACTS,
  type ConsoleFixture,
  hasChromium,
  openConsoleFixture,
} from './support/console-fixture.ts';
import { fixturePath } from './support/warehouse-fixture.ts';

/**
 * The console in real Chromium (issue #20 acceptance): log in through the form, open each page, see the day
 * grid's colours, unmask as an auditor, retry a run as an admin; a screenshot of each page is kept in
 * reports/artifacts/console/ (CI artifacts, linked from docs/console.md).
 */
const ID = '11010519491231002X';
const PIPELINE = 'xzcf-browser';
const RANGE = '?from=2026-11-15&to=2026-11-25';

const browserTests = hasChromium()
  ? 'the console in headless Chromium'
  : `SKIPPED: ${CHROMIUM} is not installed (run .ci/run, or apt-get install chromium) — the console in a browser`;

describe.skipIf(!hasChromium())(browserTests, () => {
  let cx: ConsoleFixture;
  let failedRun: number;
  let drop: string;

  const penaltyCsv = (rows: number, bad: boolean) => {
    const lines = readFileSync(fixturePath('xzcf', 'utf8-bom', 'input.csv'), 'utf8').split(/\r?\n/);
    const body = lines.slice(1, 1 + rows);
    if (bad) body[0] = body[0]!.replace('913701020000050122', ID);
    return [lines[0], ...body].join('\n');
  };
  const deliver = (partition: string, file: string, csv: string) => {
    mkdirSync(path.join(drop, partition), { recursive: true });
    writeFileSync(path.join(drop, partition, file), csv);
    writeFileSync(path.join(drop, partition, `${file}.ok`), '');
  };
  const shoot = async (page: Page, name: string) => {
    mkdirSync(CONSOLE_ARTIFACTS, { recursive: true });
    const shot = path.join(CONSOLE_ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
  };

  beforeAll(async () => {
    const pipelinesDir = path.join(process.env.TMPDIR ?? '/tmp', `credit-etl-console-browser-${process.pid}`);
    mkdirSync(pipelinesDir, { recursive: true });
    cx = await openConsoleFixture('console_browser', { pipelinesDir });
    drop = path.join(cx.fx.scratch, 'drop');
    writeFileSync(
      path.join(pipelinesDir, `${PIPELINE}.json`),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370100MB28174284',
        level: 'city',
        transport: { type: 'drop-folder', directory: path.join(drop, '{date}') },
        schedule: { cron: '0 30 2 * * *' },
        thresholds: { maxRejectRate: 0.2 },
      }),
    );
    const { pipelines } = await loadPipelines(pipelinesDir, cx.deps.transports);
    const logger = createLogger({ console: false });
    const run = async (partition: string) => {
      const result = await runPipeline(
        cx.fx.warehouse,
        cx.fx.catalog,
        pipelines[0]!,
        { partition, kind: 'backfill', stagingDir: cx.deps.stagingDir },
        logger,
      );
      if (result.status !== 'ran') throw new Error('pipeline locked');
      return result.summary;
    };
    deliver('2026-11-20', 'day1.csv', penaltyCsv(3, false));
    await run('2026-11-20');
    deliver('2026-11-21', 'day2.csv', penaltyCsv(2, true));
    failedRun = (await run('2026-11-21')).runId;
  }, 120_000);

  afterAll(async () => cx?.close());

  it('sends a browser without a session to the login page, and logs it in through the form', async () => {
    const page = await cx.page();
    await page.goto(`${cx.baseUrl}/runs`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await shoot(page, 'login');
    await page.fill('input[name=name]', 'viewer');
    await page.fill('input[name=password]', 'wrong-password');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(await page.textContent('#login-error')).toContain('用户名或密码错误');
    await cx.login(page, 'viewer');
    expect(new URL(page.url()).pathname).toBe('/runs');
    expect(await page.textContent('header .who')).toContain('viewer（查看员）');
  });

  it('shows the runs grid with a colour per status, and the run list', async () => {
    const page = await cx.page('viewer');
    await page.goto(`${cx.baseUrl}/runs${RANGE}`);
    const cell = (day: string) => page.locator(`#run-grid td[data-day="${day}"]`);
    expect(await cell('2026-11-20').getAttribute('data-status')).toBe('completed');
    expect(await cell('2026-11-21').getAttribute('data-status')).toBe('failed-threshold');
    const colour = (day: string) => cell(day).evaluate((td) => getComputedStyle(td).backgroundColor);
    expect(await colour('2026-11-20')).toBe('rgb(26, 127, 55)');
    expect(await colour('2026-11-21')).toBe('rgb(188, 76, 0)');
    expect(await page.locator('#runs tbody tr').count()).toBe(2);
    await shoot(page, 'runs');
    // The status filter keeps only the failed days.
    await page.selectOption('select[name=status]', 'failed');
    await Promise.all([page.waitForNavigation(), page.click('form.filters button')]);
    expect(await page.locator('#runs tbody tr').count()).toBe(1);
    expect(await cell('2026-11-20').getAttribute('data-status')).toBeNull();
    // A grid cell opens its run.
    await Promise.all([page.waitForNavigation(), cell('2026-11-21').locator('a').click()]);
    expect(new URL(page.url()).pathname).toBe(`/runs/${failedRun}`);
  });

  it("shows a run's files, counts, threshold decision, errors and masked rejected values", async () => {
    const page = await cx.page('viewer');
    await page.goto(`${cx.baseUrl}/runs/${failedRun}`);
    expect(await page.textContent('#run-facts')).toContain('超过拒收阈值');
    expect(await page.textContent('#run-files')).toContain('超过阈值，整个文件未入库：拒收 1/2 行');
    expect(await page.textContent('#run-counts td[data-outcome="rejected"]')).toBe('1');
    expect(await page.textContent('#run-error-codes')).toContain('uscc');
    const values = await page.locator('#run-rejections td.value').allTextContents();
    expect(values).toContain('1101**********002X');
    expect(await page.content()).not.toContain(ID);
    expect(await page.getAttribute('#rejections-link', 'href')).toBe(`/rejections?run=${failedRun}`);
    await shoot(page, 'run');
  });

  it('lets an auditor unmask a run page by a click with a reason, and logs it', async () => {
    const page = await cx.page('auditor');
    await page.goto(`${cx.baseUrl}/runs/${failedRun}`);
    await page.fill('#unmask-reason', '复核拒收数据');
    await Promise.all([page.waitForNavigation(), page.click('#unmask')]);
    expect(await page.locator('#run-rejections td.value').allTextContents()).toContain(ID);
    expect(page.url()).toBe(`${cx.baseUrl}/runs/${failedRun}`);
    const views = await cx.fx.owner('unmask_views').select('user_name', 'what', 'reason');
    expect(views).toEqual([
      { user_name: 'auditor', what: `运行 #${failedRun} 的拒收数据行样本`, reason: '复核拒收数据' },
    ]);
  });

  it('shows the pipelines with their next triggers in Beijing time and last status', async () => {
    const page = await cx.page('viewer');
    await page.goto(`${cx.baseUrl}/pipelines`);
    const row = page.locator(`#pipelines tr[data-pipeline="${PIPELINE}"]`);
    const next = await row.locator('td.next div').allTextContents();
    expect(next).toHaveLength(3);
    for (const at of next) expect(at).toMatch(/^\d{4}-\d{2}-\d{2} 02:30$/);
    expect(await row.textContent()).toContain('超过拒收阈值');
    await shoot(page, 'pipelines');
  });

  it('shows the published catalog', async () => {
    const page = await cx.page('viewer');
    await page.goto(`${cx.baseUrl}/catalog`);
    expect(await page.locator('#catalog section').count()).toBeGreaterThan(3);
    expect(await page.textContent('#catalog')).toContain('错误代码说明');
    await shoot(page, 'catalog');
  });

  it('lets an admin retry a failed run from its page; the new run shows there', async () => {
    const page = await cx.page('admin');
    await page.goto(`${cx.baseUrl}/runs/${failedRun}`);
    // The held-back file is in failed/: a corrected delivery is what the retry picks up.
    deliver('2026-11-21', 'day2-corrected.csv', penaltyCsv(2, false));
    await Promise.all([page.waitForNavigation(), page.click('#retry')]);
    expect(new URL(page.url()).pathname).toBe(`/runs/${failedRun}`);
    let state = '';
    for (let i = 0; i < 100 && !state.includes('已完成'); i++) {
      await page.reload();
      state = (await page.textContent('#retry-state')) ?? '';
      if (!state.includes('已完成')) await page.waitForTimeout(200);
    }
    expect(state).toContain('admin 发起的重试已完成');
    await Promise.all([page.waitForNavigation(), page.click('#retry-state a')]);
    expect(await page.textContent('#run-facts')).toContain('成功');
    expect(await page.textContent('#run-facts')).toContain('2026-11-21');
    await shoot(page, 'run-retried');
  });
});
