import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { buildConsole } from '../src/console/console-server.ts';
import { hashPassword } from '../src/console/password-hash.ts';
import { providerMessage } from '../src/report/provider-message.ts';
import { addConsoleUser } from '../src/warehouse/console-users-repository.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';

/**
 * The direct-report review's findings, over real HTTP (and raw sockets) against real PostgreSQL: the same file
 * sent again names the earlier delivery and shows its result (D1); a stalled upload gives its slot back (D2); a
 * cut-off or malformed body is the provider's 400, not a 500 (D3); a provider the registry does not list is told
 * so before a byte is stored (D5); two files or too many fields are said as such, a small limit in KB (D6); an
 * entry not the provider's own is refused before a byte of its file is stored (D7); the page shows no message meant
 * for the CLI (D8); `unchanged` is labelled as what is true of it, another provider of the level included (D9).
 */

/** 济南市 (config/providers.json: city, expects xzcf): three users of it. */
const JINAN = '11370100MB28174284';
const USERS = ['jinan', 'jinan2', 'jinan3'] as const;
type JinanUser = (typeof USERS)[number];
/** 青岛市: another city of the registry, also expecting xzcf. */
const QINGDAO = '11370200MB2851941M';
/** A provider code the registry does not list (removed from it, say). */
const UNLISTED = '11370999MB0000000X';
const passwordOf = (name: string) => `${name}-password-1`;
const DATE = PENALTY_HEADER.indexOf('处罚决定日期');
/** Short, so that a stalled upload is given up within the test: 1.5 s without a byte, 5 s in all. */
const TIMEOUTS = { idleMs: 1500, totalMs: 5000 };

/** Five rows, the third with a decision date that does not exist. */
function deliveryWithBadRow(tag: string): string {
  const rows = penaltyRows(5, tag);
  rows[2]![DATE] = '2026-02-30';
  return toCsv(PENALTY_HEADER, rows);
}

let cx: ConsoleFixture;
let port: number;

interface Session {
  cookie: string;
  csrf: string;
}

beforeAll(async () => {
  cx = await openConsoleFixture('console_direct_report_review', {
    browser: false,
    deps: { uploadTimeouts: TIMEOUTS },
  });
  port = Number(new URL(cx.baseUrl).port);
  for (const name of USERS)
    await addConsoleUser(cx.fx.warehouse, {
      name,
      role: 'provider',
      providerCode: JINAN,
      passwordHash: await hashPassword(passwordOf(name)),
    });
  await addConsoleUser(cx.fx.warehouse, {
    name: 'qingdao',
    role: 'provider',
    providerCode: QINGDAO,
    passwordHash: await hashPassword(passwordOf('qingdao')),
  });
  await addConsoleUser(cx.fx.warehouse, {
    name: 'unlisted',
    role: 'provider',
    providerCode: UNLISTED,
    passwordHash: await hashPassword(passwordOf('unlisted')),
  });
}, 180_000);
afterAll(async () => cx?.close());

/** Raw connections a test opened: closed when it ends, so that a failed test leaves none behind. */
const openSockets: net.Socket[] = [];
afterEach(() => {
  for (const socket of openSockets.splice(0)) socket.destroy();
});

/** A provider user's session: its cookie and its session's CSRF token (from the page's logout form). */
async function sessionOf(name: JinanUser | 'unlisted' | 'qingdao'): Promise<Session> {
  const response = await fetch(`${cx.baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name, password: passwordOf(name) }),
  });
  expect(response.status).toBe(303);
  const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await fetch(`${cx.baseUrl}/direct-report`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  expect(csrf, page).toBeTruthy();
  return { cookie, csrf: csrf! };
}

async function upload(session: Session, name: string, content: string, catalog = 'xzcf'): Promise<Response> {
  const body = new FormData();
  body.set('catalog', catalog);
  body.set('file', new Blob([content], { type: 'text/csv' }), name);
  return fetch(`${cx.baseUrl}/direct-report?_csrf=${session.csrf}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: session.cookie },
    body,
  });
}

