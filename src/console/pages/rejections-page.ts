import type { FastifyInstance } from 'fastify';
import { errorCodeTable } from '../../report/error-codes.ts';
import { loadProviders, providerLabel, providersFile } from '../../report/providers.ts';
import type { ReportScope } from '../../report/report-scope.ts';
import {
  providersWithFiles,
  type RejectionFilter,
  rejectionPage,
} from '../../warehouse/rejection-browse-repository.ts';
import { findRun } from '../../warehouse/runs-repository.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { STAFF_ROLES } from '../console-user.ts';
import { csrfField } from '../csrf.ts';
import { html, page, raw } from '../html.ts';
import { ConsoleRequestError } from '../request-error-text.ts';
import { badRequest, dateProblem, echoed, holdsTypedId, idParam, textParam } from '../request-values.ts';
import { requireRole } from '../session-auth.ts';
import { unmaskCarried, unmaskRequested, unmaskSwitch } from '../unmask.ts';
import { PAGE_STYLE } from '../views/page-parts.ts';
import { filterParams, rejectionsBody } from '../views/rejections-body.ts';
import { rejectionLines } from '../views/rejections-view.ts';
import { sendReportFile } from './download-file.ts';

/** Rejected rows per page: a person reads them; the download has them all. */
const PAGE_SIZE = 50;

type FilterQuery = Record<string, string | undefined>;

/**
 * `/rejections`: every rejected row, newest first, narrowed by provider, catalog entry, error code, received days
 * and run (the run page links here with `?run=`); each error with its field, value, message and fix. The
 * download writes the report `credit-etl report rejections` writes, for a run or a provider's days.
 */
export function registerRejectionsPage(app: FastifyInstance, deps: ConsoleDeps): void {
  // GET lists masked; the auditor's unmask form (../unmask.ts) posts here with its reason, the filter staying in
  // the query string (it holds no person's number: filterOf).
  app.route<{ Querystring: FilterQuery }>({
    method: ['GET', 'POST'],
    url: '/rejections',
    preHandler: requireRole(...STAFF_ROLES),
    handler: async (request, reply) => {
      const filter = filterOf(request.query);
      if (typeof filter === 'string') throw badRequest(filter);
      const unmasked = await unmaskRequested(deps, request, `拒收数据列表 ${describeFilter(filter)}`);
      const before = idParam(request.query.before);
      const scope = scopeOf(filter);
      const [found, providers, delivering] = await Promise.all([
        rejectionPage(deps.warehouse, filter, { before, limit: PAGE_SIZE }),
        loadProviders(providersFile()),
        providersWithFiles(deps.warehouse),
      ]);
      const codes = [...new Set([...providers.map((provider) => provider.code), ...delivering])].sort();
      const body = rejectionsBody({
        filter,
        lines: rejectionLines(found, deps.catalog, providers, unmasked),
        nextBefore: found.nextBefore,
        continued: before !== undefined,
        providers: codes.map((code) => [code, providerLabel(providers, code)] as const),
        catalogEntries: [...new Map(deps.catalog.entries.map((entry) => [entry.code, entry.title]))].sort(),
        errorCodes: errorCodeTable()
          .filter((code) => code.scope === 'row' && !code.code.endsWith('-'))
          .map((code) => [code.code, `${code.code} ${code.meaning}`] as const),
        unmasked,
        unmaskSwitch: unmaskSwitch(request, unmasked),
        unmaskCarried: unmaskCarried(request, unmasked),
        downloadProblem: typeof scope === 'string' ? scope : undefined,
      });
      return reply.type('text/html; charset=utf-8').send(
        page({
          title: '拒收数据',
          user: request.user,
          nav: '/rejections',
          csrf: csrfField(request),
          body: html`<style>${raw(PAGE_STYLE)}</style>${body}`,
        }),
      );
    },
  });

  // Unmasked only by a POST from an unmasked list (its form carries the reason on: unmaskCarried).
  app.route<{ Querystring: FilterQuery }>({
    method: ['GET', 'POST'],
    url: '/rejections/download',
    preHandler: requireRole(...STAFF_ROLES),
    handler: async (request, reply) => {
      const filter = filterOf(request.query);
      if (typeof filter === 'string') throw badRequest(filter);
      const format = formatOf(request.query.format);
      const scope = scopeOf(filter);
      if (typeof scope === 'string') throw badRequest(scope);
      // A run that does not exist has no report: not an empty one.
      if (scope.kind === 'run' && !(await findRun(deps.warehouse, scope.runId)))
        throw new ConsoleRequestError(
          `运行批次 ${scope.runId} 不存在：请从运行记录或拒收数据页面选择运行批次`,
          404,
        );
      const unmasked = await unmaskRequested(
        deps,
        request,
        `拒收数据报告下载（${format}）${describeFilter(filter)}`,
      );
      const name =
        scope.kind === 'run' ? `run-${scope.runId}` : `${filter.providerCode}-${filter.from}-${filter.to}`;
      return sendReportFile(reply, `拒收数据-${name}${unmasked ? '-未脱敏' : ''}.${format}`, async (file) => {
        const { writeRejectionReport } = await import('../../report/write-rejection-report.ts');
        await writeRejectionReport(deps.warehouse, deps.catalog, scope, file, format, {
          unmasked,
          issuer: deps.config.issuer,
        });
      });
    },
  });
}

