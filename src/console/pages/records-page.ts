import type { FastifyInstance } from 'fastify';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { maskPersonalText, maskTypedLookup } from '../../log/mask-personal-data.ts';
import { recordDetailsAsOf } from '../../records/record-details.ts';
import { searchRecords, subjectOfRef } from '../../records/record-search.ts';
import { archiveHolding, subjectArchives } from '../../records/subject-archive.ts';
import { loadProviders, providerLabel, providersFile } from '../../report/providers.ts';
import { findRecordRows } from '../../warehouse/records-repository.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { STAFF_ROLES } from '../console-user.ts';
import { csrfField } from '../csrf.ts';
import { html, page, raw, type SafeHtml } from '../html.ts';
import { badRequest, dayParam, holdsTypedId, idParam, textParam } from '../request-values.ts';
import { requireRole } from '../session-auth.ts';
import { loadUnmaskable, unmaskSwitch } from '../unmask.ts';
import { PAGE_STYLE } from '../views/page-parts.ts';
import {
  recordBody,
  recordNotYetBody,
  recordSearchBody,
  subjectBody,
  subjectChoiceBody,
} from '../views/records-body.ts';

/**
 * `/records`: search by credit code, ID number (shown masked) or decision number typed any way; `/records/:id`:
 * one record's versions, lineage, conflicts side by side, disclosure and objection marks; `/subjects/:code`: a
 * subject's archive (Art. 9). Personal data masked; an auditor may unmask, and each such view is logged.
 */
