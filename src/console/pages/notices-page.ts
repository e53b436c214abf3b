import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NoticeRefused } from '../../report/notices.ts';
import { loadProviders, providerLabel, providersFile } from '../../report/providers.ts';
import { findNotice } from '../../warehouse/notices-repository.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { userOf } from '../console-request.ts';
import { STAFF_ROLES } from '../console-user.ts';
import { csrfField } from '../csrf.ts';
import { html, page, raw } from '../html.ts';
import { idParam } from '../request-values.ts';
import { requireRole } from '../session-auth.ts';
import { loadUnmaskable, unmaskCarried, unmaskRequested, unmaskSwitch } from '../unmask.ts';
import { noticeBoardBody, noticeBody } from '../views/notices-body.ts';
import { noticeBoard, noticeDetails, reissueNotice } from '../views/notices-view.ts';
import { PAGE_STYLE } from '../views/page-parts.ts';
import { sendReportFile } from './download-file.ts';

/** The one action here: an administrator re-issues a notice (as `report notice --reissue`), with CSRF. */
const REISSUE_ROLES = ['admin'] as const;

/**
 * `/notices`: the review notices' status board (open / partly corrected / closed, overdue first); `/notices/:id`:
 * one notice with its rows, what to fix, and its log; the notice's workbook to download; re-issue.
 */
export function registerNoticesPage(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/notices', { preHandler: requireRole(...STAFF_ROLES) }, async (request, reply) => {
    const [states, providers] = await Promise.all([
      noticeBoard(deps.warehouse),
      loadProviders(providersFile()),
    ]);
    const body = noticeBoardBody(states, (code) => providerLabel(providers, code));
    return reply.type('text/html; charset=utf-8').send(
      page({
        title: '复核通知',
        user: request.user,
        nav: '/notices',
        csrf: csrfField(request),
        body: html`<style>${raw(PAGE_STYLE)}</style>${body}`,
      }),
    );
  });

  // GET shows the notice masked; the auditor's unmask form (../unmask.ts) posts here with its reason.
  app.route<{ Params: { id: string }; Querystring: { done?: string } }>({
    method: ['GET', 'POST'],
    url: '/notices/:id',
    preHandler: requireRole(...STAFF_ROLES),
    handler: async (request, reply) => {
      const noticeId = idParam(request.params.id);
      if (noticeId === undefined) return reply.callNotFound();
      return sendNoticePage(
        request,
        reply,
        deps,
        noticeId,
        request.query.done === 'reissued' ? '已重新发送：办理记录中已登记“重新发送”。' : undefined,
      );
    },
  });

  app.post<{ Params: { id: string } }>(
    '/notices/:id/reissue',
    { preHandler: requireRole(...REISSUE_ROLES) },
    async (request, reply) => {
      const noticeId = idParam(request.params.id);
      if (noticeId === undefined) return reply.callNotFound();
      try {
        const providers = await loadProviders(providersFile());
        const notice = await reissueNotice(
          deps.warehouse,
          deps.catalog,
          providers,
          noticeId,
          userOf(request).name,
        );
        if (!notice) return reply.callNotFound();
      } catch (error) {
        if (!(error instanceof NoticeRefused)) throw error;
        reply.code(409);
        return sendNoticePage(request, reply, deps, noticeId, `未重新发送：${error.message}`);
      }
      return reply.redirect(`/notices/${noticeId}?done=reissued`, 303);
    },
  );

  // Unmasked only by a POST from an unmasked notice page (its form carries the reason on: unmaskCarried).
  app.route<{ Params: { id: string } }>({
    method: ['GET', 'POST'],
    url: '/notices/:id/notice.xlsx',
    preHandler: requireRole(...STAFF_ROLES),
    handler: async (request, reply) => {
      const noticeId = idParam(request.params.id);
      // No such notice: 404 before the unmask log names a download nobody got (the writer would throw: a 500).
      if (noticeId === undefined || !(await findNotice(deps.warehouse, noticeId)))
        return reply.callNotFound();
      const unmasked = await unmaskRequested(deps, request, `复核通知 ${noticeId} 下载（XLSX）`);
      const providers = await loadProviders(providersFile());
      return sendReportFile(reply, `复核通知-${noticeId}${unmasked ? '-未脱敏' : ''}.xlsx`, async (file) => {
        const { writeNoticeXlsx } = await import('../../report/notice-workbook.ts');
        await writeNoticeXlsx(deps.warehouse, deps.catalog, providers, noticeId, file, {
          unmasked,
          issuer: deps.config.issuer,
          templateUnmasked: false,
        });
      });
    },
  });
}

async function sendNoticePage(
  request: FastifyRequest,
  reply: import('fastify').FastifyReply,
  deps: ConsoleDeps,
  noticeId: number,
  flash: string | undefined,
) {
  const [shown, providers] = await Promise.all([
    loadUnmaskable(deps, request, `复核通知 ${noticeId} 的问题清单`, (unmasked) =>
      noticeDetails(deps.warehouse, deps.catalog, noticeId, unmasked),
    ),
    loadProviders(providersFile()),
  ]);
  if (!shown) return reply.callNotFound();
  const { found: details, unmasked } = shown;
  const mayReissue = (REISSUE_ROLES as readonly string[]).includes(userOf(request).role);
  const reissueForm = mayReissue
    ? html`<form method="post" action="/notices/${noticeId}/reissue" id="reissue-form">${csrfField(request)}<button type="submit" id="reissue">重新发送本通知</button> <span class="muted">（同一范围不另发新通知：在办理记录中登记“重新发送”，与命令 report notice --reissue 相同）</span></form>`
    : '';
  const body = noticeBody({
    details,
    provider: providerLabel(providers, details.state.providerCode),
    unmasked,
    unmaskSwitch: unmaskSwitch(request, unmasked),
    unmaskCarried: unmaskCarried(request, unmasked),
    reissueForm,
    flash,
  });
  return reply.type('text/html; charset=utf-8').send(
    page({
      title: `复核通知 ${noticeId}`,
      user: request.user,
      nav: '/notices',
      csrf: csrfField(request),
      body: html`<style>${raw(PAGE_STYLE)}</style>${body}`,
    }),
  );
}
