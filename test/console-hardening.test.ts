import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { homeOf } from '../src/console/nav.ts';
import { hashPassword } from '../src/console/password-hash.ts';
import { addConsoleUser } from '../src/warehouse/console-users-repository.ts';
import { CONSOLE_USERS, type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { passportHolderPenalty } from './support/passport-holder-penalty.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';

/**
 * The console's audit findings, each over real HTTP against real PostgreSQL: the login throttle against parallel
 * attempts, `next` that browsers would read as another site, ID numbers echoed from what was typed or uploaded,
 * bad filter values and ids that were 500s, and a rejection report left behind when writing it failed.
 */

/** Writing a rejection report fails (after writing part of it) while this is on. */
const failingWrite = vi.hoisted(() => ({ on: false }));
vi.mock('../src/report/write-rejection-report.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/report/write-rejection-report.ts')>();
  return {
    ...original,
    async writeRejectionReport(...args: Parameters<typeof original.writeRejectionReport>) {
      if (!failingWrite.on) return original.writeRejectionReport(...args);
      writeFileSync(args[3], 'half a report');
      throw new Error('no space left on device');
    },
  };
});

/** Password checks begun: each is an attempt the login throttle let in. */
const checksBegun = vi.hoisted(() => ({ count: 0 }));
vi.mock('../src/console/password-hash.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/console/password-hash.ts')>();
  return {
    ...original,
    async verifyPassword(...args: Parameters<typeof original.verifyPassword>) {
      checksBegun.count++;
      return original.verifyPassword(...args);
    },
  };
});

/** 370103199005170121 is a valid resident ID: checked, masked as 3701**********0121. */
const ID = '370103199005170121';
const MASKED = '3701**********0121';
const JINAN = { name: 'jinan', password: 'jinan-password-1', providerCode: '11370100MB28174284' };

let cx: ConsoleFixture;

beforeAll(async () => {
  cx = await openConsoleFixture('console_hardening', { browser: false });
  await addConsoleUser(cx.fx.warehouse, {
    name: JINAN.name,
    role: 'provider',
    providerCode: JINAN.providerCode,
    passwordHash: await hashPassword(JINAN.password),
  });
}, 120_000);
afterAll(async () => cx?.close());
afterEach(() => {
  vi.restoreAllMocks();
  failingWrite.on = false;
});

const login = (name: string, password: string, next?: string) =>
  fetch(`${cx.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name, password, ...(next === undefined ? {} : { next }) }),
  });

const addUser = async (name: string, password: string) =>
  addConsoleUser(cx.fx.warehouse, { name, role: 'viewer', passwordHash: await hashPassword(password) });

describe('the login throttle against parallel attempts', () => {
  it('checks at most 5 of 12 wrong passwords sent at once; the other 7 are refused (429)', async () => {
    await addUser('parallel', 'the-right-password');
    const statuses = (
      await Promise.all(Array.from({ length: 12 }, () => login('parallel', 'wrong-password')))
    ).map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(7);
    expect((await login('parallel', 'the-right-password')).status).toBe(429);
  });

  it('refuses the right password sent while the wrong ones before it are still being checked', async () => {
    await addUser('raced', 'the-right-password');
    checksBegun.count = 0;
    const wrong = Promise.all(Array.from({ length: 12 }, () => login('raced', 'wrong-password')));
    // Sent once five wrong ones are let in and being checked (scrypt, 0.1 s and more each), not after a fixed
    // pause: on a loaded machine a pause can end before any of them has reached the server.
    await vi.waitFor(() => expect(checksBegun.count).toBeGreaterThanOrEqual(5), {
      timeout: 30_000,
      interval: 5,
    });
    const right = await login('raced', 'the-right-password');
    expect(right.status).toBe(429);
    expect(right.headers.get('set-cookie')).toBeNull();
    expect(await right.text()).toMatch(/登录失败次数过多，请 1[45] 分钟后再试/);
    expect((await wrong).filter((response) => response.status === 401)).toHaveLength(5);
  });
});

describe('`next` after login', () => {
  /** Browsers drop tabs and line breaks anywhere, controls and spaces at the ends: each is `//evil.example`. */
  const BAD_NEXT = [
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r/evil.example',
    '/\r\n/x',
    '\t//evil.example',
    '/\x00/evil.example',
    '/ /evil.example',
    '/\u3000/evil.example',
    '//evil.example',
    '/\\evil.example',
  ];

  it('is not followed when logged in already (GET), nor a 500 for a line break', async () => {
    const viewer = await cx.http('viewer');
    for (const next of BAD_NEXT) {
      const response = await viewer.get(`/login?next=${encodeURIComponent(next)}`);
      expect(response.status, JSON.stringify(next)).toBe(303);
      expect(response.headers.get('location'), JSON.stringify(next)).toBe(homeOf('viewer'));
    }
    const good = await viewer.get(`/login?next=${encodeURIComponent('/runs?from=2026-11-01')}`);
    expect(good.headers.get('location')).toBe('/runs?from=2026-11-01');
    const form = await (await cx.http()).get(`/login?next=${encodeURIComponent('/\t/evil.example')}`);
    expect(await form.text()).toContain('name="next" value=""');
  });

  it('is not followed after logging in (POST)', async () => {
    for (const next of BAD_NEXT) {
      const response = await login(CONSOLE_USERS.auditor.name, CONSOLE_USERS.auditor.password, next);
      expect(response.status, JSON.stringify(next)).toBe(303);
      expect(response.headers.get('location'), JSON.stringify(next)).toBe(homeOf('auditor'));
    }
  });
});

