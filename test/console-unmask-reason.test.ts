import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { PAGE_DATA, seedConsolePages } from './support/console-pages-data.ts';

/**
 * The console review's unmask findings, over real HTTP against real PostgreSQL: unmasking is a POST with the CSRF
 * token and a reason (查询事由) kept in the log, never a GET or HEAD; a subject's ID number typed into the address
 * is sent on to `r<record id>` before anything is shown or logged; and the login form neither echoes a typed ID
 * number nor fails with a 500 on a JSON body whose fields are not text.
 */

let cx: ConsoleFixture;
let runId: number;
let noticeId: number;
let personRecord: number;

const ID = PAGE_DATA.personId;
const views = async () =>
  (await cx.fx.owner('unmask_views').orderBy('id').select('user_name', 'what', 'reason')) as {
    user_name: string;
    what: string;
    reason: string | null;
  }[];

beforeAll(async () => {
  cx = await openConsoleFixture('console_unmask_reason', { browser: false });
  ({ runId, noticeId } = await seedConsolePages(cx.fx));
  const [record] = await cx.fx.owner('records').where({ subject_code: ID }).pluck('id');
  personRecord = Number(record);
}, 120_000);
afterAll(async () => cx?.close());

describe('unmasking asks for a reason, by a POST with the CSRF token', () => {
  it('shows nothing unmasked to a GET or a HEAD, whatever the query says, and logs nothing', async () => {
    const auditor = await cx.http('auditor');
    for (const method of ['GET', 'HEAD']) {
      const response = await fetch(`${cx.baseUrl}/records/${personRecord}?unmask=1`, {
        method,
        redirect: 'manual',
        headers: { cookie: auditor.cookie ?? '' },
      });
      expect(response.status, method).toBe(200);
      expect(await response.text(), method).not.toContain(ID);
    }
    const page = await (await auditor.get(`/records/${personRecord}`)).text();
    // The switch is a form posting to the page's own address: the reason, the CSRF token, no number.
    expect(page).toContain(`<form method="post" action="/records/${personRecord}" id="unmask-form"`);
    expect(page).toMatch(/id="unmask-form"[\s\S]*name="_csrf" value="[^"]+"[\s\S]*name="reason"/);
    expect(page).not.toContain('?unmask=1');
    expect(await views()).toEqual([]);
  });

  it('refuses a POST without a reason (Chinese message) or without the CSRF token, logging nothing', async () => {
    const auditor = await cx.http('auditor');
    for (const reason of [undefined, '', '   ', '看看']) {
      const form: Record<string, string> = { unmask: '1' };
      if (reason !== undefined) form.reason = reason;
      const response = await auditor.post(`/records/${personRecord}`, form);
      const text = await response.text();
      expect(text, String(reason)).not.toContain(ID);
      expect(text, String(reason)).toContain('请填写查询事由');
    }
    const forged = await auditor.post(
      `/records/${personRecord}`,
      { unmask: '1', reason: '复核异议申请' },
      { csrf: false },
    );
    expect(forged.status).toBe(403);
    expect(await forged.text()).not.toContain(ID);
    expect(await views()).toEqual([]);
  });

  it('unmasks on a POST with a reason, logs the reason (an ID number in it masked) and shows it on /unmask-log', async () => {
    const auditor = await cx.http('auditor');
    const response = await auditor.post(`/records/${personRecord}`, {
      unmask: '1',
      reason: `复核异议申请（申请人 ${PAGE_DATA.idInUsccColumn}）`,
    });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(ID);
    expect(page).toContain('本次查看已记录');
    const reason = `复核异议申请（申请人 ${PAGE_DATA.idInUsccColumnMasked}）`;
    expect(await views()).toEqual([{ user_name: 'auditor', what: `记录 ${personRecord}`, reason }]);
    // A viewer's POST unmasks nothing.
    const viewer = await cx.http('viewer');
    const viewed = await viewer.post(`/records/${personRecord}`, { unmask: '1', reason: '复核异议申请' });
    expect(await viewed.text()).not.toContain(ID);
    expect(await views()).toHaveLength(1);
    const log = await (await auditor.get('/unmask-log')).text();
    expect(log).toContain('<th>查询事由</th>');
    expect(log).toContain(`<td>${reason}</td>`);
    expect(log).not.toContain(PAGE_DATA.idInUsccColumn);
  });

  it('carries the reason on, by a form, to an unmasked list’s download (logged again)', async () => {
    const auditor = await cx.http('auditor');
    const list = await (
      await auditor.post(`/rejections?run=${runId}`, { unmask: '1', reason: '核对拒收原因' })
    ).text();
    expect(list).toContain(PAGE_DATA.idInUsccColumn);
    expect(list).not.toContain('unmask=1');
    expect(list).toContain(`<form method="post" action="/rejections/download?run=${runId}&amp;format=csv"`);
    const csv = await auditor.post(`/rejections/download?run=${runId}&format=csv`, {
      unmask: '1',
      reason: '核对拒收原因',
    });
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain(PAGE_DATA.idInUsccColumn);
    const logged = (await views()).slice(-2);
    expect(logged.map((view) => view.reason)).toEqual(['核对拒收原因', '核对拒收原因']);
    expect(logged[1]!.what).toContain('拒收数据报告下载（csv）');
    // A link (GET) downloads masked.
    const masked = await auditor.get(`/rejections/download?run=${runId}&format=csv&unmask=1`);
    expect(await masked.text()).not.toContain(PAGE_DATA.idInUsccColumn);
    expect(await views()).toHaveLength(3);
  });

  it('carries it on from an unmasked notice to its workbook; the masked notice links the masked one', async () => {
    const auditor = await cx.http('auditor');
    const count = (await views()).length;
    const masked = await (await auditor.get(`/notices/${noticeId}`)).text();
    expect(masked).toContain(`<a id="download-notice" href="/notices/${noticeId}/notice.xlsx">`);
    const shown = await (
      await auditor.post(`/notices/${noticeId}`, { unmask: '1', reason: '复核通知核对' })
    ).text();
    expect(shown).toContain(`<form method="post" action="/notices/${noticeId}/notice.xlsx">`);
    expect(shown).toContain('name="reason" value="复核通知核对"');
    const workbook = await auditor.post(`/notices/${noticeId}/notice.xlsx`, {
      unmask: '1',
      reason: '复核通知核对',
    });
    expect(workbook.status).toBe(200);
    expect(workbook.headers.get('content-disposition')).toContain(encodeURIComponent('未脱敏'));
    const logged = (await views()).slice(count);
    expect(logged.map((view) => [view.what, view.reason])).toEqual([
      [`复核通知 ${noticeId} 的问题清单`, '复核通知核对'],
      [`复核通知 ${noticeId} 下载（XLSX）`, '复核通知核对'],
    ]);
  });
});

