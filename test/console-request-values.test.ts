import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildConsole } from '../src/console/console-server.ts';
import { homeOf } from '../src/console/nav.ts';
import { hashPassword } from '../src/console/password-hash.ts';
import { urlAsShown, urlHoldsId } from '../src/console/url-shown.ts';
import { addConsoleUser } from '../src/warehouse/console-users-repository.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { PAGE_DATA, seedConsolePages } from './support/console-pages-data.ts';

/**
 * The console's reading of what a request carries, each finding of the curl review over real HTTP against real
 * PostgreSQL: a NUL byte or a parameter given twice is a 400 in Chinese (a failed login for a name), never a 500;
 * a resident ID number typed into a filter, a search address or the direct-report form is neither carried into a
 * link nor echoed clear, nor logged clear when percent-encoded; a subject's address that names nothing is a 404.
 */

/** 370102197503040770 is a valid resident ID: masked as 3701**********0770. */
const ID = '370102197503040770';
const MASKED = '3701**********0770';
/** The ID's digits, each percent-encoded: what a browser may send, and what the log must not keep. */
const ENCODED_ID = [...ID].map((digit) => `%3${digit}`).join('');

let cx: ConsoleFixture;
let personRecord: number;

beforeAll(async () => {
  cx = await openConsoleFixture('console_request_values', { browser: false });
  await seedConsolePages(cx.fx);
  const [record] = await cx.fx.owner('records').where({ subject_code: PAGE_DATA.personId }).pluck('id');
  personRecord = Number(record);
  // A provider the registry lists (济南市, config/providers.json): an unlisted one (the fixture's `provider`) is
  // refused before its form is read, so its entry would not be echoed.
  await addConsoleUser(cx.fx.warehouse, {
    name: 'jinan',
    role: 'provider',
    providerCode: '11370100MB28174284',
    passwordHash: await hashPassword('jinan-password-1'),
  });
}, 120_000);
afterAll(async () => cx?.close());
afterEach(() => {
  vi.restoreAllMocks();
});

/** The listed provider's session: its cookie and CSRF token. */
async function listedProvider(): Promise<{ cookie: string; csrf: string }> {
  const login = await fetch(`${cx.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name: 'jinan', password: 'jinan-password-1' }),
  });
  const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
  const page = await (await fetch(`${cx.baseUrl}/direct-report`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]*)"/.exec(page)?.[1] ?? '' };
}

/** A raw request with the viewer's session: the body as given (a repeated field, JSON, a NUL byte). */
async function send(path: string, init: { method?: string; type?: string; body?: string } = {}) {
  const viewer = await cx.http('viewer');
  const csrf = await viewer.csrfToken();
  return fetch(`${cx.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    redirect: 'manual',
    headers: {
      cookie: viewer.cookie ?? '',
      'x-csrf-token': csrf,
      ...(init.type ? { 'content-type': init.type } : {}),
    },
    body: init.body,
  });
}

const FORM = 'application/x-www-form-urlencoded';