describe('ID numbers typed or uploaded are not echoed', () => {
  it('masks the file name in the message about a broken zip', async () => {
    const login = await fetch(`${cx.baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(JINAN),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const form = await (await fetch(`${cx.baseUrl}/direct-report`, { headers: { cookie } })).text();
    const csrf = /action="\/direct-report\?_csrf=([^"]+)"/.exec(form)![1];
    const body = new FormData();
    body.set('catalog', 'xzcf');
    body.set('file', new Blob(['this is no zip'], { type: 'application/zip' }), `${ID}.zip`);
    const response = await fetch(`${cx.baseUrl}/direct-report?_csrf=${csrf}`, {
      method: 'POST',
      headers: { cookie },
      body,
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('文件无法打开');
    expect(text).toContain(`${MASKED}.zip`);
    expect(text).not.toContain(ID);
  });

  it('shows a quality period holding an ID masked, in Chinese, and not in the form', async () => {
    const viewer = await cx.http('viewer');
    const response = await viewer.get(`/quality?from=${ID}`);
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).not.toContain(ID);
    expect(text).toContain(`统计期间有误：起始日期 ${MASKED} 不是有效日期`);
    expect(text).not.toMatch(/is not a real date|use YYYY/);
    expect(text).toContain('name="from" value=""');
    const reversed = await (await viewer.get('/quality?from=2026-11-30&to=2026-11-01')).text();
    expect(reversed).toContain('统计期间有误：起始日期 2026-11-30 晚于截止日期 2026-11-01');
  });

  it('refuses a quality period longer than 100 years with 400, never a 500 from a period compared with before year 1', async () => {
    const errors = vi.spyOn(cx.deps.logger, 'error');
    const viewer = await cx.http('viewer');
    for (const to of ['4000-12-31', '4500-12-31', '9999-12-31', '2126-01-01']) {
      for (const address of [
        `/quality?from=2026-01-01&to=${to}`,
        `/quality/download?from=2026-01-01&to=${to}`,
      ]) {
        const response = await viewer.get(address);
        expect(response.status, address).toBe(400);
        expect(await response.text(), address).toContain(
          `统计期间有误：2026-01-01 至 ${to} 超过 100 年：请选择 100 年以内的期间`,
        );
      }
    }
    // A hundred years to the day before is the longest: its period compared with is 1926-01-01 to 2025-12-31.
    expect((await viewer.get('/quality?from=2026-01-01&to=2125-12-31')).status).toBe(200);
    expect(errors).not.toHaveBeenCalled();
  });

  it('refuses a rejection filter holding an ID: it never stands in a download or page link', async () => {
    const viewer = await cx.http('viewer');
    for (const address of [
      `/rejections?provider=${ID}&from=2026-11-01&to=2026-11-30`,
      `/rejections?catalog=${ID}&run=1`,
      `/rejections?code=${ID.slice(0, 6)}%20${ID.slice(6)}&run=1`,
      `/rejections?from=${ID}`,
      `/rejections?run=${ID}`,
      `/rejections/download?provider=${ID}&from=2026-11-01&to=2026-11-30`,
    ]) {
      const response = await viewer.get(address);
      expect(response.status, address).toBe(400);
      const text = await response.text();
      expect(text, address).not.toMatch(/370103 ?199005170121/);
      expect(text, address).not.toContain('/rejections/download?');
    }
  });
});

describe("ID numbers with a wrong check character (a person's number mistyped) are not echoed either", () => {
  /** ID-shaped (a real birth date), the check character wrong: free-text masking would show it. */
  const MISTYPED = '370102198001010122';
  const MISTYPED_MASKED = '3701**********0122';

  it('masks one in the address of a 404, and does not carry it in the login `next`', async () => {
    const viewer = await cx.http('viewer');
    for (const address of [
      `/records/${MISTYPED}`,
      `/nowhere?q=${MISTYPED}`,
      `/nowhere/${MISTYPED.slice(0, 17)}`,
      `/nowhere/${encodeURIComponent(`${MISTYPED.slice(0, 6)} ${MISTYPED.slice(6)}`)}`,
    ]) {
      const response = await viewer.get(address);
      expect(response.status, address).toBe(404);
      const text = await response.text();
      expect(text, address).toContain('没有这个页面');
      expect(text, address).not.toMatch(/370102 ?1980010101/);
    }
    expect(await (await viewer.get(`/nowhere/${MISTYPED}`)).text()).toContain(`/nowhere/${MISTYPED_MASKED}`);
    const anonymous = await cx.http();
    const redirected = await anonymous.get(`/records/${MISTYPED}`);
    expect(redirected.status).toBe(303);
    expect(redirected.headers.get('location')).toBe('/login');
    const form = await (
      await anonymous.get(`/login?next=${encodeURIComponent(`/records/${MISTYPED}`)}`)
    ).text();
    expect(form).not.toContain(MISTYPED);
    expect(form).toContain('name="next" value=""');
  });

  it("logs an auditor's unmasked view of a passport holder's archive without the ID-shaped number", async () => {
    // 自然人 with 证件类型 护照: the 证件号码 is not checked as an ID, so one that reads as an ID is loaded as typed.
    const row = passportHolderPenalty({
      证件号码: MISTYPED,
      行政处罚决定书文号: '济市监罚〔2026〕811号',
      违法事实: '经营超过保质期的食品。',
      处罚决定日期: '2026-10-12',
      公示截止期: '2027-10-12',
    });
    const file = path.join(cx.fx.scratch, 'passport.csv');
    writeFileSync(file, toCsv(PENALTY_HEADER, [row]));
    const summary = await cx.fx.ingest([file]);
    expect(summary.counts.inserted, JSON.stringify(summary)).toBe(1);
    const auditor = await cx.http('auditor');
    // The ID-shaped code typed into the address is sent on to the subject of one of its records first.
    const [record] = await cx.fx.owner('records').where({ subject_code: MISTYPED }).pluck('id');
    const typed = await auditor.get(`/subjects/${MISTYPED}?unmask=1`);
    expect(typed.status).toBe(303);
    expect(typed.headers.get('location')).toBe(`/subjects/r${record}`);
    const page = await auditor.post(`/subjects/r${record}`, { unmask: '1', reason: '核实护照持有人档案' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(MISTYPED);
    const views = await cx.fx.owner('unmask_views').where('what', 'like', '主体档案%').pluck('what');
    expect(views).toEqual([`主体档案 r${record}`]);
    const log = await (await auditor.get('/unmask-log')).text();
    expect(log).toContain(`主体档案 r${record}`);
    expect(log).not.toContain(MISTYPED);
  });
});

describe('bad filter values and ids', () => {
  it('answers a filter that cannot be read with 400 and its Chinese message, logging no error', async () => {
    const errors = vi.spyOn(cx.deps.logger, 'error');
    const viewer = await cx.http('viewer');
    for (const [address, message] of [
      ['/rejections?run=abc', '运行批次 abc 不是有效编号'],
      ['/rejections?from=x', '起始日期 x 不是有效日期'],
      ['/rejections?to=2026-02-30', '截止日期 2026-02-30 不是有效日期'],
      ['/rejections/download?run=x', '运行批次 x 不是有效编号'],
      ['/rejections/download', '请先选择运行批次'],
      ['/quality/download?from=x', '统计期间有误：起始日期 x 不是有效日期'],
      ['/rejections?from=a&from=b', '起始日期 a,b 不是有效日期'],
    ] as const) {
      const response = await viewer.get(address);
      expect(response.status, address).toBe(400);
      const text = await response.text();
      expect(text, address).toContain('请求有误');
      expect(text, address).toContain(message);
    }
    expect(errors).not.toHaveBeenCalled();
  });

  it('answers an id too long to exist with 404 (a page) or ignores it (`before`), logging no error', async () => {
    const errors = vi.spyOn(cx.deps.logger, 'error');
    const huge = '99999999999999999999';
    const viewer = await cx.http('viewer');
    expect((await viewer.get(`/runs/${huge}`)).status).toBe(404);
    expect((await viewer.get(`/runs/${'9'.repeat(16)}`)).status).toBe(404);
    expect((await viewer.get(`/runs?before=${huge}`)).status).toBe(200);
    expect((await viewer.get(`/rejections?before=${huge}`)).status).toBe(200);
    const admin = await cx.http('admin');
    expect((await admin.post(`/runs/${huge}/retry`)).status).toBe(404);
    const auditor = await cx.http('auditor');
    expect((await auditor.get(`/unmask-log?before=${huge}`)).status).toBe(200);
    expect(errors).not.toHaveBeenCalled();
  });
});

describe("the framework's own refusals", () => {
  it('are told in Chinese by their status, never in English or quoting the request', async () => {
    const post = (type: string, body: string) =>
      fetch(`${cx.baseUrl}/login`, { method: 'POST', headers: { 'content-type': type }, body });
    for (const [response, status, message] of [
      [await post(`application/x-${ID}`, '<x/>'), 415, '不支持提交的内容类型'],
      [await post('application/json', '{"name":'), 400, '请求格式有误'],
      [
        await post('application/x-www-form-urlencoded', `name=${'x'.repeat(1024 * 1024 + 1)}`),
        413,
        '超过上限',
      ],
    ] as const) {
      expect(response.status).toBe(status);
      const text = await response.text();
      expect(text).toContain(message);
      expect(text).not.toMatch(/Unsupported|Unexpected|JSON|too large|Content-Type/i);
      expect(text).not.toContain(ID);
    }
  });
});

describe("a provider's rejection report", () => {
  it('is not left on disk when writing it fails', async () => {
    const response = await fetch(`${cx.baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(JINAN),
    });
    const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
    const form = await (await fetch(`${cx.baseUrl}/direct-report`, { headers: { cookie } })).text();
    const csrf = /action="\/direct-report\?_csrf=([^"]+)"/.exec(form)![1];
    const body = new FormData();
    body.set('catalog', 'xzcf');
    body.set('file', new Blob([toCsv(PENALTY_HEADER, penaltyRows(2, 'REPORT'))]), 'report.csv');
    const uploaded = await (
      await fetch(`${cx.baseUrl}/direct-report?_csrf=${csrf}`, { method: 'POST', headers: { cookie }, body })
    ).text();
    const runId = /<dt>运行<\/dt><dd>#(\d+)/.exec(uploaded)?.[1];
    expect(runId, uploaded).toBeTruthy();
    vi.spyOn(cx.deps.logger, 'error').mockImplementation(() => {});
    failingWrite.on = true;
    const failed = await fetch(`${cx.baseUrl}/direct-report/runs/${runId}/rejections.csv`, {
      headers: { cookie },
    });
    expect(failed.status).toBe(500);
    expect(readdirSync(path.join(cx.deps.stagingDir, 'direct-report', 'reports'))).toEqual([]);
  });
});