/** A POST of a body as given (a multipart body cut off, one with no boundary). */
function postRaw(session: Session, contentType: string, body: string): Promise<Response> {
  return fetch(`${cx.baseUrl}/direct-report?_csrf=${session.csrf}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: session.cookie, 'content-type': contentType },
    body,
  });
}

const BOUNDARY = '----review-d2';

/** The beginning of a multipart body: the entry, then the head of the file part and `content`. */
function multipartHead(fileName: string, content: string): string {
  return (
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="catalog"\r\n\r\nxzcf\r\n` +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n` +
    `Content-Type: text/csv\r\n\r\n${content}`
  );
}

/**
 * An upload over a raw socket announcing `contentLength` bytes and sending `body`: what the server answers, read
 * until it closes the connection.
 */
function rawUpload(session: Session, contentLength: number, body: string) {
  const socket = net.connect(port, '127.0.0.1');
  openSockets.push(socket);
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  let answer = '';
  socket.on('data', (chunk: string) => {
    answer += chunk;
  });
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(answer)));
  socket.write(
    `POST /direct-report?_csrf=${session.csrf} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${session.cookie}\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${contentLength}\r\n\r\n${body}`,
  );
  return { socket, closed };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Files of that name in the direct-report staging directory. */
const staged = (name: string) => {
  try {
    return readdirSync(path.join(cx.deps.stagingDir, 'direct-report'), { recursive: true }).filter(
      (entry) => path.basename(String(entry)) === name,
    );
  } catch {
    return [];
  }
};

const runCount = async () => Number((await cx.fx.warehouse('runs').count<{ n: string }[]>({ n: '*' }))[0]?.n);

/** The console's log lines (JSON) written so far. */
function logLines(): { level: string; message: string }[] {
  return readFileSync(path.join(cx.fx.scratch, 'console.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('D1: the same file sent again', () => {
  it('names the earlier delivery, its run and when, and shows its rejections and report, never 没有拒收的数据行', async () => {
    const [clerk, colleague] = await Promise.all([sessionOf('jinan'), sessionOf('jinan2')]);
    const content = deliveryWithBadRow('AGAIN');
    const first = await upload(clerk, 'clerk.csv', content);
    expect(first.status).toBe(200);
    const firstText = await first.text();
    const earlierRun = /\/direct-report\/runs\/(\d+)\/rejections\.csv/.exec(firstText)?.[1];
    expect(earlierRun, firstText).toBeTruthy();

    // The page refreshed, or a colleague at the same time: the same bytes, nothing loaded again.
    const again = await upload(colleague, 'clerk.csv', content);
    expect(again.status).toBe(200);
    const text = await again.text();
    expect(text).toContain('data-file-status="skipped"');
    expect(text).toContain('data-count="read">0<');
    expect(text).not.toContain('没有拒收的数据行');
    // The earlier delivery: its run, when it was received, its counts and its rejected row.
    expect(text).toContain(`运行 #${earlierRun}`);
    const received = await cx.fx
      .warehouse('source_files')
      .where({ run_id: Number(earlierRun) })
      .first();
    const when = new Date(received.received_at.getTime() + 8 * 3600_000).toISOString().slice(0, 16);
    expect(text).toContain(when.replace('T', ' '));
    expect(text).toContain(`data-earlier-run="${earlierRun}"`);
    expect(text).toContain('data-earlier-count="read">5<');
    expect(text).toContain('data-earlier-count="rejected">1<');
    expect(text).toMatch(/<tr data-row="4">.*2026-02-30/);
    // Its report, which the colleague (the same provider) may download.
    expect(text).toContain(`href="/direct-report/runs/${earlierRun}/rejections.csv"`);
    expect(text).toContain(`href="/direct-report/runs/${earlierRun}/rejections.xlsx"`);
    const report = await fetch(`${cx.baseUrl}/direct-report/runs/${earlierRun}/rejections.csv`, {
      headers: { cookie: colleague.cookie },
    });
    expect(report.status).toBe(200);
    expect(await report.text()).toContain('2026-02-30');
  });

  it('a clean file sent again says the earlier delivery had no rejected row, not that this one has none', async () => {
    const clerk = await sessionOf('jinan');
    const clean = toCsv(PENALTY_HEADER, penaltyRows(3, 'CLEAN'));
    expect((await upload(clerk, 'clean.csv', clean)).status).toBe(200);
    const text = await (await upload(clerk, 'clean.csv', clean)).text();
    expect(text).toContain('data-file-status="skipped"');
    expect(text).toContain('data-earlier-count="read">3<');
    expect(text).toContain('那次报送没有拒收的数据行');
    expect(text).not.toMatch(/<p>没有拒收的数据行/);
  });

  it("another provider's identical bytes are its own delivery (the ledger is per provider): nothing of the other's run", async () => {
    const content = deliveryWithBadRow('OTHER');
    const clerk = await sessionOf('jinan');
    const first = await (await upload(clerk, 'shared.csv', content)).text();
    const jinanRun = /\/direct-report\/runs\/(\d+)\/rejections\.csv/.exec(first)?.[1];
    const qingdao = await sessionOf('qingdao');
    const theirs = await (await upload(qingdao, 'shared.csv', content)).text();
    expect(theirs).not.toContain('data-file-status="skipped"');
    expect(theirs).not.toContain(`运行 #${jinanRun}`);
    expect(theirs).not.toContain(`runs/${jinanRun}/`);
  });
});