describe("a subject's ID number typed into the address", () => {
  const variants = [
    ID,
    encodeURIComponent(`${ID.slice(0, 4)} ${ID.slice(4)}`),
    encodeURIComponent(ID.replace(/\d/g, (digit) => String.fromCharCode(0xff10 + Number(digit)))),
    `${ID.slice(0, 6)}-${ID.slice(6, 14)}-${ID.slice(14)}`,
  ];

  it('is sent on (303) to /subjects/r<record id> before anything is shown, in every form', async () => {
    const auditor = await cx.http('auditor');
    const count = (await views()).length;
    for (const typed of variants) {
      for (const response of [
        await auditor.get(`/subjects/${typed}?unmask=1`),
        await auditor.post(`/subjects/${typed}`, { unmask: '1', reason: '复核异议申请' }),
      ]) {
        expect(response.status, typed).toBe(303);
        expect(response.headers.get('location'), typed).toBe(`/subjects/r${personRecord}`);
        expect(await response.text(), typed).not.toContain(ID);
      }
    }
    expect(await views()).toHaveLength(count);
  });

  it('so the masked page carries no number in its unmask form, and the log names r<id>', async () => {
    const auditor = await cx.http('auditor');
    const count = (await views()).length;
    const masked = await (await auditor.get(`/subjects/r${personRecord}`)).text();
    expect(masked).not.toContain(ID);
    expect(masked).toContain(`action="/subjects/r${personRecord}" id="unmask-form"`);
    const shown = await auditor.post(`/subjects/r${personRecord}`, { unmask: '1', reason: '复核异议申请' });
    expect(await shown.text()).toContain(ID);
    const logged = await views();
    expect(logged).toHaveLength(count + 1);
    expect(logged.at(-1)).toEqual({
      user_name: 'auditor',
      what: `主体档案 r${personRecord}`,
      reason: '复核异议申请',
    });
  });
});

describe('the login form', () => {
  const login = (body: string, type: string) =>
    fetch(`${cx.baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': type },
      body,
    });

  it('does not echo a typed ID number as the name; any other name is kept', async () => {
    const typed = await login(
      new URLSearchParams({ name: ID, password: 'wrong-password' }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(typed.status).toBe(401);
    const text = await typed.text();
    expect(text).not.toContain(ID);
    expect(text).toContain('name="name" autocomplete="username" required value=""');
    const other = await login(
      new URLSearchParams({ name: 'someone', password: 'wrong-password' }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(await other.text()).toContain('value="someone"');
  });

  it('answers a JSON body whose fields are not text with 400 in Chinese, not a 500', async () => {
    for (const body of [
      { name: 'x', password: 1 },
      { name: ['x'], password: 'y' },
      { name: 'x', password: 'y', next: { a: 1 } },
    ]) {
      const response = await login(JSON.stringify(body), 'application/json');
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(await response.text()).toContain('用户名、密码须为文本');
    }
    const log = readFileSync(path.join(cx.fx.scratch, 'console.log'), 'utf8');
    expect(log).not.toContain('is not a function');
  });
});