export function registerRecordsPage(app: FastifyInstance, deps: ConsoleDeps): void {
  const send = (title: string, body: SafeHtml, request: Parameters<typeof csrfField>[0]) =>
    page({
      title,
      user: request.user,
      nav: '/records',
      csrf: csrfField(request),
      body: html`<style>${raw(PAGE_STYLE)}</style>${body}`,
    });

  // GET for links (a decision number, a record id); the form posts, so an ID number typed in stays out of the
  // address bar, the browser's history and the proxy's access log. An ID number typed into the address all the
  // same is not searched: the page asks for the form (a search by link would make such addresses work).
  app.get<{ Querystring: { q?: string } }>(
    '/records',
    { preHandler: requireRole(...STAFF_ROLES) },
    async (request, reply) => {
      const typed = textParam(request.query.q, '查询内容');
      if (holdsTypedId(typed))
        throw badRequest(
          '网址中不能含身份证号码：请在本页的查询框中输入后点“查询”（表单提交，号码不出现在网址、浏览记录和访问日志中）。',
        );
      const search = typed ? await searchRecords(deps.warehouse, deps.catalog, typed) : undefined;
      return reply
        .type('text/html; charset=utf-8')
        .send(send('记录与主体查询', recordSearchBody(search, csrfField(request)), request));
    },
  );

  app.post<{ Body: { q?: string } }>(
    '/records',
    { preHandler: requireRole(...STAFF_ROLES) },
    async (request, reply) => {
      const typed = textParam(request.body?.q, '查询内容') ?? '';
      const search = await searchRecords(deps.warehouse, deps.catalog, typed);
      return reply
        .type('text/html; charset=utf-8')
        .send(send('记录与主体查询', recordSearchBody(search, csrfField(request)), request));
    },
  );

  // GET shows the record masked; the auditor's unmask form (../unmask.ts) posts here with its reason.
  // `?asOf=YYYY-MM-DD` a past day: the record as it stood at that day's end (Asia/Shanghai), or that it was not yet
  // in the warehouse then; today or a later day is today's page; no day is a 400 naming the value. The unmask form
  // posts to the page's own address, so an unmasked view of a past day stays that day's.
  app.route<{ Params: { id: string }; Querystring: { asOf?: string } }>({
    method: ['GET', 'POST'],
    url: '/records/:id',
    preHandler: requireRole(...STAFF_ROLES),
    handler: async (request, reply) => {
      const recordId = idParam(request.params.id);
      if (recordId === undefined) return reply.callNotFound();
      const today = todayInShanghai();
      const asked = dayParam(request.query.asOf, '查看日期');
      const day = asked !== undefined && asked < today ? asked : undefined;
      const [shown, providers] = await Promise.all([
        loadUnmaskable(
          deps,
          request,
          day ? `记录 ${recordId}（${day} 日终状态）` : `记录 ${recordId}`,
          (unmasked) => recordDetailsAsOf(deps.warehouse, deps.catalog, recordId, day ?? today, { unmasked }),
          // Not yet in the warehouse on the day asked: nothing of it is shown, so no unmasked view is logged.
          (found) => !('notYet' in found),
        ),
        loadProviders(providersFile()),
      ]);
      if (!shown) return reply.callNotFound();
      const { found, unmasked } = shown;
      if ('notYet' in found) {
        const { notYet } = found;
        return reply
          .type('text/html; charset=utf-8')
          .send(
            send(
              `记录 ${recordId} · ${notYet.title}（${notYet.asOf.day} 日终）`,
              recordNotYetBody(notYet),
              request,
            ),
          );
      }
      const body = recordBody({
        ...found,
        label: (code) => providerLabel(providers, code),
        text: unmasked ? (value) => value : maskPersonalText,
        unmasked,
        unmaskSwitch: unmaskSwitch(request, unmasked),
      });
      const title = `记录 ${recordId} · ${found.view.title}${day ? `（${day} 日终）` : ''}`;
      return reply.type('text/html; charset=utf-8').send(send(title, body, request));
    },
  });

  // `:code` is a subject's code, or `r<record id>` for the subject of that record: the way pages link to a
  // person, whose ID number must not stand in a link (record-search.ts). A code typed into the address that
  // reads as an ID number in any form (spaces, dashes, full-width digits, a wrong check character) is sent on
  // to `r<id>` of one of its records before anything is shown or logged: the page, its unmask form and the
  // unmask log then name the subject by `r<id>`, which identifies without exposing.
  app.route<{ Params: { code: string } }>({
    method: ['GET', 'POST'],
    url: '/subjects/:code',
    preHandler: requireRole(...STAFF_ROLES),
    handler: async (request, reply) => {
      const subjectCode = await subjectOfRef(
        deps.warehouse,
        textParam(request.params.code, '主体代码') ?? '',
      );
      if (!subjectCode) return reply.callNotFound();
      const byRecord = /^r\d+$/.test(request.params.code);
      if (!byRecord && (holdsTypedId(request.params.code) || holdsTypedId(subjectCode))) {
        const [record] = await findRecordRows(deps.warehouse, { subjectCode });
        if (!record) return reply.callNotFound();
        return reply.redirect(`/subjects/r${record.id}`, 303);
      }
      // One code can name a natural person and an organization (an ID number that checks as a USCC too): each
      // has its own archive. `r<id>` shows that record's subject's; a code naming two asks which, showing neither.
      // A valid code no record has gets one empty archive of no kind: nothing seen, so no unmasked view logged.
      const archivesOf = (unmasked: boolean) =>
        subjectArchives(deps.warehouse, deps.catalog, subjectCode, todayInShanghai(), { unmasked });
      const { found: archives, unmasked } = (await loadUnmaskable(
        deps,
        request,
        // The log shows what was seen, not whose: an ID-shaped code cannot get here (sent on to `r<id>` above);
        // masked all the same, as the log page masks every entry.
        `主体档案 ${maskTypedLookup(request.params.code)}`,
        async (unmasked) => {
          const found = await archivesOf(unmasked);
          return found.some((archive) => archive.kind !== null) ? found : undefined;
        },
      )) ?? { found: await archivesOf(false), unmasked: false };
      const archive =
        (byRecord ? archiveHolding(archives, Number(request.params.code.slice(1))) : undefined) ??
        (archives.length === 1 ? archives[0] : undefined);
      if (!archive) {
        const shownCode =
          archives.find((one) => one.kind === 'person')?.subjectCode ?? maskTypedLookup(subjectCode);
        return reply
          .type('text/html; charset=utf-8')
          .send(send(`主体信用档案 ${shownCode}`, subjectChoiceBody(shownCode, archives), request));
      }
      const body = subjectBody({
        archive,
        text: unmasked ? (value) => value : maskPersonalText,
        unmasked,
        unmaskSwitch: unmaskSwitch(request, unmasked),
      });
      return reply
        .type('text/html; charset=utf-8')
        .send(send(`主体信用档案 ${archive.subjectCode}`, body, request));
    },
  });
}
