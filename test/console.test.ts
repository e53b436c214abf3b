import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/console/password-hash.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { addConsoleUser } from '../src/warehouse/console-users-repository.ts';
import { CONSOLE_USERS, type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { fixturePath } from './support/warehouse-fixture.ts';

/**
 * Issue #20, the console core: sessions and roles, CSRF on every action, the login throttle, masking for a viewer
 * and logged unmasking for an auditor, and the runs, run, pipelines and catalog pages — over real HTTP on
 * loopback against real PostgreSQL, and in real Chromium where it is installed.
 */
const ID = '11010519491231002X';
const MASKED_ID = '1101**********002X';
const PIPELINE = 'xzcf-console';

let cx: ConsoleFixture;
let completedRun: number;
let failedRun: number;

/** The 行政处罚 fixture's header and first rows; `bad` puts a resident ID into the USCC column of row 2. */
function penaltyCsv(rows: number, bad: boolean): string {
  const lines = readFileSync(fixturePath('xzcf', 'utf8-bom', 'input.csv'), 'utf8').split(/\r?\n/);
  const body = lines.slice(1, 1 + rows);
  if (bad) body[0] = body[0]!.replace('913701020000050122', ID);
  return [lines[0], ...body].join('\n');
}

beforeAll(async () => {
  const pipelinesDir = path.join(process.env.TMPDIR ?? '/tmp', `credit-etl-console-pipelines-${process.pid}`);
  mkdirSync(pipelinesDir, { recursive: true });
  cx = await openConsoleFixture('console', { pipelinesDir });
  const drop = path.join(cx.fx.scratch, 'drop');
  mkdirSync(drop, { recursive: true });
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
  const { pipelines, problems } = await loadPipelines(pipelinesDir, cx.deps.transports);
  expect(problems).toEqual([]);
  const logger = createLogger({ console: false });
  const run = async (partition: string, file: string, csv: string) => {
    mkdirSync(path.join(drop, partition), { recursive: true });
    writeFileSync(path.join(drop, partition, file), csv);
    writeFileSync(path.join(drop, partition, `${file}.ok`), '');
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
  const good = await run('2026-11-20', 'day1.csv', penaltyCsv(3, false));
  expect([good.status, good.counts.inserted]).toEqual(['completed', 3]);
  completedRun = good.runId;
  // One bad row of two is over the pipeline's 20 %: the file is held back, the run failed-threshold.
  const bad = await run('2026-11-21', 'day2.csv', penaltyCsv(2, true));
  expect(bad.status, JSON.stringify(bad)).toBe('failed-threshold');
  failedRun = bad.runId;
}, 120_000);

afterAll(async () => cx?.close());

describe('access', () => {
  it('sends a request without a session to the login page, and back after login', async () => {
    const anonymous = await cx.http();
    for (const page of ['/runs', `/runs/${completedRun}`, '/pipelines', '/catalog']) {
      const response = await anonymous.get(page);
      expect(response.status, page).toBe(303);
      expect(response.headers.get('location')).toBe(`/login?next=${encodeURIComponent(page)}`);
    }
  });

  it('neither carries nor echoes an address holding an ID number: login without `next`, a 404 masked', async () => {
    const id = '370102199001011231';
    const anonymous = await cx.http();
    const redirected = await anonymous.get(`/subjects/${id}`);
    expect(redirected.status).toBe(303);
    expect(redirected.headers.get('location')).toBe('/login');
    const login = await (await anonymous.get(`/login?next=${encodeURIComponent(`/records/${id}`)}`)).text();
    expect(login).not.toContain(id);
    expect(login).toContain('name="next" value=""');
    const viewer = await cx.http('viewer');
    for (const address of [`/nowhere/${id}`, `/nowhere?q=${id.slice(0, 6)}%20${id.slice(6)}`]) {
      const missing = await viewer.get(address);
      expect(missing.status, address).toBe(404);
      const text = await missing.text();
      expect(text, address).not.toMatch(/370102 ?199001011231/);
      expect(text, address).toContain('3701');
    }
  });

  it('sets an HttpOnly, SameSite=Strict session cookie, and logout ends the session server-side', async () => {
    const response = await fetch(`${cx.baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...CONSOLE_USERS.viewer, next: '/pipelines' }),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/pipelines');
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const viewer = await cx.http('viewer');
    const stolen = viewer.cookie!;
    expect((await viewer.get('/runs')).status).toBe(200);
    expect((await viewer.post('/logout')).status).toBe(303);
    // The cookie a thief copied before the logout opens nothing afterwards.
    const replay = await fetch(`${cx.baseUrl}/runs`, { redirect: 'manual', headers: { cookie: stolen } });
    expect(replay.status).toBe(303);
  });

  it('refuses an open redirect after login', async () => {
    const response = await fetch(`${cx.baseUrl}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...CONSOLE_USERS.auditor, next: '//evil.example/' }),
    });
    expect(response.headers.get('location')).toBe('/runs');
  });

  it('shows a provider none of the staff pages', async () => {
    const provider = await cx.http('provider');
    for (const page of ['/runs', `/runs/${completedRun}`, '/pipelines', '/catalog']) {
      const response = await provider.get(page);
      expect(response.status, page).toBe(403);
      expect(await response.text()).toContain('无权');
    }
  });

  it('refuses a POST without or with a wrong CSRF token (403), and does nothing', async () => {
    const admin = await cx.http('admin');
    const without = await admin.post(`/runs/${failedRun}/retry`, {}, { csrf: false });
    expect(without.status).toBe(403);
    expect(await without.text()).toContain('CSRF');
    const wrong = await admin.post(`/runs/${failedRun}/retry`, { _csrf: 'x'.repeat(32) });
    expect(wrong.status).toBe(403);
    const other = await cx.http('admin');
    // Another session's token is as wrong as a made-up one.
    const crossed = await admin.post(`/runs/${failedRun}/retry`, { _csrf: await other.csrfToken() });
    expect(crossed.status).toBe(403);
    // The right token in the URL of a form POST: only a multipart upload may carry it there (URLs are logged).
    const inUrl = await admin.post(
      `/runs/${failedRun}/retry?_csrf=${await admin.csrfToken()}`,
      {},
      { csrf: false },
    );
    expect(inUrl.status).toBe(403);
    const page = await (await admin.get(`/runs/${failedRun}`)).text();
    expect(page).not.toContain('id="retry-state"');
    // Without a session at all, a POST is refused the same way.
    expect((await (await cx.http()).post('/logout', {}, { csrf: false })).status).toBe(403);
  });

  it('allows no script, no framing and no caching on a page or an error', async () => {
    const viewer = await cx.http('viewer');
    for (const address of ['/runs', `/runs/${completedRun}`, '/nowhere']) {
      const response = await viewer.get(address);
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy, address).toContain("script-src 'none'");
      expect(policy, address).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options'), address).toBe('nosniff');
      expect(response.headers.get('cache-control'), address).toContain('no-store');
    }
  });

  it('lets only an admin retry a run', async () => {
    const viewer = await cx.http('viewer');
    expect((await viewer.post(`/runs/${failedRun}/retry`)).status).toBe(403);
    expect(await (await viewer.get(`/runs/${failedRun}`)).text()).not.toContain('id="retry"');
  });

  it('limits bad logins per user name, with a Chinese message, even for the right password afterwards', async () => {
    const attempt = (name: string, password: string) =>
      fetch(`${cx.baseUrl}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name, password }),
      });
    await addConsoleUser(cx.fx.warehouse, {
      name: 'guessed',
      role: 'viewer',
      passwordHash: await hashPassword('the-right-password'),
    });
    for (let i = 0; i < 5; i++) {
      const response = await attempt('guessed', 'wrong-password');
      expect(response.status).toBe(401);
      expect(await response.text()).toContain('用户名或密码错误');
    }
    const blocked = await attempt('guessed', 'the-right-password');
    expect(blocked.status).toBe(429);
    expect(await blocked.text()).toMatch(/登录失败次数过多，请 1[45] 分钟后再试/);
    // Another user from the same address is not locked out by it (the address's own limit is higher).
    expect((await attempt(CONSOLE_USERS.admin.name, CONSOLE_USERS.admin.password)).status).toBe(303);
  });
});

describe('masking', () => {
  it('shows a viewer the resident ID masked, whatever the URL asks, and logs nothing', async () => {
    const viewer = await cx.http('viewer');
    for (const url of [`/runs/${failedRun}`, `/runs/${failedRun}?unmask=1`]) {
      const page = await (await viewer.get(url)).text();
      expect(page).toContain(MASKED_ID);
      expect(page).not.toContain(ID);
      expect(page).not.toContain('id="unmask"');
    }
    expect(await cx.fx.owner('unmask_views').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  it('lets an auditor unmask, and logs who, when and what in an append-only table', async () => {
    // An admin manages users and retries; only an auditor unmasks.
    const admin = await cx.http('admin');
    expect(await (await admin.get(`/runs/${failedRun}?unmask=1`)).text()).not.toContain(ID);
    const reason = { unmask: '1', reason: '复核拒收数据' };
    expect(await (await admin.post(`/runs/${failedRun}`, reason)).text()).not.toContain(ID);
    const auditor = await cx.http('auditor');
    const masked = await (await auditor.get(`/runs/${failedRun}`)).text();
    expect(masked).not.toContain(ID);
    expect(masked).toContain('id="unmask"');
    const before = new Date();
    const page = await (await auditor.post(`/runs/${failedRun}`, reason)).text();
    expect(page).toContain(ID);
    expect(page).toContain('本次查看已记录');
    const views = await cx.fx.owner('unmask_views').select('user_name', 'what', 'at', 'ip', 'reason');
    expect(views).toHaveLength(1);
    expect(views[0].user_name).toBe('auditor');
    expect(views[0].what).toContain(`#${failedRun}`);
    expect(views[0].ip).toMatch(/127\.0\.0\.1/);
    expect(views[0].reason).toBe('复核拒收数据');
    expect(views[0].at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    // The log itself: for auditors and admins, not viewers.
    const log = await (await auditor.get('/unmask-log')).text();
    expect(log).toContain(`运行 #${failedRun} 的拒收数据行样本`);
    expect(log).toContain('<td>复核拒收数据</td>');
    expect((await admin.get('/unmask-log')).status).toBe(200);
    expect((await (await cx.http('viewer')).get('/unmask-log')).status).toBe(403);
    await expect(cx.fx.owner('unmask_views').update({ what: 'nothing' })).rejects.toThrow(/append-only/);
    await expect(cx.fx.owner('unmask_views').delete()).rejects.toThrow(/append-only/);
    await expect(cx.fx.warehouse.raw('TRUNCATE unmask_views')).rejects.toThrow();
  });
});
