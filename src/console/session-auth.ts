import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  createConsoleSession,
  endConsoleSession,
  findOpenSession,
} from '../warehouse/console-sessions-repository.ts';
import type { ConsoleDeps } from './console-deps.ts';
import './console-request.ts';
import type { ConsoleRole } from './console-user.ts';
import { html, page } from './html.ts';
import { urlHoldsId } from './url-shown.ts';

export const SESSION_COOKIE = 'credit_etl_session';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Server-side sessions: the cookie holds 32 random bytes, the warehouse their SHA-256 (console_sessions), so a
 * copy of the table opens no session. On every request the cookie's session is looked up (ended, expired, or a
 * disabled user's session counts as none) and `request.user` set.
 */
export function registerSessionAuth(app: FastifyInstance, deps: ConsoleDeps): void {
  app.addHook('onRequest', async (request) => {
    const token = request.cookies[SESSION_COOKIE];
    if (!token) return;
    const session = await findOpenSession(deps.warehouse, sha256(token));
    if (!session) return;
    request.user = {
      id: session.user_id,
      name: session.name,
      role: session.role,
      ...(session.provider_code ? { providerCode: session.provider_code } : {}),
    };
    request.consoleSession = { id: session.session_id, csrfToken: session.csrf_token };
  });
}

/** Opens a session for a user who just proved their password, and sets its cookie. */
export async function startSession(
  deps: ConsoleDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  userId: number,
): Promise<void> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + deps.settings.sessionHours * 3_600_000);
  await createConsoleSession(deps.warehouse, {
    userId,
    tokenSha256: sha256(token),
    csrfToken: randomBytes(24).toString('base64url'),
    ip: request.ip,
    expiresAt,
  });
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: deps.settings.secureCookie || request.protocol === 'https',
    expires: expiresAt,
  });
}

export async function endSession(
  deps: ConsoleDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  if (request.consoleSession) await endConsoleSession(deps.warehouse, request.consoleSession.id);
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/**
 * A route's guard: without a session, to the login page (and back here afterwards); with a session of another
 * role, 403 with a page that says so.
 */
export function requireRole(...roles: ConsoleRole[]): preHandlerAsyncHookHandler {
  return async function checkRole(request, reply) {
    const user = request.user;
    if (!user) {
      // Back here after the login, unless the address holds an ID number: that is not carried in a link.
      const next =
        request.method === 'GET' && !urlHoldsId(request.url)
          ? `?next=${encodeURIComponent(request.url)}`
          : '';
      await reply.redirect(`/login${next}`, 303);
      return reply;
    }
    if (!roles.includes(user.role)) {
      await reply
        .code(403)
        .type('text/html; charset=utf-8')
        .send(
          page({
            title: '无权访问',
            user,
            body: html`<p class="error">您的角色无权打开此页面。如需访问，请联系平台管理员。</p>`,
          }),
        );
      return reply;
    }
  };
}