/** The names of the filter's query parameters (the form's), each of which a link to another page carries on. */
const FILTER_NAMES = ['provider', 'catalog', 'code', 'from', 'to', 'run'] as const;

/**
 * The filter from the query string, or why it cannot be read (a message for a 400 page, nothing of a person in
 * it). A value holding a person's number is refused: the page's links (download, next page) carry the filter on.
 */
function filterOf(query: FilterQuery): RejectionFilter | string {
  // Each compared in SQL as one text: a NUL byte or the parameter given twice is a 400 (textParam), not a 500.
  const provider = textParam(query.provider, '报送单位');
  const catalog = textParam(query.catalog, '目录');
  const code = textParam(query.code, '错误代码');
  if (FILTER_NAMES.some((name) => holdsTypedId(query[name] ?? '')))
    return '筛选条件中不能含身份证号码：请按报送单位、目录、错误代码、接收日期或运行批次筛选';
  for (const [name, label] of [
    ['from', '起始日期'],
    ['to', '截止日期'],
  ] as const) {
    const problem = query[name] ? dateProblem(label, query[name]) : undefined;
    if (problem) return problem;
  }
  if (query.from && query.to && query.from > query.to)
    return `接收日期有误：起始日期 ${query.from} 晚于截止日期 ${query.to}`;
  if (query.run && idParam(query.run) === undefined) return `运行批次 ${echoed(query.run)} 不是有效编号`;
  return {
    providerCode: provider || undefined,
    catalogCode: catalog || undefined,
    errorCode: code || undefined,
    from: query.from || undefined,
    to: query.to || undefined,
    runId: idParam(query.run),
  };
}

/** The report formats a download may ask for (`format=`); none asked is the workbook. */
const FORMATS = ['xlsx', 'csv'] as const;

/** The download's format, or a 400 naming the formats there are. */
function formatOf(value: unknown): (typeof FORMATS)[number] {
  const format = textParam(value, '下载格式');
  if (format === undefined || format === '') return 'xlsx';
  const known = FORMATS.find((candidate) => candidate === format);
  if (!known)
    throw badRequest(
      `下载格式 ${echoed(format)} 不支持：只能下载 xlsx（Excel 工作簿）或 csv（逗号分隔文本）`,
    );
  return known;
}

/**
 * The report a filter can be downloaded as — the scopes the report writers know: a run, or a provider's received
 * days — else what to choose. The catalog entry and error code narrow the list, not the report (it has a sheet
 * per entry and a count per code).
 */
function scopeOf(filter: RejectionFilter): ReportScope | string {
  if (filter.runId !== undefined) return { kind: 'run', runId: filter.runId };
  if (filter.providerCode && filter.from && filter.to)
    return { kind: 'provider', providerCode: filter.providerCode, from: filter.from, to: filter.to };
  return '请先选择运行批次，或选择报送单位并填写起止日期（报告按运行批次或报送单位与期间生成，含全部目录和错误代码）';
}

function describeFilter(filter: RejectionFilter): string {
  return new URLSearchParams(
    Object.entries(filterParams(filter)).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, String(value)]],
    ),
  ).toString();
}
