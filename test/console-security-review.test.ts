import { readdirSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { loadConfig } from '../src/config/config.ts';
import { buildConsole } from '../src/console/console-server.ts';
import { MAX_FILE_NAME_BYTES, safeFileName } from '../src/console/pages/direct-report-page.ts';
import { hashPassword } from '../src/console/password-hash.ts';
import { createLogger } from '../src/log/logger.ts';
import { registerMetricsRoutes } from '../src/metrics/metrics-routes.ts';
import { startMetricsServer } from '../src/metrics/metrics-server.ts';
import type { Issuer } from '../src/report/issuer.ts';
import { connectWarehouse } from '../src/warehouse/connect-warehouse.ts';
import { addConsoleUser } from '../src/warehouse/console-users-repository.ts';
import { CONSOLE_USERS, type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { readProjectFile } from './support/markdown.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';

/**
 * The console's security review, each finding over real HTTP against real PostgreSQL: the provider's rejection
 * report names the configured issuer; a long upload name is no 500 and the error log carries no CSRF token;
 * login CSRF; /metrics and /healthz (unauthenticated by design: no database error in the answer, the proxy
 * example keeps them to the monitoring network); at most one upload per user and two at once.
 */

const ISSUER: Issuer = {
  name: '山东省公共信用信息中心',
  contact: '数据归集科 0531-00000000',
  documentPrefix: '鲁信复核',
};
/** 济南市 (config/providers.json: city, expects xzcf): three users of it, for the upload limits. */
const JINAN = '11370100MB28174284';
const PROVIDERS = ['jinan', 'jinan2', 'jinan3'] as const;
type ProviderUser = (typeof PROVIDERS)[number];
const passwordOf = (name: string) => `${name}-password-1`;
const DATE = PENALTY_HEADER.indexOf('处罚决定日期');

/** Five rows, the third with a decision date that does not exist. */
function deliveryWithBadRow(tag: string): string {
  const rows = penaltyRows(5, tag);
  rows[2]![DATE] = '2026-02-30';
  return toCsv(PENALTY_HEADER, rows);
}

let cx: ConsoleFixture;

beforeAll(async () => {
  cx = await openConsoleFixture('console_security_review', {
    browser: false,
    deps: { config: { ...loadConfig(), issuer: ISSUER } },
  });
  for (const name of PROVIDERS)
    await addConsoleUser(cx.fx.warehouse, {
      name,
      role: 'provider',
      providerCode: JINAN,
      passwordHash: await hashPassword(passwordOf(name)),
    });
}, 180_000);
afterAll(async () => cx?.close());
afterEach(() => {
  vi.restoreAllMocks();
});

interface Session {
  cookie: string;
  csrf: string;
}

const sessions = new Map<string, Session>();

/** A provider user's session (one per user for the whole file): its cookie and its upload form's token. */
async function sessionOf(name: ProviderUser): Promise<Session> {
  const known = sessions.get(name);
  if (known) return known;
  const response = await login(name, passwordOf(name));
  expect(response.status).toBe(303);
  const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
  const form = await (await fetch(`${cx.baseUrl}/direct-report`, { headers: { cookie } })).text();
  const csrf = /action="\/direct-report\?_csrf=([^"]+)"/.exec(form)?.[1];
  expect(csrf, form).toBeTruthy();
  const session = { cookie, csrf: csrf! };
  sessions.set(name, session);
  return session;
}

function login(name: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${cx.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ name, password }),
  });
}

