import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';

/**
 * HTTP the parser cannot read (a space or a control character in the request line, a header block over Node's
 * 16 KiB) is refused at the connection, before Fastify routes anything: the console answers it in Chinese with
 * its security headers, never in the framework's English JSON, and never quotes the request (which may hold a
 * resident ID number). Sent over a raw socket: fetch would refuse to send such a request.
 */
const ID = '11010519491231002X';

let cx: ConsoleFixture;

beforeAll(async () => {
  cx = await openConsoleFixture('console_malformed_http', { browser: false });
});
afterAll(async () => cx?.close());

/** Writes `request` as is and reads until the server closes the connection. */
function rawExchange(request: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(cx.baseUrl);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write(request));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of answer in 10 s; got: ${Buffer.concat(chunks).toString('utf8')}`));
    }, 10_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the answer (the server closing with the request unread) still leaves the answer read.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

interface RawAnswer {
  statusLine: string;
  headers: Record<string, string>;
  body: string;
  whole: string;
}

function parseAnswer(whole: string): RawAnswer {
  const split = whole.indexOf('\r\n\r\n');
  expect(split, `not an HTTP answer: ${JSON.stringify(whole)}`).toBeGreaterThan(0);
  const [statusLine, ...lines] = whole.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { statusLine: statusLine!, headers, body: whole.slice(split + 4), whole };
}

function expectConsoleRefusal(answer: RawAnswer, statusLine: string, text: RegExp): void {
  expect(answer.statusLine).toBe(statusLine);
  expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  expect(answer.body).toMatch(text);
  expect(answer.body).toMatch(/^[^A-Za-z]*[\u4e00-\u9fff]/);
  expect(answer.body).not.toMatch(/"statusCode"|Client Error|Bad Request|Exceeded/);
  // The console's headers, as on every page (docs/console.md, Security model: Headers).
  expect(answer.headers['x-frame-options']).toBe('DENY');
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['referrer-policy']).toBe('same-origin');
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.headers['content-security-policy']).toContain("default-src 'self'; script-src 'none'");
  expect(answer.headers.connection).toBe('close');
  // Nothing of the request comes back: not the ID number, not even its first digits.
  expect(answer.whole).not.toContain(ID);
  expect(answer.whole).not.toContain(ID.slice(0, 6));
  expect(answer.whole).not.toContain('subjects');
}

describe('malformed HTTP at the connection (clientErrorHandler)', () => {
  it('answers a request line with a space in its path with a Chinese 400 and the security headers', async () => {
    const answer = parseAnswer(
      await rawExchange(`GET /subjects/${ID} ${ID} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Subject: ${ID}\r\n\r\n`),
    );
    expectConsoleRefusal(answer, 'HTTP/1.1 400 Bad Request', /请求格式有误/);
  });

  it('answers a control character in the path with a Chinese 400', async () => {
    const answer = parseAnswer(
      await rawExchange(`GET /subjects/${ID}\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`),
    );
    expectConsoleRefusal(answer, 'HTTP/1.1 400 Bad Request', /请求格式有误/);
  });

  it('answers a header value with a NUL in it with a Chinese 400', async () => {
    const answer = parseAnswer(
      await rawExchange(`GET /subjects HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Subject: ${ID}\x00\r\n\r\n`),
    );
    expectConsoleRefusal(answer, 'HTTP/1.1 400 Bad Request', /请求格式有误/);
  });

  it('answers a header block over the limit with a Chinese 431', async () => {
    const answer = parseAnswer(
      await rawExchange(
        `GET /subjects/${ID} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Subject: ${ID}\r\nCookie: pad=${'a'.repeat(20_000)}\r\n\r\n`,
      ),
    );
    expectConsoleRefusal(answer, 'HTTP/1.1 431 Request Header Fields Too Large', /请求头过大/);
  });

  it('goes on serving well-formed requests', async () => {
    const health = await fetch(`${cx.baseUrl}/healthz`);
    expect(health.status).toBe(200);
  });
});