describe('D2: a stalled upload', () => {
  it('is given up after its idle time: 408, its slot back, its partial file deleted, no run', async () => {
    const [one, two, three] = (await Promise.all(USERS.map((name) => sessionOf(name)))) as [
      Session,
      Session,
      Session,
    ];
    const content = deliveryWithBadRow('STALL');
    const before = await runCount();
    // Two uploads announce ~1 MB, send ~200 bytes, then nothing: the console's two slots.
    const stalled = [
      rawUpload(one, 999_999, multipartHead('stall-1.csv', content.slice(0, 60))),
      rawUpload(two, 999_999, multipartHead('stall-2.csv', content.slice(0, 60))),
    ];
    await until(
      () => staged('stall-1.csv').length + staged('stall-2.csv').length === 2,
      'both stalled uploads',
    );
    const waiting = await upload(three, 'third.csv', deliveryWithBadRow('THIRD'));
    expect(waiting.status).toBe(429);

    // Given up: each told so (408, in Chinese) and its connection closed.
    for (const { closed } of stalled) {
      const answer = await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('上传中断');
      expect(answer).toContain('未入库任何数据');
    }
    await until(
      () => staged('stall-1.csv').length + staged('stall-2.csv').length === 0,
      'the partial files deleted',
    );
    expect(await runCount()).toBe(before);
    const after = await upload(three, 'third.csv', deliveryWithBadRow('THIRD'));
    expect(after.status).toBe(200);
    const [running] = await cx.fx
      .warehouse('runs')
      .where({ status: 'running' })
      .count<{ n: string }[]>({ n: '*' });
    expect(Number(running?.n)).toBe(0);
    expect(logLines().filter((line) => line.level === 'error')).toEqual([]);
  }, 30_000);

  it('a slow upload that keeps sending is not cut by the idle time, but it is by the total', async () => {
    const session = await sessionOf('jinan');
    const content = deliveryWithBadRow('TRICKLE');
    const started = Date.now();
    const trickle = rawUpload(session, 999_999, multipartHead('trickle.csv', ''));
    // A byte every 300 ms: never idle for 1.5 s.
    let sent = 0;
    const timer = setInterval(() => {
      if (!trickle.socket.destroyed) trickle.socket.write(content[sent++ % content.length]!);
    }, 300);
    try {
      const answer = await trickle.closed;
      expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUTS.totalMs - 100);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('上传超时');
    } finally {
      clearInterval(timer);
    }
    await until(() => staged('trickle.csv').length === 0, 'the partial file deleted');
    expect((await upload(session, 'after-trickle.csv', deliveryWithBadRow('AFTERT'))).status).toBe(200);
  }, 30_000);
});

