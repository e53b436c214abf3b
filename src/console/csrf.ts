import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import './console-request.ts';
import { html, page, type SafeHtml } from './html.ts';

/** The form field (and, for multipart uploads, the query parameter or `x-csrf-token` header) carrying it. */
export const CSRF_FIELD = '_csrf';

/** The hidden input every console form carries (the session's token; empty without a session). */
export function csrfField(request: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${request.consoleSession?.csrfToken ?? ''}">`;
}

/** The bare token, e.g. for a multipart form's action URL (`/upload?_csrf=…`) whose body is read as a stream. */
export const csrfToken = (request: FastifyRequest): string => request.consoleSession?.csrfToken ?? '';

/**
 * Every non-GET request must carry its session's token (synchronizer token, in addition to the SameSite=Strict
 * cookie), checked here for all routes at once: a route opts out only with `config: { csrfExempt: true }` (the
 * login form). Refused: 403 with a Chinese page.
 */
export function registerCsrfCheck(app: FastifyInstance): void {
  app.addHook('preHandler', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    if (request.routeOptions.config.csrfExempt) return;
    const expected = request.consoleSession?.csrfToken;
    const given = tokenOf(request);
    if (expected && given && sameText(given, expected)) return;
    request.log.warn({ url: request.url, user: request.user?.name }, 'CSRF token missing or wrong: refused');
    await reply
      .code(403)
      .type('text/html; charset=utf-8')
      .send(
        page({
          title: '请求被拒绝',
          user: request.user,
          body: html`<p class="error">表单已过期或来源不明（CSRF 校验未通过），操作未执行。请返回页面刷新后重试。</p>`,
        }),
      );
    return reply;
  });
}

function tokenOf(request: FastifyRequest): string | undefined {
  const body = request.body;
  if (body && typeof body === 'object' && CSRF_FIELD in body) {
    const value = (body as Record<string, unknown>)[CSRF_FIELD];
    if (typeof value === 'string') return value;
  }
  const header = request.headers['x-csrf-token'];
  if (typeof header === 'string') return header;
  // In the URL only for a multipart upload, whose body is read as a stream after this check: a token in a URL
  // ends up in logs and history, so no other form may send it there.
  if (!request.headers['content-type']?.startsWith('multipart/form-data')) return undefined;
  const query = (request.query as Record<string, unknown> | undefined)?.[CSRF_FIELD];
  return typeof query === 'string' ? query : undefined;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
