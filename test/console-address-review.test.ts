import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dayRange } from '../src/console/request-values.ts';
import { urlAsShown, urlHoldsId } from '../src/console/url-shown.ts';
import { checkUscc, computeUsccCheckChar } from '../src/identifiers/uscc.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { PAGE_DATA, seedConsolePages } from './support/console-pages-data.ts';

/**
 * The hostile review's address findings, over real HTTP against real PostgreSQL: an address the router cannot
 * read is the console's Chinese 400 page with its headers, the ID number in it masked (never Fastify's English
 * JSON quoting it); a day that does not exist on /runs is a 400, not a 500; an unmasked view of a thing that does
 * not exist is a 404 that logs nothing; the unmask form carries no ID number typed into the query; a control
 * character in an address is not echoed raw on the 404 page.
 */

/** A made-up resident ID with a valid check digit: masked as 3701**********1231. */
const ID = '370102199001011231';
const MASKED = '3701**********1231';

let cx: ConsoleFixture;
let runId: number;
let noticeId: number;
let personRecord: number;

const views = async () => (await cx.fx.owner('unmask_views').orderBy('id').pluck('what')) as string[];

beforeAll(async () => {
  cx = await openConsoleFixture('console_address_review', { browser: false });
  ({ runId, noticeId } = await seedConsolePages(cx.fx));
  const [record] = await cx.fx.owner('records').where({ subject_code: PAGE_DATA.personId }).pluck('id');
  personRecord = Number(record);
}, 120_000);
afterAll(async () => cx?.close());
afterEach(() => {
  vi.restoreAllMocks();
});