describe('D3: a cut-off or malformed body', () => {
  it("is the provider's 400 with the form again, not a 500: no closing boundary, no boundary at all", async () => {
    const session = await sessionOf('jinan');
    const before = await runCount();
    const errorsBefore = logLines().filter((line) => line.level === 'error').length;
    const cut = await postRaw(
      session,
      `multipart/form-data; boundary=${BOUNDARY}`,
      multipartHead('cut.csv', deliveryWithBadRow('CUT')),
    );
    expect(cut.status).toBe(400);
    const cutText = await cut.text();
    expect(cutText).toContain('上传不完整或格式有误，未入库任何数据，请重新上传');
    expect(cutText).toContain('id="upload"');
    const noBoundary = await postRaw(session, 'multipart/form-data', multipartHead('nb.csv', 'x'));
    expect(noBoundary.status).toBe(400);
    expect(await noBoundary.text()).toContain('上传不完整或格式有误');
    expect(staged('cut.csv')).toEqual([]);
    expect(staged('nb.csv')).toEqual([]);
    expect(await runCount()).toBe(before);
    expect(logLines().filter((line) => line.level === 'error').length).toBe(errorsBefore);
    // Its slot is back.
    expect((await upload(session, 'after-cut.csv', deliveryWithBadRow('AFTERC'))).status).toBe(200);
  });

  it('a browser gone in the middle of the file is logged as such, not as an error', async () => {
    const session = await sessionOf('jinan2');
    const errorsBefore = logLines().filter((line) => line.level === 'error').length;
    const gone = rawUpload(
      session,
      999_999,
      multipartHead('gone.csv', deliveryWithBadRow('GONE').slice(0, 80)),
    );
    await until(() => staged('gone.csv').length === 1, 'the upload to arrive');
    gone.socket.destroy();
    await until(
      () =>
        logLines().some(
          (line) => line.message.includes('direct report') && line.message.includes('went away'),
        ),
      'the log line',
    );
    await until(() => staged('gone.csv').length === 0, 'the partial file deleted');
    expect(logLines().filter((line) => line.level === 'error').length).toBe(errorsBefore);
    expect((await upload(session, 'after-gone.csv', deliveryWithBadRow('AFTERG'))).status).toBe(200);
  });
});

describe('D5: a provider the registry does not list', () => {
  it('is told so (not that the entry is not its own), before a byte is stored', async () => {
    const session = await sessionOf('unlisted');
    const before = await runCount();
    const refused = await upload(session, 'unlisted.csv', deliveryWithBadRow('UNLISTED'));
    expect(refused.status).toBe(403);
    const text = await refused.text();
    expect(text).toContain(`本账户的报送单位（${UNLISTED}）不在平台的报送单位登记表中`);
    expect(text).not.toContain('不是本单位');
    expect(staged('unlisted.csv')).toEqual([]);
    await until(
      () =>
        logLines().some(
          (line) =>
            line.message.includes('unlisted') && line.message.includes('not in the provider registry'),
        ),
      'the log line',
    );
    expect(await runCount()).toBe(before);
  });
});

describe('D6: what is wrong with a form, and a small limit', () => {
  it('two files, or more fields than the form has, are told as such (400), not as too large', async () => {
    const session = await sessionOf('jinan3');
    const before = await runCount();
    const two = new FormData();
    two.set('catalog', 'xzcf');
    two.append('file', new Blob(['a'], { type: 'text/csv' }), 'two-a.csv');
    two.append('file', new Blob(['b'], { type: 'text/csv' }), 'two-b.csv');
    const twoFiles = await fetch(`${cx.baseUrl}/direct-report?_csrf=${session.csrf}`, {
      method: 'POST',
      headers: { cookie: session.cookie },
      body: two,
    });
    expect(twoFiles.status).toBe(400);
    const twoText = await twoFiles.text();
    expect(twoText).toContain('一次只能上传一个文件');
    expect(twoText).not.toContain('超过上限');

    const many = new FormData();
    for (let i = 0; i < 6; i++) many.append(`extra${i}`, 'x');
    many.set('catalog', 'xzcf');
    many.set('file', new Blob(['a'], { type: 'text/csv' }), 'many.csv');
    const manyFields = await fetch(`${cx.baseUrl}/direct-report?_csrf=${session.csrf}`, {
      method: 'POST',
      headers: { cookie: session.cookie },
      body: many,
    });
    expect(manyFields.status).toBe(400);
    const manyText = await manyFields.text();
    expect(manyText).toContain('字段过多');
    expect(manyText).not.toContain('超过上限');
    expect(await runCount()).toBe(before);
    for (const name of ['two-a.csv', 'two-b.csv', 'many.csv']) expect(staged(name)).toEqual([]);
  });

  it('a limit under 1 MB is shown in KB, not as 0 MB', async () => {
    const previous = process.env.CREDIT_ETL_DIRECT_REPORT_MAX_BYTES;
    process.env.CREDIT_ETL_DIRECT_REPORT_MAX_BYTES = '1500';
    const small = await buildConsole(cx.deps);
    try {
      const session = await sessionOf('jinan3');
      const form = await small.inject({
        method: 'GET',
        url: '/direct-report',
        headers: { cookie: session.cookie },
      });
      expect(form.statusCode).toBe(200);
      expect(form.body).toContain('单个文件不超过 1.4 KB');
      expect(form.body).not.toContain('0 MB');
    } finally {
      if (previous === undefined) delete process.env.CREDIT_ETL_DIRECT_REPORT_MAX_BYTES;
      else process.env.CREDIT_ETL_DIRECT_REPORT_MAX_BYTES = previous;
      await small.close();
    }
  });
});