describe('a NUL byte or a parameter given twice', () => {
  it('is answered with 400 and a Chinese message on every page, logging no error', async () => {
    const errors = vi.spyOn(cx.deps.logger, 'error');
    for (const [path, init] of [
      ['/rejections?code=%00', {}],
      ['/rejections?provider=%00', {}],
      ['/rejections?catalog=%00', {}],
      ['/rejections?provider=a&provider=b', {}],
      ['/rejections/download?provider=%00&from=2026-11-01&to=2026-11-30', {}],
      ['/runs?pipeline=%00', {}],
      ['/runs?pipeline=a&pipeline=b', {}],
      ['/records?q=%00', {}],
      ['/records?q=a&q=b', {}],
      ['/records', { method: 'POST', type: FORM, body: 'q=a&q=b' }],
      ['/records', { method: 'POST', type: FORM, body: 'q=%00' }],
      ['/records', { method: 'POST', type: 'application/json', body: '{"q":1}' }],
      ['/subjects/%00', {}],
      [`/subjects/${ENCODED_ID}%00`, {}],
    ] as const) {
      const response = await send(path, init);
      const what = `${init.method ?? 'GET'} ${path} ${init.body ?? ''}`;
      expect(response.status, what).toBe(400);
      const text = await response.text();
      expect(text, what).toContain('请求有误');
      expect(text, what).toMatch(/无法识别：只能填写一项文本，且不能含控制字符/);
      expect(text, what).not.toContain(ID);
    }
    expect(errors).not.toHaveBeenCalled();
  });

  it('in an unmask reason keeps the page masked with a Chinese message, logging nothing', async () => {
    const auditor = await cx.http('auditor');
    const response = await auditor.post(`/records/${personRecord}`, {
      unmask: '1',
      reason: '复核异议\u0000申请',
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('查询事由不能含控制字符');
    expect(text).not.toContain(PAGE_DATA.personId);
    expect(await cx.fx.owner('unmask_views').pluck('id')).toEqual([]);
  });

  it('in a login name is a failed login (401) that counts for the throttle, never a 500', async () => {
    const errors = vi.spyOn(cx.deps.logger, 'error');
    const warnings = vi.spyOn(cx.deps.logger, 'warn');
    const login = (body: string) =>
      fetch(`${cx.baseUrl}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': FORM },
        body,
      });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login('name=thr%00&password=some-password-1')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const failed = await (await login('name=thr%00x&password=some-password-1')).text();
    expect(failed).toContain('用户名或密码错误');
    expect(failed).toContain('name="name" autocomplete="username" required value=""');
    // A name given twice stays what it was: the form's fields must be text.
    expect((await login('name=a&name=b&password=x')).status).toBe(400);
    expect(errors).not.toHaveBeenCalled();
    // The failed logins are logged with the name escaped: a control character in it forges no log line.
    expect((await login('name=x%0Aconsole%3A+admin+logged+in&password=x')).status).toBe(401);
    const logged = warnings.mock.calls
      .map(([message]) => message)
      .filter((line) => line.includes('failed login'));
    expect(logged).toContain('console: failed login for "thr\\u0000" from 127.0.0.1');
    expect(logged.join('')).not.toMatch(/\p{Cc}/u);
  });

  it('in `next` of the login page is not followed (no Location of two paths joined)', async () => {
    const viewer = await cx.http('viewer');
    const response = await viewer.get('/login?next=/quality&next=/rejections');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(homeOf('viewer'));
  });
});

describe('a resident ID number typed by hand', () => {
  it('in the runs filter is refused (400): it never stands in the page links', async () => {
    for (const path of [
      `/runs?pipeline=${ID}&before=5`,
      `/runs?pipeline=${ID.slice(0, 6)}%20${ID.slice(6)}`,
    ]) {
      const response = await send(path);
      expect(response.status, path).toBe(400);
      const text = await response.text();
      expect(text, path).toContain('筛选条件中不能含身份证号码');
      expect(text, path).not.toMatch(/370102 ?197503040770/);
    }
    expect((await send('/runs?pipeline=daily-xzcf&before=5')).status).toBe(200);
  });

  it('in a search address (GET) is not searched: 400, use the search form', async () => {
    for (const q of [PAGE_DATA.personId, ID, `${ID.slice(0, 6)} ${ID.slice(6)}`]) {
      const response = await send(`/records?q=${encodeURIComponent(q)}`);
      expect(response.status, q).toBe(400);
      const text = await response.text();
      expect(text, q).toContain('请在本页的查询框中输入后点“查询”');
      expect(text, q).not.toContain(q);
      expect(text, q).not.toContain(PAGE_DATA.personIdMasked);
    }
    // The form posts it, and finds the person's records; a decision number is still searched by a link.
    const posted = await send('/records', { method: 'POST', type: FORM, body: `q=${PAGE_DATA.personId}` });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain(`/subjects/r${personRecord}`);
    const linked = await send(`/records?q=${encodeURIComponent(PAGE_DATA.decision)}`);
    expect(linked.status).toBe(200);
    expect(await linked.text()).toContain(PAGE_DATA.companyUscc);
  });

  it('as the direct-report catalog is echoed masked', async () => {
    const provider = await listedProvider();
    const body = new FormData();
    body.set('catalog', ID);
    body.set('file', new Blob(['a,b\r\n1,2\r\n'], { type: 'text/csv' }), 'rows.csv');
    const response = await fetch(`${cx.baseUrl}/direct-report?_csrf=${provider.csrf}`, {
      method: 'POST',
      headers: { cookie: provider.cookie },
      body,
    });
    expect(response.status).toBe(403);
    const text = await response.text();
    expect(text).toContain(`目录“${MASKED}”不是本单位`);
    expect(text).not.toContain(ID);
  });

  it('as the direct-report catalog is logged masked, a mistyped number too', async () => {
    const provider = await listedProvider();
    const warnings = vi.spyOn(cx.deps.logger, 'warn');
    // The check character is wrong: the logger's own masking (numbers that check) would let it through.
    const mistyped = `${ID.slice(0, 17)}1`;
    const body = new FormData();
    body.set('catalog', mistyped);
    body.set('file', new Blob(['a,b\r\n1,2\r\n'], { type: 'text/csv' }), 'rows.csv');
    const response = await fetch(`${cx.baseUrl}/direct-report?_csrf=${provider.csrf}`, {
      method: 'POST',
      headers: { cookie: provider.cookie },
      body,
    });
    expect(response.status).toBe(403);
    const logged = warnings.mock.calls.map((call) => String(call[0])).join('\n');
    expect(logged).toContain('tried to report');
    expect(logged).not.toContain(mistyped);
    expect(logged).toContain('3701**********');
  });

  it('percent-encoded in the address of a failing request is logged masked, decodable or not', async () => {
    const app = await buildConsole(cx.deps);
    app.get('/failing/*', async () => {
      throw new Error('the warehouse went away');
    });
    const errors = vi.spyOn(cx.deps.logger, 'error').mockImplementation(() => {});
    try {
      for (const url of [
        `/failing/${ENCODED_ID}`,
        `/failing/${ENCODED_ID}?_csrf=secret`,
        `/failing/%E4%B8%AD${ENCODED_ID}%0Aforged`,
      ]) {
        errors.mockClear();
        const response = await app.inject({ method: 'GET', url });
        expect(response.statusCode, url).toBe(500);
        expect(errors, url).toHaveBeenCalledTimes(1);
        const logged = String(errors.mock.calls[0]![0]);
        expect(logged, url).toContain(MASKED);
        expect(logged, url).not.toMatch(/%3\d|370102197503040770|secret|\n/);
      }
    } finally {
      await app.close();
    }
    // Fastify answers an address whose escapes do not decode with 400 before any page; shown or logged all the
    // same, its escaped digits are read as digits, the bytes that are no character as U+FFFD.
    for (const url of [`/x/${ENCODED_ID}%FF`, `/x/%E4%B8${ENCODED_ID}`, `/x?q=${ENCODED_ID}%C0`]) {
      expect(urlAsShown(url), url).toContain(MASKED);
      expect(urlAsShown(url), url).not.toMatch(/%3\d/);
      expect(urlHoldsId(url), url).toBe(true);
    }
  });
});

describe("a subject's address", () => {
  it('that is no valid code, nor any subject, nor r<id> of a record, is a 404', async () => {
    for (const path of [
      '/subjects/r5abc',
      '/subjects/r999999999999999999999',
      '/subjects/r0',
      '/subjects/r99999999',
      '/subjects/anything',
      '/subjects/91370102001000010Y',
    ]) {
      const response = await send(path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).toContain('没有这个页面');
    }
  });

  it('that is a valid USCC, known or not, an existing record or a typed ID, answers as before', async () => {
    const company = await send(`/subjects/${PAGE_DATA.companyUscc}`);
    expect(company.status).toBe(200);
    expect(await company.text()).toContain(PAGE_DATA.decision);
    // A valid USCC no record has yet: its archive, empty.
    expect((await send('/subjects/91370102MA3C00003L')).status).toBe(200);
    expect((await send(`/subjects/r${personRecord}`)).status).toBe(200);
    const typed = await send(`/subjects/${PAGE_DATA.personId}`);
    expect(typed.status).toBe(303);
    expect(typed.headers.get('location')).toBe(`/subjects/r${personRecord}`);
    expect((await send(`/subjects/${ID}`)).status).toBe(404);
  });
});
