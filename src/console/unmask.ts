import type { FastifyRequest } from 'fastify';
import { maskTypedLookup } from '../log/mask-personal-data.ts';
import { UNMASK_REASON_MAX, UNMASK_REASON_MIN, unmaskReasonProblem } from '../log/unmask-reason.ts';
import { appendUnmaskView } from '../warehouse/unmask-views-repository.ts';
import type { ConsoleDeps } from './console-deps.ts';
import './console-request.ts';
import { type ConsoleUser, canUnmask } from './console-user.ts';
import { csrfField } from './csrf.ts';
import { html, type SafeHtml } from './html.ts';
import { holdsTypedId } from './request-values.ts';
import { urlHoldsId } from './url-shown.ts';

/** The reason (查询事由) an auditor must give to unmask: the rule the CLI's `--reason` follows too. */
export { canUnmask, UNMASK_REASON_MAX, UNMASK_REASON_MIN };

/** Appends who saw what unmasked, when, from where and why, to the append-only unmask_views table. */
export async function logUnmaskedView(
  deps: ConsoleDeps,
  user: ConsoleUser,
  what: string,
  reason: string,
  ip?: string,
): Promise<void> {
  await appendUnmaskView(deps.warehouse, { userId: user.id, userName: user.name, what, reason, ip });
  deps.logger.info(`console: ${user.name} viewed unmasked personal data: ${what} (事由：${reason})`);
}

/**
 * What a request asks of the unmask switch: nothing (any GET or HEAD, whatever its query says; any role but the
 * auditor), or a POST of the unmask form (`unmask=1`, with the CSRF token checked by csrf.ts) with its reason —
 * an ID number typed into it masked — or why the reason will not do (Chinese).
 */
function unmaskAsked(request: FastifyRequest): { reason: string } | { problem: string } | undefined {
  if (request.method !== 'POST' || !canUnmask(request.user)) return undefined;
  const body = request.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || body.unmask !== '1') return undefined;
  const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
  const problem = unmaskReasonProblem(reason);
  if (problem === 'short')
    return {
      problem: `未显示完整证件号码：请填写查询事由（至少 ${UNMASK_REASON_MIN} 个字，如“复核异议申请”），每次查看都连同事由记录。`,
    };
  if (problem === 'long')
    return { problem: `未显示完整证件号码：查询事由不超过 ${UNMASK_REASON_MAX} 个字。` };
  // A NUL byte would make the unmask log's INSERT fail (a 500); no form sends a control character.
  if (problem === 'control') return { problem: '未显示完整证件号码：查询事由不能含控制字符，请重新填写。' };
  return { reason: maskTypedLookup(reason) };
}

/**
 * A page's unmask switch: true when an entitled user posted the unmask form with a reason, in which case the
 * view is logged first (`what` names the page and the thing shown, e.g. `run 12: rejected rows`). A GET or HEAD
 * never unmasks (nothing would say why, and HEAD shows nothing); anyone else sees masked data whatever they send.
 */
export async function unmaskRequested(
  deps: ConsoleDeps,
  request: FastifyRequest,
  what: string,
): Promise<boolean> {
  const asked = unmaskAsked(request);
  if (!asked || !('reason' in asked) || !request.user) return false;
  await logUnmaskedView(deps, request.user, what, asked.reason, request.ip);
  return true;
}

/**
 * The unmask switch of a page about one thing that may not exist (a record, a notice): `load(unmasked)` reads
 * it, unmasked when an entitled user posted the unmask form with a reason; the view is logged once it is found,
 * before anything is shown. Not found (`load` gives undefined): undefined and nothing logged — the page answers
 * 404, and the append-only log holds no view of a thing nobody saw. Found but showing nothing personal
 * (`personal` false: a record asked for a day before it was in the warehouse): shown masked, nothing logged.
 */
export async function loadUnmaskable<T>(
  deps: ConsoleDeps,
  request: FastifyRequest,
  what: string,
  load: (unmasked: boolean) => Promise<T | undefined>,
  personal: (found: T) => boolean = () => true,
): Promise<{ found: T; unmasked: boolean } | undefined> {
  const asked = unmaskAsked(request);
  const user = request.user;
  const reason = asked && 'reason' in asked && user ? asked.reason : undefined;
  const found = await load(reason !== undefined);
  if (found === undefined) return undefined;
  const unmasked = reason !== undefined && personal(found);
  if (unmasked && user) await logUnmaskedView(deps, user, what, reason, request.ip);
  return { found, unmasked };
}

/**
 * The page's own address without `unmask` (an old link's): where the form posts and the mask-again link goes.
 * A query parameter holding an ID number (`?x=<ID>`, `?before=<ID>`: typed into the address, no page's link) is
 * left off, so a person's number never stands in the page; the others (a list's filter) stay. Undefined when
 * the path itself holds one: no page shows the switch there (an ID-shaped subject code is sent on to `r<id>`).
 */
function pageTarget(request: FastifyRequest): string | undefined {
  const url = new URL(request.url, 'http://console');
  for (const [name, value] of [...url.searchParams])
    if (name === 'unmask' || holdsTypedId(name) || holdsTypedId(value)) url.searchParams.delete(name);
  const target = url.pathname + url.search;
  if (!urlHoldsId(target)) return target;
  return urlHoldsId(url.pathname) ? undefined : url.pathname;
}

/**
 * The auditor's switch: a form posting the reason (查询事由) with the CSRF token to the page's own address, so the
 * number shown is in no URL and no history entry; once unmasked, a link back to the masked page. Nothing for
 * other roles.
 */
export function unmaskSwitch(request: FastifyRequest, unmasked: boolean): SafeHtml | '' {
  if (!canUnmask(request.user)) return '';
  const target = pageTarget(request);
  if (target === undefined) return '';
  const asked = unmaskAsked(request);
  if (unmasked && asked && 'reason' in asked)
    return html`<p class="notice">正在显示完整证件号码（本次查看已记录，事由：${asked.reason}）。<a href="${target}" id="mask-again">恢复脱敏显示</a></p>`;
  return html`${asked && 'problem' in asked ? html`<p class="error" id="unmask-error">${asked.problem}</p>` : ''}<form method="post" action="${target}" id="unmask-form" class="filters">${csrfField(request)}<input type="hidden" name="unmask" value="1">
<label>查询事由 <input name="reason" id="unmask-reason" required minlength="${UNMASK_REASON_MIN}" maxlength="${UNMASK_REASON_MAX}" autocomplete="off" placeholder="如：复核异议申请"></label>
<button type="submit" id="unmask">显示完整证件号码</button> <span class="muted">（审计员权限；每次查看都记录查看人、时间和事由）</span></form>`;
}

/**
 * The hidden fields that carry an unmasked view on to a download or the next page (the same reason, logged
 * again there as its own view); nothing when the page is masked. A form holding them posts, never a link.
 */
export function unmaskCarried(request: FastifyRequest, unmasked: boolean): SafeHtml | '' {
  const asked = unmaskAsked(request);
  if (!unmasked || !asked || !('reason' in asked)) return '';
  return html`${csrfField(request)}<input type="hidden" name="unmask" value="1"><input type="hidden" name="reason" value="${asked.reason}">`;
}