/** An upload of a form built as given (its parts in that order), with the session's token. */
function postForm(session: Session, form: FormData): Promise<Response> {
  return fetch(`${cx.baseUrl}/direct-report?_csrf=${session.csrf}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: session.cookie },
    body: form,
  });
}

/**
 * Runs `body` with the console's staging directory pointing at a regular file: any attempt to store a byte of an
 * upload there fails (ENOTDIR, a 500), so an answer other than a 500 is proof that nothing was written.
 */
async function withUnwritableStaging<T>(body: () => Promise<T>): Promise<T> {
  const deps = cx.deps as { stagingDir: string };
  const real = deps.stagingDir;
  const blocker = path.join(cx.fx.scratch, 'staging-is-a-file');
  writeFileSync(blocker, 'not a directory');
  deps.stagingDir = blocker;
  try {
    return await body();
  } finally {
    deps.stagingDir = real;
  }
}

describe("D7: an upload for an entry that is not the provider's own", () => {
  it('is refused (403, the entry named in Chinese) before a byte of its file is stored', async () => {
    const session = await sessionOf('jinan3');
    const before = await runCount();
    // 济南市 reports xzcf only (config/providers.json): xzxk is another provider's entry.
    const refused = await withUnwritableStaging(() =>
      upload(session, 'not-ours.csv', deliveryWithBadRow('NOTOURS'), 'xzxk'),
    );
    expect(refused.status).toBe(403);
    const text = await refused.text();
    expect(text).toContain('目录“xzxk”不是本单位（11370100MB28174284）负责报送的目录');
    expect(text).toContain('上传的文件未接收');
    expect(await runCount()).toBe(before);
    // With the staging directory back: nothing of it left on disk either.
    expect((await upload(session, 'not-ours.csv', deliveryWithBadRow('NOTOURS'), 'xzxk')).status).toBe(403);
    expect(staged('not-ours.csv')).toEqual([]);
  });

  it('never has its file on disk while it arrives', async () => {
    const session = await sessionOf('jinan3');
    const head =
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="catalog"\r\n\r\nxzxk\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="arriving.csv"\r\n` +
      `Content-Type: text/csv\r\n\r\n${deliveryWithBadRow('ARRIVING').slice(0, 200)}`;
    // Sent in part, then nothing: looked for until the upload is given up as stalled.
    const stalled = rawUpload(session, 999_999, head);
    let seen = false;
    let answered = false;
    void stalled.closed.then(() => {
      answered = true;
    });
    await until(() => {
      if (staged('arriving.csv').length > 0) seen = true;
      return answered;
    }, 'the stalled upload to be given up');
    expect(seen).toBe(false);
    expect(await stalled.closed).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);

  it('with its entry after the file, or none, stores nothing and says what is wrong', async () => {
    const session = await sessionOf('jinan3');
    const before = await runCount();
    const fileFirst = (catalog?: string) => {
      const form = new FormData();
      form.set('file', new Blob([deliveryWithBadRow('AFTER')], { type: 'text/csv' }), 'after.csv');
      if (catalog !== undefined) form.set('catalog', catalog);
      return form;
    };
    const [theirs, own, none] = await withUnwritableStaging(async () => [
      await postForm(session, fileFirst('xzxk')),
      await postForm(session, fileFirst('xzcf')),
      await postForm(session, fileFirst()),
    ]);
    expect(theirs!.status).toBe(403);
    expect(await theirs!.text()).toContain('目录“xzxk”不是本单位');
    expect(own!.status).toBe(400);
    expect(await own!.text()).toContain('表单中的目录须在文件之前提交，未入库任何数据');
    expect(none!.status).toBe(400);
    expect(await none!.text()).toContain('请选择报送的目录');
    expect(await runCount()).toBe(before);
    expect(staged('after.csv')).toEqual([]);
  });
});

