import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSOLE_ARTIFACTS,
  type ConsoleFixture,
  hasChromium,
  openConsoleFixture,
} from './support/console-fixture.ts';
import {
  HOSTILE_TEXT,
  PAGE_DATA,
  seedConsolePages,
  seedHostileDelivery,
} from './support/console-pages-data.ts';

/*
 * Issue #20, the console's data pages in real Chromium: rejections (filter, download), notices (board, one
 * notice, re-issue with CSRF), quality bulletin, records and subjects (search any way, masked for a viewer,
 * unmasked for an auditor and logged). A screenshot of each page goes to reports/artifacts/console/.
 */
describe.skipIf(!hasChromium())('the console data pages', () => {
  let cx: ConsoleFixture;
  let runId: number;
  let noticeId: number;
  /** The natural person's record, and the company's (which has the city's conflicting copy). */
  let personRecord: number;
  let companyRecord: number;

  beforeAll(async () => {
    cx = await openConsoleFixture('console_pages');
    ({ runId, noticeId } = await seedConsolePages(cx.fx));
    const records: { id: number; subject_code: string }[] = await cx.fx
      .owner('records')
      .select('id', 'subject_code')
      .orderBy('id');
    personRecord = records.find((record) => record.subject_code === PAGE_DATA.personId)!.id;
    companyRecord = records.find((record) => record.subject_code === PAGE_DATA.companyUscc)!.id;
    mkdirSync(CONSOLE_ARTIFACTS, { recursive: true });
  }, 120_000);
  afterAll(async () => cx?.close());

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(CONSOLE_ARTIFACTS, `${name}.png`), fullPage: true });
  const cells = (page: Page, selector: string) => page.locator(selector).allInnerTexts();

  it('lists rejections with field, masked value, message and fix, and filters them by error code', async () => {
    const page = await cx.page('viewer');
    await page.goto(`${cx.baseUrl}/rejections?run=${runId}`);
    const text = await page.locator('#rejections').textContent();
    expect(text).toContain(PAGE_DATA.idInUsccColumnMasked);
    expect(text).not.toContain(PAGE_DATA.idInUsccColumn);
    expect(text).toContain('行政相对人代码_1(统一社会信用代码)');
    expect(text).toContain('invalid-date');
    await shot(page, 'rejections');
    await page.selectOption('select[name=code]', 'invalid-date');
    await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
    expect(new URL(page.url()).searchParams.get('code')).toBe('invalid-date');
    const codes = await cells(page, '#rejections .error-code');
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['invalid-date']));
    await page.context().close();
  });

  it('downloads the rejection report of a run as CSV and XLSX, masked for a viewer', async () => {
    const page = await cx.page('viewer');
    await page.goto(`${cx.baseUrl}/rejections?run=${runId}`);
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    const csv = readFileSync((await csvDownload.path())!, 'utf8');
    expect(csv.startsWith('\uFEFF来源文件,行号')).toBe(true);
    expect(csv).toContain(PAGE_DATA.idInUsccColumnMasked);
    expect(csv).not.toContain(PAGE_DATA.idInUsccColumn);
    expect(csv.split('\r\n').filter((line) => line.includes('invalid-date'))).toHaveLength(1);
    const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), page.click('#download-xlsx')]);
    expect(xlsxDownload.suggestedFilename()).toMatch(/\.xlsx$/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile((await xlsxDownload.path())!);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['汇总', '行政处罚(xzcf)']);
    const rows = workbook.worksheets[1]!.getSheetValues().slice(2);
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).toContain(PAGE_DATA.idInUsccColumnMasked);
    await page.context().close();
  });

  it('shows the notice board, a notice with its rows and log, and re-issues it only with the CSRF token', async () => {
    const page = await cx.page('admin');
    await page.goto(`${cx.baseUrl}/notices`);
    expect(await page.locator('#notices').textContent()).toContain(String(noticeId));
    await shot(page, 'notices');
    await page.goto(`${cx.baseUrl}/notices/${noticeId}`);
    const rows = await page.locator('#notice-rows').textContent();
    expect(rows).toContain(PAGE_DATA.idInUsccColumnMasked);
    expect(rows).not.toContain(PAGE_DATA.idInUsccColumn);
    await shot(page, 'notice');
    await Promise.all([page.waitForNavigation(), page.click('#reissue')]);
    expect(await page.locator('.flash').textContent()).toContain('已重新发送');
    expect(await page.locator('#notice-log').textContent()).toContain('重新发送');
    const resent = () => cx.fx.owner('notice_events').where({ notice_id: noticeId, kind: 'resent' });
    expect(await resent().select('operator')).toEqual([{ operator: 'admin' }]);
    await page.context().close();

    const admin = await cx.http('admin');
    const refused = await admin.post(`/notices/${noticeId}/reissue`, {}, { csrf: false });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('CSRF');
    const forged = await admin.post(`/notices/${noticeId}/reissue`, { _csrf: 'forged' });
    expect(forged.status).toBe(403);
    const viewer = await cx.http('viewer');
    expect((await viewer.post(`/notices/${noticeId}/reissue`)).status).toBe(403);
    expect(await resent()).toHaveLength(1);
  });

  it('shows the quality bulletin for a chosen period', async () => {
    const page = await cx.page('viewer');
    await page.goto(`${cx.baseUrl}/quality?from=2026-11-01&to=2026-11-30`);
    const ranking = await page.locator('#ranking').textContent();
    expect(ranking).toContain(PAGE_DATA.province);
    expect(ranking).toContain(PAGE_DATA.city);
    // One heading: the layout's title, not the bulletin's own <h1> as well.
    expect(await page.locator('h1').count()).toBe(1);
    await shot(page, 'quality');
    await page.goto(`${cx.baseUrl}/quality?from=2026-11-30&to=2026-11-01`);
    expect(await page.locator('.problem').textContent()).toContain('统计期间有误');
    await page.context().close();
  });

  it('finds a record by a decision number typed another way, and shows conflicts side by side', async () => {
    const page = await cx.page('viewer');
    await page.goto(`${cx.baseUrl}/records`);
    await page.fill('input[name=q]', PAGE_DATA.decisionTyped);
    await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
    expect(await page.locator('#found').textContent()).toContain(PAGE_DATA.decision);
    await shot(page, 'records-search');
    await Promise.all([page.waitForNavigation(), page.click(`#found a[href="/records/${companyRecord}"]`)]);
    expect(await page.locator('#record-key').textContent()).toContain(PAGE_DATA.decision);
    const conflict = await page.locator('.side-by-side').first().textContent();
    expect(conflict).toContain('罚款人民币1万元');
    expect(conflict).toContain('罚款人民币2万元');
    expect(await page.locator('#lineage').textContent()).toContain('冲突');
    await shot(page, 'record');
    await Promise.all([page.waitForNavigation(), page.click('#record-subject a')]);
    expect(await page.locator('h1').textContent()).toContain(PAGE_DATA.companyUscc);
    await shot(page, 'subject');
    await page.context().close();
  });

  it('masks a person for a viewer; an auditor may unmask, and that view is logged', async () => {
    const viewer = await cx.page('viewer');
    await viewer.goto(`${cx.baseUrl}/records`);
    await viewer.fill('input[name=q]', PAGE_DATA.personId);
    await Promise.all([viewer.waitForNavigation(), viewer.click('form.filters button[type=submit]')]);
    const found = await viewer.locator('#found').textContent();
    expect(found).toContain(PAGE_DATA.personIdMasked);
    // Not in the page's text, its links or its address bar.
    expect(await viewer.content()).not.toContain(PAGE_DATA.personId);
    expect(viewer.url()).not.toContain(PAGE_DATA.personId);
    await viewer.goto(`${cx.baseUrl}/records/${personRecord}?unmask=1`);
    expect(await viewer.locator('#unmask').count()).toBe(0);
    expect(await viewer.locator('#unmask-form').count()).toBe(0);
    expect(await viewer.content()).not.toContain(PAGE_DATA.personId);
    await viewer.goto(`${cx.baseUrl}/subjects/r${personRecord}`);
    expect(await viewer.locator('h1').textContent()).toContain(PAGE_DATA.personIdMasked);
    expect(await viewer.content()).not.toContain(PAGE_DATA.personId);
    await viewer.context().close();
    expect(await cx.fx.owner('unmask_views')).toEqual([]);

    const auditor = await cx.page('auditor');
    await auditor.goto(`${cx.baseUrl}/records/${personRecord}`);
    expect(await auditor.locator('#current-version').textContent()).toContain(PAGE_DATA.personIdMasked);
    // The form posts (reason and CSRF token): the number shown stands in no address.
    await auditor.fill('#unmask-reason', '复核异议申请');
    await Promise.all([auditor.waitForNavigation(), auditor.click('#unmask')]);
    expect(await auditor.locator('#current-version').textContent()).toContain(PAGE_DATA.personId);
    expect(auditor.url()).toBe(`${cx.baseUrl}/records/${personRecord}`);
    await shot(auditor, 'record-unmasked');
    await auditor.goto(`${cx.baseUrl}/rejections?run=${runId}`);
    await auditor.fill('#unmask-reason', '核对拒收原因');
    await Promise.all([auditor.waitForNavigation(), auditor.click('#unmask')]);
    expect(await auditor.locator('#rejections').textContent()).toContain(PAGE_DATA.idInUsccColumn);
    await auditor.context().close();
    const logged: { user_name: string; what: string; reason: string }[] = await cx.fx
      .owner('unmask_views')
      .orderBy('id')
      .select('user_name', 'what', 'reason');
    expect(logged.map((view) => [view.user_name, view.reason])).toEqual([
      ['auditor', '复核异议申请'],
      ['auditor', '核对拒收原因'],
    ]);
    expect(logged[0]!.what).toBe(`记录 ${personRecord}`);
    expect(logged[1]!.what).toContain(`run=${runId}`);
  });

  it('refuses every data page without a session, and to a provider account', async () => {
    const provider = await cx.http('provider');
    for (const target of ['/rejections', '/notices', '/quality', '/records', `/records/${personRecord}`])
      expect([target, (await provider.get(target)).status]).toEqual([target, 403]);
    const anonymous = await cx.http();
    for (const target of [
      '/rejections',
      '/notices',
      `/notices/${noticeId}`,
      '/quality',
      '/records',
      `/records/${personRecord}`,
      `/subjects/r${personRecord}`,
      `/rejections/download?run=${runId}`,
    ]) {
      const response = await anonymous.get(target);
      expect([target, response.status, response.headers.get('location')?.startsWith('/login')]).toEqual([
        target,
        303,
        true,
      ]);
    }
  });

  it('shows markup in a rejected cell and in a record field as text, escaped', async () => {
    const hostile = await seedHostileDelivery(cx.fx);
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
    const viewer = await cx.http('viewer');
    const rejections = await (await viewer.get(`/rejections?run=${hostile.runId}`)).text();
    expect(rejections).toContain(`<span class="value">${escaped}</span>`);
    expect(rejections).not.toContain('<script');
    // The delivery's one accepted row is the newest record.
    const record: { id: number } = await cx.fx.owner('records').orderBy('id', 'desc').first('id');
    const recordPage = await (await viewer.get(`/records/${record.id}`)).text();
    expect(recordPage).toContain(`<span class="value" data-field="CF_SY">${escaped}</span>`);
    expect(recordPage).not.toContain('<script');
    const page = await cx.page('viewer');
    await page.goto(`${cx.baseUrl}/records/${record.id}`);
    expect(await page.locator('#current-version').textContent()).toContain(HOSTILE_TEXT);
    await page.context().close();
  });
});
