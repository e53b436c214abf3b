import type { FastifyRequest } from 'fastify';
import { appendUnmaskView } from '../warehouse/unmask-views-repository.ts';
import type { ConsoleDeps } from './console-deps.ts';
import './console-request.ts';
import { type ConsoleUser, canUnmask } from './console-user.ts';
import { html, type SafeHtml } from './html.ts';

export { canUnmask };

/** Appends who saw what unmasked, and when, to the append-only unmask_views table. */
export async function logUnmaskedView(
  deps: ConsoleDeps,
  user: ConsoleUser,
  what: string,
  ip?: string,
): Promise<void> {
  await appendUnmaskView(deps.warehouse, { userId: user.id, userName: user.name, what, ip });
  deps.logger.info(`console: ${user.name} viewed unmasked personal data: ${what}`);
}

/**
 * A page's unmask switch: true when an entitled user asked (`?unmask=1`), in which case the view is logged
 * first (`what` names the page and the thing shown, e.g. `run 12: rejected rows`). Anyone else sees masked data
 * whatever the URL says.
 */
export async function unmaskRequested(
  deps: ConsoleDeps,
  request: FastifyRequest,
  what: string,
): Promise<boolean> {
  const asked = (request.query as Record<string, unknown> | undefined)?.unmask === '1';
  if (!asked || !request.user || !canUnmask(request.user)) return false;
  await logUnmaskedView(deps, request.user, what, request.ip);
  return true;
}

/** The link an auditor follows to unmask (or mask again); nothing for other roles. */
export function unmaskSwitch(request: FastifyRequest, unmasked: boolean): SafeHtml | '' {
  if (!canUnmask(request.user)) return '';
  const url = new URL(request.url, 'http://console');
  if (unmasked) url.searchParams.delete('unmask');
  else url.searchParams.set('unmask', '1');
  const target = url.pathname + url.search;
  return unmasked
    ? html`<p class="notice">正在显示完整证件号码（本次查看已记录）。<a href="${target}">恢复脱敏显示</a></p>`
    : html`<p><a href="${target}" id="unmask">显示完整证件号码</a> <span class="muted">（审计员权限；每次查看都会记录查看人和时间）</span></p>`;
}