/** The headers every answer of the console carries (console-server.ts). */
function expectConsoleHeaders(response: Response, what: string) {
  expect(response.headers.get('content-type'), what).toBe('text/html; charset=utf-8');
  expect(response.headers.get('cache-control'), what).toBe('no-store');
  expect(response.headers.get('content-security-policy'), what).toContain("default-src 'self'");
  expect(response.headers.get('x-frame-options'), what).toBe('DENY');
  expect(response.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect(response.headers.get('referrer-policy'), what).toBe('same-origin');
}

describe('an address the router cannot read', () => {
  it('is the console’s Chinese 400 page with its headers, the ID number masked, logged in or not', async () => {
    const viewer = await cx.http('viewer');
    const anonymous = await cx.http();
    for (const address of [`/subjects/${ID}%ff`, `/runs${ID}%ff`, `/records/${ID}%ff?q=1`]) {
      for (const client of [anonymous, viewer]) {
        const response = await client.get(address);
        expect(response.status, address).toBe(400);
        expectConsoleHeaders(response, address);
        const text = await response.text();
        expect(text, address).toContain('<h1>请求有误</h1>');
        expect(text, address).toContain('网址无法识别');
        expect(text, address).toContain(MASKED);
        expect(text, address).not.toContain(ID);
        expect(text, address).not.toMatch(/FST_ERR|Bad Request|not a valid url/);
      }
    }
  });

  it('too long a path parameter: a Chinese 414 page, nothing of the address in English', async () => {
    const response = await (await cx.http('viewer')).get(`/subjects/${ID}${'x'.repeat(200)}`);
    expect(response.status).toBe(414);
    expectConsoleHeaders(response, '414');
    const text = await response.text();
    expect(text).toContain('网址过长');
    expect(text).not.toContain(ID);
    expect(text).not.toMatch(/FST_ERR|exceeding/);
  });

  it('any other framework refusal (content type, malformed JSON, body over the limit) is a Chinese page too', async () => {
    const viewer = await cx.http('viewer');
    const csrf = await viewer.csrfToken();
    const post = (type: string, body: string) =>
      fetch(`${cx.baseUrl}/records?x=${ID}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: viewer.cookie ?? '', 'x-csrf-token': csrf, 'content-type': type },
        body,
      });
    for (const [type, body, status, says] of [
      ['application/x-unknown', ID, 415, '不支持提交的内容类型'],
      ['application/json', `{"q":"${ID}"`, 400, '请求格式有误'],
      ['application/json', '', 400, '请求格式有误'],
      [
        'application/x-www-form-urlencoded',
        `q=${ID}&x=${'a'.repeat(1024 * 1024)}`,
        413,
        '提交的内容超过上限',
      ],
    ] as const) {
      const response = await post(type, body);
      expect(response.status, type).toBe(status);
      expectConsoleHeaders(response, type);
      const text = await response.text();
      expect(text, type).toContain(says);
      expect(text, type).not.toContain(ID);
      expect(text, type).not.toMatch(/FST_ERR|Unsupported|Unexpected|JSON/);
    }
  });
});

describe('a day on /runs', () => {
  it('that does not exist is a 400 in Chinese, never a 500 with the SQL in the log', async () => {
    const errors = vi.spyOn(cx.deps.logger, 'error');
    const viewer = await cx.http('viewer');
    for (const [address, day] of [
      ['/runs?from=2026-02-30', '2026-02-30'],
      ['/runs?to=2026-04-31', '2026-04-31'],
      ['/runs?from=2026-13-01', '2026-13-01'],
      [`/runs?to=${ID}`, MASKED],
    ] as const) {
      const response = await viewer.get(address);
      expect(response.status, address).toBe(400);
      const text = await response.text();
      // Read as a range (request-values.ts dayRange): `分区日期有误：起始日期 …`.
      expect(text, address).toMatch(
        new RegExp(`分区日期有误：(起始|截止)日期 ${day.replace(/\*/g, '\\*')} 不是有效日期`),
      );
      expect(text, address).not.toContain(ID);
    }
    expect(errors).not.toHaveBeenCalled();
    // A reversed period is refused naming both days, not replaced by another.
    const reversed = await viewer.get('/runs?from=2026-01-01&to=2020-01-01');
    expect(reversed.status).toBe(400);
    expect(await reversed.text()).toContain('分区日期有误：起始日期 2026-01-01 晚于截止日期 2020-01-01');
    // A real period still lists.
    expect((await viewer.get('/runs?from=2026-11-01&to=2026-11-30')).status).toBe(200);
    expect((await viewer.get('/runs?from=&to=')).status).toBe(200);
  });

  it('a period read by dayRange: a reversed one is a 400 naming both days', () => {
    expect(dayRange({ from: '2026-01-01', to: '2026-01-31' }, '分区日期')).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
    });
    expect(dayRange({ from: '', to: undefined }, '分区日期')).toEqual({ from: undefined, to: undefined });
    expect(() => dayRange({ from: '2026-01-01', to: '2020-01-01' }, '分区日期')).toThrow(
      '分区日期有误：起始日期 2026-01-01 晚于截止日期 2020-01-01',
    );
    expect(() => dayRange({ to: '2026-02-29' }, '分区日期')).toThrow(
      '分区日期有误：截止日期 2026-02-29 不是有效日期',
    );
    expect(() => dayRange({ from: ID }, '分区日期')).toThrow(`起始日期 ${MASKED} 不是有效日期`);
  });

  it('before 1900 is told so on /rejections and /quality, not called a day that does not exist', async () => {
    const viewer = await cx.http('viewer');
    for (const address of [
      '/rejections?from=0001-01-01',
      '/quality?from=0001-01-01',
      '/runs?from=1899-12-31',
    ]) {
      const response = await viewer.get(address);
      expect(response.status, address).toBe(400);
      const text = await response.text();
      expect(text, address).toMatch(/(起始|分区)日期 (0001-01-01|1899-12-31) 早于 1900 年/);
      expect(text, address).not.toContain('不是有效日期');
    }
  });
});

describe('an unmasked view of a thing that does not exist', () => {
  it('is a 404 that logs nothing: a notice, its workbook, a record', async () => {
    const auditor = await cx.http('auditor');
    const asked = { unmask: '1', reason: '复核通知核对' };
    const answers: [string, number, string[]][] = [];
    for (const [address, post] of [
      ['/notices/999/notice.xlsx', true],
      ['/notices/999/notice.xlsx', false],
      ['/notices/999', true],
      ['/records/99999', true],
    ] as const) {
      const before = await views();
      const response = post ? await auditor.post(address, asked) : await auditor.get(address);
      expect(await response.text(), address).toMatch(/页面不存在|服务器错误/);
      answers.push([address, response.status, (await views()).slice(before.length)]);
    }
    expect(answers).toEqual([
      ['/notices/999/notice.xlsx', 404, []],
      ['/notices/999/notice.xlsx', 404, []],
      ['/notices/999', 404, []],
      ['/records/99999', 404, []],
    ]);
  });

  it('nor a subject code no record has; one that exists is logged as before', async () => {
    const first17 = '91370102MA3C8Y2X2';
    const nobody = first17 + computeUsccCheckChar(first17);
    expect(checkUscc(nobody)?.severity).not.toBe('error');
    const auditor = await cx.http('auditor');
    let before = await views();
    const empty = await auditor.post(`/subjects/${nobody}`, { unmask: '1', reason: '复核异议申请' });
    expect(empty.status).toBe(200);
    expect(await views()).toEqual(before);
    before = await views();
    const shown = await auditor.post(`/records/${personRecord}`, { unmask: '1', reason: '复核异议申请' });
    expect(await shown.text()).toContain(PAGE_DATA.personId);
    const workbook = await auditor.post(`/notices/${noticeId}/notice.xlsx`, {
      unmask: '1',
      reason: '复核通知核对',
    });
    expect(workbook.status).toBe(200);
    expect(await views()).toEqual([...before, `记录 ${personRecord}`, `复核通知 ${noticeId} 下载（XLSX）`]);
  });
});

describe('the unmask form of a page whose query holds an ID number', () => {
  it('posts to the page’s address less that parameter: no number in the page, a filter kept', async () => {
    const auditor = await cx.http('auditor');
    for (const [address, target] of [
      [`/runs/${runId}?x=${ID}`, `/runs/${runId}`],
      [`/records/${personRecord}?x=${ID}`, `/records/${personRecord}`],
      [`/subjects/r${personRecord}?x=${ID}`, `/subjects/r${personRecord}`],
      [`/rejections?before=${ID}`, '/rejections'],
      [`/rejections?run=${runId}&before=${ID}`, `/rejections?run=${runId}`],
      [`/rejections?run=${runId}&x=${ID.slice(0, 6)}%20${ID.slice(6)}`, `/rejections?run=${runId}`],
    ] as const) {
      const response = await auditor.get(address);
      expect(response.status, address).toBe(200);
      const text = await response.text();
      expect(text, address).toContain(
        `<form method="post" action="${target.replace('&', '&amp;')}" id="unmask-form"`,
      );
      expect(text, address).not.toContain(ID);
      expect(text, address).not.toContain(ID.slice(6));
    }
    // Unmasked, the link back to the masked page is the same address.
    const shown = await (
      await auditor.post(`/rejections?run=${runId}&before=${ID}`, { unmask: '1', reason: '核对拒收原因' })
    ).text();
    expect(shown).toContain(`<a href="/rejections?run=${runId}" id="mask-again">`);
    expect(shown).not.toContain(`before=${ID}`);
  });
});

describe('a control character in an address', () => {
  it('is shown as U+FFFD on the 404 page, never raw', async () => {
    expect(urlAsShown('/runs/%00%0A')).toBe('/runs/\uFFFD\uFFFD');
    expect(urlHoldsId('/runs/%00')).toBe(false);
    const response = await (await cx.http('viewer')).get('/runs/%00');
    expect(response.status).toBe(404);
    const text = await response.text();
    expect(text).toContain('没有这个页面：/runs/\uFFFD');
    expect(text).not.toMatch(/\p{Cc}(?<![\n\t])/u);
  });
});
