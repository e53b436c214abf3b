import type { FastifyInstance } from 'fastify';
import { endConsoleSession } from '../../warehouse/console-sessions-repository.ts';
import { findConsoleUser } from '../../warehouse/console-users-repository.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { type ConsoleRole, type ConsoleUser, ROLE_LABELS } from '../console-user.ts';
import { csrfField } from '../csrf.ts';
import { html, page, type SafeHtml } from '../html.ts';
import { foreignLoginOrigin } from '../login-origin.ts';
import { createLoginThrottle } from '../login-throttle.ts';
import { homeOf, NAV_ITEMS } from '../nav.ts';
import { decoyHash, verifyPassword } from '../password-hash.ts';
import { holdsControl, holdsTypedId } from '../request-values.ts';
import { endSession, startSession } from '../session-auth.ts';
import { urlHoldsId } from '../url-shown.ts';

interface LoginBody {
  name?: string;
  password?: string;
  next?: string;
}

/**
 * Only a path of this console: `next=https://elsewhere` must not turn the login into an open redirect; and none
 * holding an ID number, which the form would carry in the page. A single `/` then anything but `/` or `\`, in
 * printable ASCII only: browsers drop tabs and line breaks anywhere in a URL and controls and spaces at its ends
 * (WHATWG URL), so `/<TAB>/evil.example` would be `//evil.example`, another site; a line break would make the
 * Location header throw. The console's own addresses are percent-encoded, so nothing it makes is refused.
 */
const LOCAL_PATH = /^\/(?![/\\])[\x21-\x7E]*$/;
const safeNext = (next: unknown) =>
  typeof next === 'string' && LOCAL_PATH.test(next) && !urlHoldsId(next) ? next : undefined;

/**
 * Login (exempt from the CSRF token: nobody is logged in yet; a post from another site or origin is refused
 * instead, login-origin.ts) and logout.
 */