describe('D8: messages meant for the CLI are not shown to a provider on the page', () => {
  it("a row's undecodable bytes: save the file again as UTF-8 or GB18030, no --encoding (the stored message keeps it for operators)", async () => {
    const session = await sessionOf('jinan3');
    const rows = penaltyRows(4, 'ENCODING');
    rows[1]![0] = 'GBKNAME';
    // 你好 in GBK in the third line: not UTF-8, which the rest of the file (and so the detection) is.
    const content = Buffer.from(toCsv(PENALTY_HEADER, rows), 'utf8');
    const at = content.indexOf('GBKNAME');
    const bytes = Buffer.concat([
      content.subarray(0, at),
      Buffer.from([0xc4, 0xe3, 0xba, 0xc3]),
      content.subarray(at + 'GBKNAME'.length),
    ]);
    const form = new FormData();
    form.set('catalog', 'xzcf');
    form.set('file', new Blob([bytes], { type: 'text/csv' }), 'encoding.csv');
    const response = await postForm(session, form);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('data-count="rejected">1<');
    expect(text).toMatch(/<tr data-row="3">.*请将文件另存为 UTF-8 或 GB18030 编码后重新报送<\/td>/);
    expect(text).not.toContain('--encoding');
    expect(text).not.toContain('运维人员');
    const runId = Number(/\/direct-report\/runs\/(\d+)\/rejections\.csv/.exec(text)?.[1]);
    const [stored] = await cx.fx
      .warehouse('rejections')
      .where({ run_id: runId })
      .select<{ errors: { code: string; message: string }[] }[]>('errors');
    expect(stored?.errors[0]?.code).toBe('undecodable-bytes');
    expect(stored?.errors[0]?.message).toContain('运维人员可用 --encoding 或管道的 encoding 指定编码');
    // As messages stored before said it: shown without it too.
    expect(
      providerMessage(
        '第3行第1列含有无法按 utf8 编码解码的字节（显示为 �），该行未入库：请确认文件编码（UTF-8 或 GB18030/GBK）后重新导出，或用 --encoding 指定编码',
      ),
    ).toBe(
      '第3行第1列含有无法按 utf8 编码解码的字节（显示为 �），该行未入库：请确认文件编码（UTF-8 或 GB18030/GBK）后重新导出',
    );
  });

  it('a file without extension: 文件没有扩展名, not .(none)', async () => {
    const session = await sessionOf('jinan3');
    const response = await upload(session, 'no-extension', deliveryWithBadRow('NOEXT'));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('data-file-status="failed"');
    expect(text).toContain('文件没有扩展名，无法判断文件类型：no-extension');
    expect(text).not.toContain('(none)');
  });
});

describe('D9: unchanged content is labelled as what is true of it', () => {
  it('another provider of the same level sending identical content: 未变（与平台已有数据相同）, never 重复报送', async () => {
    const content = toCsv(PENALTY_HEADER, penaltyRows(3, 'SAMELEVEL'));
    const jinan = await sessionOf('jinan3');
    expect((await upload(jinan, 'jinan-same.csv', content)).status).toBe(200);
    // 青岛市 is a city too: the content its level already holds, which 青岛市 itself never sent.
    const qingdao = await sessionOf('qingdao');
    const text = await (await upload(qingdao, 'qingdao-same.csv', content)).text();
    expect(text).toContain('<dt>未变（与平台已有数据相同）</dt><dd data-count="unchanged">3</dd>');
    expect(text).not.toContain('重复报送');

    // The operators' record page says it the same way for 青岛市's delivery.
    const [source] = await cx.fx
      .warehouse('record_sources')
      .where({ provider_code: QINGDAO, outcome: 'unchanged' })
      .orderBy('id', 'desc')
      .select('record_id');
    expect(source).toBeTruthy();
    const viewer = await cx.http('viewer');
    const record = await (await viewer.get(`/records/${source.record_id}`)).text();
    expect(record).toContain('未变（与平台已有数据相同）');
    expect(record).not.toContain('重复报送');
  });
});