async function upload(session: Session, name: string, content: string): Promise<Response> {
  const body = new FormData();
  body.set('catalog', 'xzcf');
  body.set('file', new Blob([content], { type: 'text/csv' }), name);
  return fetch(`${cx.baseUrl}/direct-report?_csrf=${session.csrf}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: session.cookie },
    body,
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Files of that name in the direct-report staging directory. */
const staged = (name: string) =>
  readdirSync(path.join(cx.deps.stagingDir, 'direct-report'), { recursive: true }).filter(
    (entry) => path.basename(String(entry)) === name,
  );

describe("the provider's rejection report", () => {
  it('names the configured issuer and its contact line, as the staff report does', async () => {
    const session = await sessionOf('jinan');
    const uploaded = await upload(session, 'issuer.csv', deliveryWithBadRow('ISSUER'));
    expect(uploaded.status).toBe(200);
    const runId = /\/direct-report\/runs\/(\d+)\/rejections\.xlsx/.exec(await uploaded.text())?.[1];
    expect(runId).toBeTruthy();
    const texts = async (address: string, cookie: string) => {
      const response = await fetch(`${cx.baseUrl}${address}`, { headers: { cookie } });
      expect(response.status, address).toBe(200);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(Buffer.from(await response.arrayBuffer()) as unknown as ExcelJS.Buffer);
      const cells: string[] = [];
      workbook.worksheets[0]!.eachRow((row) => {
        row.eachCell((cell) => {
          cells.push(cell.text);
        });
      });
      return cells.join('\n');
    };
    const provider = await texts(`/direct-report/runs/${runId}/rejections.xlsx`, session.cookie);
    expect(provider).toContain(ISSUER.name);
    expect(provider).toContain(ISSUER.contact);
    expect(provider).not.toContain('公共信用信息平台');
    const staff = await texts(
      `/rejections/download?run=${runId}&format=xlsx`,
      (await cx.http('viewer')).cookie!,
    );
    expect(staff).toContain(ISSUER.name);
    expect(staff).toContain(ISSUER.contact);
  });
});

describe('a long upload file name', () => {
  it('150 CJK characters (450 bytes) are stored cut to 200 bytes, extension kept: no ENAMETOOLONG', async () => {
    const stem = '济南市市场监督管理局行政处罚决定'.repeat(10).slice(0, 150);
    const name = `${stem}.csv`;
    expect(Buffer.byteLength(name)).toBeGreaterThan(255);
    const uploaded = await upload(await sessionOf('jinan'), name, deliveryWithBadRow('LONG'));
    expect(uploaded.status, await uploaded.clone().text()).toBe(200);
    const file = await cx.fx.warehouse('source_files').orderBy('id', 'desc').first();
    expect(Buffer.byteLength(file.name)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(file.name).toMatch(/\.csv$/);
    expect(name.startsWith(file.name.slice(0, -'.csv'.length))).toBe(true);
    expect(file.name).not.toContain('\uFFFD');
  });

  it('is cut between characters, keeping a double extension', () => {
    const cut = safeFileName(`${'処'.repeat(100)}.csv.gz`)!;
    expect(cut).toBe(`${'処'.repeat(64)}.csv.gz`);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    // A family emoji is one character of 25 bytes: kept whole or not at all.
    const family = '👨‍👩‍👧‍👦';
    const emoji = safeFileName(`${family.repeat(10)}.xlsx`)!;
    expect(emoji).toBe(`${family.repeat(7)}.xlsx`);
    expect(safeFileName('短名.csv')).toBe('短名.csv');
  });

  it("a server error's log line names the path, not the query holding the session's CSRF token", async () => {
    const session = await sessionOf('jinan');
    const errors = vi.spyOn(cx.deps.logger, 'error');
    const stagingDir = cx.deps.stagingDir;
    // A staging directory that cannot be made (under a regular file): the upload fails with a 500.
    cx.deps.stagingDir = path.join(cx.fx.scratch, 'console.log', 'staging');
    try {
      const failed = await upload(session, 'x.csv', deliveryWithBadRow('LOG'));
      expect(failed.status).toBe(500);
      expect(await failed.text()).toContain('处理请求时出错');
    } finally {
      cx.deps.stagingDir = stagingDir;
    }
    const lines = errors.mock.calls.map(([message]) => message);
    expect(lines.some((line) => line.startsWith('console: POST /direct-report: '))).toBe(true);
    for (const line of lines) {
      expect(line).not.toContain(session.csrf);
      expect(line).not.toContain('_csrf');
    }
  });
});

describe('login CSRF', () => {
  const refused = async (response: Response) => {
    expect(response.status).toBe(403);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(await response.text()).toContain('登录请求不是从本平台的登录页面发出的');
  };

  it('refuses a login posted from another site or another origin (403), with the right password too', async () => {
    const { name, password } = CONSOLE_USERS.admin;
    await refused(await login(name, password, { 'sec-fetch-site': 'cross-site' }));
    await refused(await login(name, password, { 'sec-fetch-site': 'same-site' }));
    await refused(await login(name, password, { origin: 'https://evil.example' }));
    await refused(await login(name, password, { origin: 'null' }));
    // Another port of the same host is another origin.
    await refused(await login(name, password, { origin: 'http://127.0.0.1:1' }));
    // X-Forwarded-Host from a peer that is no trusted proxy is not believed.
    await refused(
      await login(name, password, { origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' }),
    );
    // The console's own form (a browser says same-origin and names the console) and clients that say neither.
    const own = await login(name, password, { origin: cx.baseUrl, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(303);
    expect((await login(name, password)).status).toBe(303);
  });

  it("behind the trusted proxy, compares the Origin with the browser's host the proxy passed on", async () => {
    const app = await buildConsole({
      ...cx.deps,
      settings: { ...cx.deps.settings, trustProxy: ['127.0.0.1'] },
    });
    try {
      const post = (headers: Record<string, string>) =>
        app.inject({
          method: 'POST',
          url: '/login',
          remoteAddress: '127.0.0.1',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'sec-fetch-site': 'same-origin',
            'x-forwarded-proto': 'https',
            ...headers,
          },
          payload: new URLSearchParams(CONSOLE_USERS.viewer).toString(),
        });
      const site = 'https://credit-etl.example.gov.cn';
      // docs/console.md's nginx: `proxy_set_header Host $host`.
      expect((await post({ host: 'credit-etl.example.gov.cn', origin: site })).statusCode).toBe(303);
      expect(
        (
          await post({
            host: '127.0.0.1:8080',
            'x-forwarded-host': 'credit-etl.example.gov.cn',
            origin: site,
          })
        ).statusCode,
      ).toBe(303);
      expect(
        (await post({ host: 'credit-etl.example.gov.cn', origin: 'https://evil.example' })).statusCode,
      ).toBe(403);
    } finally {
      await app.close();
    }
  });

  it("a login ends the session the browser's cookie named", async () => {
    const viewer = await cx.http('viewer');
    expect((await viewer.get('/runs')).status).toBe(200);
    const { name, password } = CONSOLE_USERS.admin;
    const again = await login(name, password, { cookie: viewer.cookie! });
    expect(again.status).toBe(303);
    const cookie = again.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).not.toBe(viewer.cookie);
    // The viewer's session is over; the admin's is open.
    const old = await viewer.get('/runs');
    expect(old.status).toBe(303);
    expect(old.headers.get('location')).toMatch(/^\/login/);
    expect((await fetch(`${cx.baseUrl}/runs`, { headers: { cookie } })).status).toBe(200);
  });
});

describe('/metrics and /healthz: unauthenticated by design, nothing more than needed', () => {
  it('a database that does not answer: 503 without its error text, which goes to the log', async () => {
    const unreachable = connectWarehouse('postgres://postgres@127.0.0.1:9/none', { poolSize: 1 });
    const logger = createLogger({ console: false });
    const warnings = vi.spyOn(logger, 'warn');
    const app = Fastify();
    await registerMetricsRoutes(app, { warehouse: unreachable, component: 'serve' }, logger);
    const server = await startMetricsServer(
      { host: '127.0.0.1', port: 0 },
      { warehouse: unreachable, component: 'worker' },
      logger,
    );
    try {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      for (const url of [`${address}/healthz`, `${server.url}/healthz`]) {
        const health = await fetch(url);
        expect(health.status).toBe(503);
        const text = await health.text();
        expect(JSON.parse(text)).not.toHaveProperty('error');
        expect(JSON.parse(text)).toMatchObject({ status: 'unavailable', database: 'down' });
        expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:9/);
      }
      expect(
        warnings.mock.calls.filter(([line]) => /healthz.*ECONNREFUSED/.test(line)).length,
      ).toBeGreaterThanOrEqual(2);
    } finally {
      await app.close();
      await server.close();
      await unreachable.destroy();
      await logger.close();
    }
  });

  it('the nginx example of docs/console.md lets only the monitoring network reach them', () => {
    const nginx = /```nginx\n([\s\S]*?)```/.exec(readProjectFile('docs/console.md'))?.[1] ?? '';
    const blocks = [...nginx.matchAll(/location ([^{]+)\{([^}]*)\}/g)];
    for (const target of ['/metrics', '/healthz']) {
      const block = blocks.find(([, pattern]) => {
        const [modifier, value] = pattern!.trim().split(/\s+/);
        return modifier === '=' ? value === target : modifier === '~' && new RegExp(value!).test(target);
      });
      expect(block, `a location for ${target}`).toBeDefined();
      expect(block![2]).toMatch(/allow\s+[\d./]+;/);
      expect(block![2]).toMatch(/deny\s+all;/);
      expect(block![2]).toContain('proxy_pass');
    }
    expect(readProjectFile('docs/direct-reporting.md')).not.toMatch(
      /every other page of the console answers a provider\s+with 403\.\n/,
    );
  });
});

describe('direct-report uploads at once: one per user, two in the console', () => {
  /** An upload whose file arrives in two halves: the second (or an abort) when the test says. */
  function heldUpload(session: Session, name: string, content: string) {
    const boundary = `----review${Math.random().toString(16).slice(2)}`;
    const half = Math.floor(content.length / 2);
    const encoder = new TextEncoder();
    let stream!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        stream = controller;
        controller.enqueue(
          encoder.encode(
            `--${boundary}\r\nContent-Disposition: form-data; name="catalog"\r\n\r\nxzcf\r\n` +
              `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
              `Content-Type: text/csv\r\n\r\n${content.slice(0, half)}`,
          ),
        );
      },
    });
    const abort = new AbortController();
    const response = fetch(`${cx.baseUrl}/direct-report?_csrf=${session.csrf}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: session.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
      duplex: 'half',
      signal: abort.signal,
    } as RequestInit);
    response.catch(() => undefined);
    return {
      response,
      /** Sends the rest: the upload ends and is loaded. */
      finish() {
        stream.enqueue(encoder.encode(`${content.slice(half)}\r\n--${boundary}--\r\n`));
        stream.close();
      },
      /** The browser goes away in the middle of the file. */
      abort: () => abort.abort(),
    };
  }

  /** Uploads still held when a test ends (it failed half-way) are aborted: the console can close. */
  const holding: { abort(): void }[] = [];
  const held = <T extends { abort(): void }>(upload: T): T => {
    holding.push(upload);
    return upload;
  };
  afterEach(() => {
    for (const upload of holding.splice(0)) upload.abort();
  });

  it('a second upload of the same user, or a third in the console, is told to wait (429); the slot comes back however an upload ends', async () => {
    const [one, two, three] = await Promise.all(PROVIDERS.map((name) => sessionOf(name)));
    const first = held(heldUpload(one!, 'held-1.csv', deliveryWithBadRow('HELD1')));
    await until(() => staged('held-1.csv').length === 1, 'the first upload to arrive');

    // The same user again: it waits for the result of the one under way.
    const sameUser = await upload(one!, 'again.csv', deliveryWithBadRow('AGAIN'));
    expect(sameUser.status).toBe(429);
    const waitText = await sameUser.text();
    expect(waitText).toContain('请稍后再试');
    expect(waitText).toContain('本账户已有一个文件正在上传或校验');
    expect(staged('again.csv')).toEqual([]);

    const second = held(heldUpload(two!, 'held-2.csv', deliveryWithBadRow('HELD2')));
    await until(() => staged('held-2.csv').length === 1, 'the second upload to arrive');
    // A third user: two are under way in the console.
    const thirdUser = await upload(three!, 'third.csv', deliveryWithBadRow('THIRD'));
    expect(thirdUser.status).toBe(429);
    expect(await thirdUser.text()).toContain('请稍后再试：平台同时最多处理 2 个直报文件');

    // The first ends with its result: its user's slot, and one of the console's, are free again.
    first.finish();
    const result = await first.response;
    expect(result.status).toBe(200);
    expect(await result.text()).toContain('data-count="rejected">1<');
    const thirdAgain = await upload(three!, 'third.csv', deliveryWithBadRow('THIRD'));
    expect(thirdAgain.status).toBe(200);

    // The second's browser goes away in the middle of the file: its slot comes back all the same.
    second.abort();
    let status = 0;
    await until(async () => {
      status = (await upload(two!, 'after-abort.csv', deliveryWithBadRow('AFTER'))).status;
      return status !== 429;
    }, "the aborted upload's slot");
    expect(status).toBe(200);
    expect(staged('held-2.csv')).toEqual([]);
  });
});
