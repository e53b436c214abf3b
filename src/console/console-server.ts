import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, {
  type ConnectionError,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { registerMetricsRoutes } from '../metrics/metrics-routes.ts';
import type { ConsoleDeps } from './console-deps.ts';
import { registerCsrfCheck } from './csrf.ts';
import { html, page } from './html.ts';
import { UPLOAD_TIMEOUTS } from './pages/direct-report-limit.ts';
import { PAGES } from './pages/index.ts';
import { requestErrorText } from './request-error-text.ts';
import { registerSessionAuth } from './session-auth.ts';
import { urlAsShown } from './url-shown.ts';

/**
 * The web console (issue #20): server-rendered pages over the warehouse. Loaded only by `credit-etl serve`
 * (lazily: no other command pays for fastify). Security in one place: sessions (session-auth.ts) and the
 * CSRF check of every non-GET route (csrf.ts) are hooks on the whole app; each page guards itself with
 * requireRole(...).
 */
export async function buildConsole(deps: ConsoleDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Behind the province's reverse proxy: believe X-Forwarded-For/-Proto from it only (docs/console.md).
    trustProxy: deps.settings.trustProxy.length > 0 ? deps.settings.trustProxy : false,
    logger: false,
    bodyLimit: 1024 * 1024,
    // Every request must arrive whole in time (Fastify's default, 0, waits for ever: a client that announces a body
    // and sends none held its connection, an upload its slot). A minute past an upload's own limit, so that the
    // direct-report page gives a stalled upload up first, with its form; this answers any other (408, below).
    requestTimeout: (deps.uploadTimeouts ?? UPLOAD_TIMEOUTS).totalMs + 60_000,
    // An address the router cannot read (`%ff`, a path segment over its length limit) is answered before any hook
    // runs: by default in English JSON quoting the address, an ID number in it in clear, without the headers.
    frameworkErrors: (error, request, reply) => sendAddressRefused(deps, error, request, reply),
    // HTTP the parser cannot read (a space or control character in the request line, headers over 16 KiB) is
    // refused at the connection before any of the above: by default in English JSON, without the headers.
    clientErrorHandler: answerMalformedRequest,
  });
  await app.register(cookie);
  await app.register(formbody);
  registerSessionAuth(app, deps);
  registerCsrfCheck(app);
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(
        page({
          title: '页面不存在',
          user: request.user,
          body: html`<p class="error">没有这个页面：${urlAsShown(request.url)}</p>`,
        }),
      ),
  );
  app.setErrorHandler(async (error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    // The path without its query: an upload's carries the session's CSRF token (`?_csrf=…`), not for a log. As a
    // person reads it (decoded, an ID number in it masked: `%33%37…` is digits too), control characters shown as
    // U+FFFD by urlAsShown (a line break would forge a log line).
    if (status >= 500)
      deps.logger.error(
        `console: ${request.method} ${urlAsShown(pathOf(request.url))}: ${(error as Error).message}`,
      );
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(
        page({
          title: status >= 500 ? '服务器错误' : '请求有误',
          user: request.user,
          body: html`<p class="error">${requestErrorText(error, status)}</p>`,
        }),
      );
  });
  for (const register of PAGES) await register(app, deps);
  // Scrape targets without a session, like any exporter: counts and pipeline names, never a record or a person;
  // the reverse proxy lets only the monitoring network reach them (docs/console.md).
  await registerMetricsRoutes(app, { warehouse: deps.warehouse, component: 'serve' }, deps.logger);
  return app;
}

/** On every answer of the console (docs/console.md, Security model: Headers). */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
};

/**
 * The answer to an address the router refuses before any hook or handler (Fastify's frameworkErrors: a
 * percent-escape that is no UTF-8, `FST_ERR_BAD_URL`; a path parameter over its length, 414): the console's error
 * page in Chinese with its headers, the address as a person reads it (urlAsShown: an ID number in it masked).
 * No hook has run, so no session is read: the page has no navigation.
 */
function sendAddressRefused(
  deps: ConsoleDeps,
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = error.statusCode ?? 400;
  if (status >= 500)
    deps.logger.error(`console: ${request.method} ${urlAsShown(pathOf(request.url))}: ${error.message}`);
  const text =
    error.code === 'FST_ERR_BAD_URL'
      ? `网址无法识别（含无法解码的百分号编码）：${urlAsShown(request.url)}。请从页面上的链接重新打开。`
      : requestErrorText(error, status);
  void reply
    .code(status)
    .headers(SECURITY_HEADERS)
    .type('text/html; charset=utf-8')
    .send(
      page({
        title: status >= 500 ? '服务器错误' : '请求有误',
        user: undefined,
        body: html`<p class="error">${text}</p>`,
      }),
    );
}

/** What a request the HTTP parser refused is told, by Node's error code; anything else is a 400. */
const MALFORMED_ANSWERS: Readonly<Record<string, { status: number; text: string }>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    text: '请求头过大，控制台无法处理。请清除本站点的 Cookie 后重新打开控制台。',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    text: '请求超时：未在规定时间内收到完整的请求。请重新打开页面。',
  },
};
const MALFORMED_REQUEST = {
  status: 400,
  text: '请求格式有误，控制台无法识别。请从控制台页面上的链接重新打开。',
};

/**
 * The answer to HTTP that Node's parser refuses before Fastify sees a request (its `clientError`): a short
 * Chinese text with the console's headers, and the connection closed. Nothing of the request is quoted or
 * logged (it may hold an ID number). Like Node's own handler, nothing is written once an answer on this
 * connection has begun (it would corrupt that answer), nor on a connection the client already reset.
 */
function answerMalformedRequest(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || refusedSockets.has(socket)) return;
  refusedSockets.add(socket);
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const { status, text } = MALFORMED_ANSWERS[error.code] ?? MALFORMED_REQUEST;
    const body = `${text}\n`;
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
      'Content-Type: text/plain; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  }
  // What the client sent past the error is not read: give the answer a moment to leave (closing a socket with
  // unread input resets it, which can drop the answer in transit), then close for good.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Connections already answered as malformed: a further parse error on one is not answered again. */
const refusedSockets = new WeakSet<Socket>();

/** A request's path, its query string left off. */
const pathOf = (url: string): string => url.split('?', 1)[0] ?? url;