export function registerLoginPage(app: FastifyInstance, deps: ConsoleDeps): void {
  const throttle = createLoginThrottle();
  const form = (next: string | undefined, name = '', message?: string) =>
    page({
      title: '登录',
      user: undefined,
      body: html`${message ? html`<p class="error" id="login-error">${message}</p>` : ''}
<form method="post" action="/login" class="filters" style="flex-direction:column;align-items:stretch;max-width:22rem">
<label>用户名<input name="name" autocomplete="username" required value="${name}"></label>
<label>密码<input name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="${next ?? ''}">
<button type="submit">登录</button>
</form>`,
    });

  app.get<{ Querystring: { next?: string } }>('/login', async (request, reply) => {
    if (request.user) return reply.redirect(safeNext(request.query.next) ?? homeOf(request.user.role), 303);
    return reply.type('text/html; charset=utf-8').send(form(safeNext(request.query.next)));
  });

  app.post<{ Body: LoginBody }>('/login', { config: { csrfExempt: true } }, async (request, reply) => {
    // A JSON body may hold anything: a field that is not text is the sender's mistake (400), not a 500.
    const fields = request.body ?? {};
    if (
      (['name', 'password', 'next'] as const).some(
        (key) => fields[key] !== undefined && typeof fields[key] !== 'string',
      )
    )
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(form(undefined, '', '登录请求无法识别：用户名、密码须为文本。请在登录页面填写后提交。'));
    const name = (fields.name ?? '').trim();
    const password = fields.password ?? '';
    const next = safeNext(fields.next);
    // The form shown again keeps the name typed, unless it holds an ID number (the page would carry it clear) or
    // a control character (no user's name has one).
    const html401 = (code: number, message: string) =>
      reply
        .code(code)
        .type('text/html; charset=utf-8')
        .send(form(next, holdsTypedId(name) || holdsControl(name) ? '' : name, message));
    // Login CSRF: a form on another site would log this browser into the sender's account. Refused before the
    // throttle counts an attempt and before a password is checked.
    const foreign = foreignLoginOrigin(request);
    if (foreign) {
      deps.logger.warn(
        `console: login for ${JSON.stringify(name)} from ${request.ip} refused: not from this console (${foreign})`,
      );
      return reply
        .code(403)
        .type('text/html; charset=utf-8')
        .send(
          form(
            undefined,
            '',
            '登录请求不是从本平台的登录页面发出的（可能来自其他网站），已拒绝。请直接打开本平台的登录页面登录。',
          ),
        );
    }
    // The attempt takes its place in the allowance before the password is checked: parallel attempts cannot
    // all pass the throttle while none has failed yet (login-throttle.ts).
    const turn = await throttle.begin(request.ip, name);
    if ('refusedForMs' in turn) {
      const minutes = Math.ceil(turn.refusedForMs / 60_000);
      deps.logger.warn(
        `console: login for ${JSON.stringify(name)} from ${request.ip} refused: too many failed attempts`,
      );
      return html401(429, `登录失败次数过多，请 ${minutes} 分钟后再试。`);
    }
    const { attempt } = turn;
    let user: Awaited<ReturnType<typeof findConsoleUser>>;
    try {
      // A name with a control character (a NUL, which PostgreSQL refuses in text) is no user's: a failed login
      // like an unknown name, counted by the throttle, not a 500.
      user = name && !holdsControl(name) ? await findConsoleUser(deps.warehouse, name) : undefined;
      // An unknown name costs a hash too: the answer's timing does not tell which names exist.
      const good = await verifyPassword(password, user?.password_hash ?? (await decoyHash()));
      if (!user || !good || user.disabled_at) user = undefined;
    } catch (error) {
      attempt.abandoned();
      throw error;
    }
    if (!user) {
      attempt.failed();
      deps.logger.warn(`console: failed login for ${JSON.stringify(name)} from ${request.ip}`);
      return html401(401, '用户名或密码错误，或该用户已停用。');
    }
    attempt.succeeded();
    // The session the browser's cookie names (another user's, perhaps) ends here: its new cookie replaces it.
    if (request.consoleSession) await endConsoleSession(deps.warehouse, request.consoleSession.id);
    await startSession(deps, request, reply, user.id);
    deps.logger.info(`console: ${user.name} logged in from ${request.ip}`);
    return reply.redirect(next ?? homeOf(user.role), 303);
  });

  app.post('/logout', async (request, reply) => {
    await endSession(deps, request, reply);
    return reply.redirect('/login', 303);
  });

  app.get('/', async (request, reply) =>
    reply.redirect(request.user ? homeOf(request.user.role) : '/login', 303),
  );

  // Who is logged in, and the pages their role may open (the navigation's, as requireRole lets them in).
  app.get('/account', async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(
      page({
        title: '账户',
        user: request.user,
        csrf: csrfField(request),
        body: request.user ? accountBody(request.user) : html`<p>未登录。</p>`,
      }),
    ),
  );
}

/** What each role may do beyond opening its pages (docs/console.md, Users and roles). */
const ROLE_MAY: Readonly<Record<ConsoleRole, string>> = {
  viewer: '查看各页面；身份证号码始终脱敏显示。',
  auditor: '查看各页面；可填写查询事由后显示完整证件号码，每次查看均记录在案。',
  admin: '查看各页面；可重试失败、超过拒收阈值或中断的管道运行，可查看证件号码查看记录。',
  provider: '仅为本单位上传报送文件（数据直报），查看校验结果并下载拒收报告。',
};

/** The account's name, role (and provider: its code as registered, never masked), and its role's pages. */
function accountBody(user: ConsoleUser): SafeHtml {
  const pages = NAV_ITEMS.filter((item) => item.roles.includes(user.role));
  return html`<dl class="facts" id="account"><dt>用户名</dt><dd>${user.name}</dd><dt>角色</dt><dd>${ROLE_LABELS[user.role]}：${ROLE_MAY[user.role]}</dd>${
    user.providerCode ? html`<dt>报送单位代码</dt><dd class="mono">${user.providerCode}</dd>` : ''
  }</dl>
${
  pages.length === 0
    ? html`<p id="account-pages">您的角色暂无可用页面。</p>`
    : html`<h2>您可以使用的页面</h2><ul id="account-pages">${pages.map((item) => html`<li><a href="${item.href}">${item.label}</a></li>`)}</ul>`
}`;
}
