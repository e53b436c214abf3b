import type { FastifyInstance } from 'fastify';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { CHANNEL_LEVELS, type ChannelLevel } from '../../catalog/catalog-entry.ts';
import { loadProviders, providersFile } from '../../report/providers.ts';
import {
  MAX_PERIOD_YEARS,
  periodTooLong,
  type QualityRequest,
  qualityBulletin,
} from '../../report/quality-stats.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { STAFF_ROLES } from '../console-user.ts';
import { csrfField } from '../csrf.ts';
import { html, page, raw } from '../html.ts';
import { badRequest, dateProblem } from '../request-values.ts';
import { requireRole } from '../session-auth.ts';
import { PAGE_STYLE } from '../views/page-parts.ts';
import { qualityBody } from '../views/quality-body.ts';
import { sendReportFile } from './download-file.ts';

type QualityQuery = Record<string, string | undefined>;

/** The bulletin's own look (quality-html.ts) that the console's layout lacks: the highlighted rows, the charts. */
const BULLETIN_STYLE = `
.quality-bulletin tr.bottom td { background: #ffc7ce; color: #9c0006; }
.quality-bulletin svg text { font-size: 13px; fill: #222; }
.quality-bulletin svg .small, .quality-bulletin svg .axis { font-size: 11px; fill: #555; }
.quality-bulletin .charts { display: flex; flex-wrap: wrap; gap: 32px; }
.quality-bulletin td { text-align: right; } .quality-bulletin td:nth-child(2), .quality-bulletin td:nth-child(3) { text-align: left; }`;

/**
 * `/quality`: the Art. 15 quality bulletin for a chosen period (default: this month so far), the same figures and
 * HTML as `credit-etl report quality`; the workbook to download.
 */
export function registerQualityPage(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Querystring: QualityQuery }>(
    '/quality',
    { preHandler: requireRole(...STAFF_ROLES) },
    async (request, reply) => {
      const { request: asked, problem } = requestOf(request.query);
      const bulletin = problem
        ? undefined
        : await qualityBulletin(deps.warehouse, await loadProviders(providersFile()), asked);
      return reply
        .code(problem ? 400 : 200)
        .type('text/html; charset=utf-8')
        .send(
          page({
            title: '数据质量通报',
            user: request.user,
            nav: '/quality',
            csrf: csrfField(request),
            body: html`<style>${raw(PAGE_STYLE + BULLETIN_STYLE)}</style>${qualityBody(asked, bulletin, problem)}`,
          }),
        );
    },
  );

  app.get<{ Querystring: QualityQuery }>(
    '/quality/download',
    { preHandler: requireRole(...STAFF_ROLES) },
    async (request, reply) => {
      const { request: asked, problem } = requestOf(request.query);
      if (problem) throw badRequest(problem);
      const bulletin = await qualityBulletin(deps.warehouse, await loadProviders(providersFile()), asked);
      return sendReportFile(reply, `质量通报-${asked.from}-${asked.to}.xlsx`, async (file) => {
        const { writeQualityXlsx } = await import('../../report/quality-xlsx.ts');
        await writeQualityXlsx(bulletin, file);
      });
    },
  );
}

/**
 * The period asked for (this month so far when none), with a message when it is not a real period or is longer
 * than MAX_PERIOD_YEARS years (a 400, not a 500 from a period compared with before year 1). A date that
 * is not one goes back to the form empty: it may be anything typed into the address bar, a person's number too
 * (the message shows it masked).
 */
function requestOf(query: QualityQuery): { request: QualityRequest; problem: string | undefined } {
  const today = todayInShanghai();
  const from = query.from || `${today.slice(0, 8)}01`;
  const to = query.to || today;
  const bottom = query.bottom && /^\d{1,3}$/.test(query.bottom) ? Number(query.bottom) : 3;
  const level = CHANNEL_LEVELS.find((candidate) => candidate === query.level) as ChannelLevel | undefined;
  const fromProblem = dateProblem('起始日期', from);
  const toProblem = dateProblem('截止日期', to);
  const problem =
    fromProblem ??
    toProblem ??
    (from > to
      ? `起始日期 ${from} 晚于截止日期 ${to}`
      : periodTooLong(from, to)
        ? `${from} 至 ${to} 超过 ${MAX_PERIOD_YEARS} 年：请选择 ${MAX_PERIOD_YEARS} 年以内的期间`
        : undefined);
  return {
    request: { from: fromProblem ? '' : from, to: toProblem ? '' : to, bottom, ...(level ? { level } : {}) },
    problem: problem ? `统计期间有误：${problem}` : undefined,
  };
}
