import type { FastifyInstance } from 'fastify';
import { shanghaiTime, todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { listingPipelineNames } from '../../pipelines/pipeline-names-shown.ts';
import { type GridCell, runGrid, runsPage } from '../../warehouse/console-runs-repository.ts';
import { RUN_STATUSES, type RunStatus } from '../../warehouse/runs-repository.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { STAFF_ROLES } from '../console-user.ts';
import { csrfField } from '../csrf.ts';
import { html, page, query } from '../html.ts';
import { badRequest, dayRange, holdsTypedId, idParam, textParam } from '../request-values.ts';
import { daysBetween, daysEnding, STATUS_LABELS, seconds, statusBadge } from '../run-labels.ts';
import { requireRole } from '../session-auth.ts';
import { loadsRows, outcomesText, pipelineFilterable, runKindLabel } from '../views/run-kind.ts';

interface RunsQuery {
  pipeline?: string;
  status?: string;
  from?: string;
  to?: string;
  before?: string;
}

const PAGE_SIZE = 50;
/** The grid spans at most this many days (a column each); a longer range shows its last days. */
const MAX_GRID_DAYS = 92;
/** Marks a grid cell whose day was retried without a file being read. */
const RETRIED_MARK = '↻';

/**
 * Runs: a day grid per pipeline (latest run of each partition day, coloured by status; a run that completed
 * without reading any file does not stand for its day, it is noted on the run before it), then the run list.
 */
export function registerRunsPage(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get<{ Querystring: RunsQuery }>(
    '/runs',
    { preHandler: requireRole(...STAFF_ROLES) },
    async (request, reply) => {
      const q = request.query;
      // A period that cannot be (reversed, or from a day after today when `to` is left out) is a 400, not silently
      // another period than the one asked for.
      const range = dayRange(q, '分区日期');
      const to = range.to ?? todayInShanghai();
      const from = range.from ?? daysEnding(to, 30)[0]!;
      if (from > to) throw badRequest(`分区日期有误：起始日期 ${from} 晚于截止日期 ${to}`);
      const gridDays = daysEnding(to, Math.min(daysBetween(from, to), MAX_GRID_DAYS));
      const status = (RUN_STATUSES as readonly string[]).includes(q.status ?? '')
        ? (q.status as RunStatus)
        : undefined;
      const pipeline = textParam(q.pipeline, '管道')?.trim() || undefined;
      // The filter is carried on into the page's links (最新, 更早的运行): a person's number typed into it is refused,
      // as on /rejections, so it never stands in a link.
      if (holdsTypedId(pipeline))
        throw badRequest('筛选条件中不能含身份证号码：请按管道、状态或分区日期筛选');
      const before = idParam(q.before);
      const [loaded, cells, runs] = await Promise.all([
        deps.loadPipelines(),
        runGrid(deps.warehouse, { first: gridDays[0]!, last: to, pipeline }),
        runsPage(deps.warehouse, {
          limit: PAGE_SIZE,
          before,
          pipeline,
          statuses: status === 'failed' ? ['failed', 'failed-threshold'] : status ? [status] : undefined,
          first: from,
          last: to,
        }),
      ]);
      const allNames = [
        ...new Set([...loaded.pipelines.map((p) => p.name), ...cells.map((cell) => cell.pipeline)]),
      ].sort();
      // Numbered as the CLI and the other pages number them: among the pipeline files and all pipelines with runs.
      const shownOf = await listingPipelineNames(
        loaded.pipelines.map((p) => p.name),
        deps.warehouse,
      );
      const names = allNames.filter((name) => !pipeline || name === pipeline);
      const byKey = new Map(cells.map((cell) => [`${cell.pipeline} ${cell.partition_date}`, cell]));
      const shown = runs.slice(0, PAGE_SIZE);
      const next = runs.length > PAGE_SIZE ? shown[shown.length - 1]?.id : undefined;
      const filters = { pipeline, status, from, to };
      const body = html`
<form class="filters" method="get" action="/runs">
  <label>管道<select name="pipeline"><option value="">全部</option>${allNames.filter(pipelineFilterable).map((name) => html`<option value="${name}" ${name === pipeline ? 'selected' : ''}>${name}</option>`)}</select></label>
  <label>状态<select name="status"><option value="">全部</option>${RUN_STATUSES.map(
    (value) =>
      html`<option value="${value}" ${value === status ? 'selected' : ''}>${STATUS_LABELS[value]}</option>`,
  )}</select></label>
  <label>分区日期从<input type="date" name="from" value="${from}"></label>
  <label>到<input type="date" name="to" value="${to}"></label>
  <button type="submit">筛选</button>
</form>
<h2>按日运行状态（每格为该分区日最近一次运行；成功但未读取任何文件的运行不改变该日状态）</h2>
${grid(names, gridDays, byKey, status, shownOf)}
<p class="muted">${RUN_STATUSES.map((value) => html`${statusBadge(value)} `)}<span class="status s-none">无运行</span>；${RETRIED_MARK} 之后有重试，但未读取任何文件（该日仍为格中状态）</p>
<h2>运行列表</h2>
${
  shown.length === 0
    ? html`<p class="muted">所选范围内没有运行记录。</p>`
    : html`<table id="runs"><thead><tr><th>运行</th><th>类型/管道</th><th>分区日期</th><th>状态</th><th>开始时间</th><th class="num">耗时（秒）</th><th class="num">读取</th><th>各结果行数（合计即读取行数）</th></tr></thead><tbody>
${shown.map(
  (run) =>
    html`<tr data-run="${run.id}"><td><a href="/runs/${run.id}">#${run.id}</a></td><td class="kind">${runKindLabel(run, shownOf)}</td><td>${run.partition_date ?? ''}</td><td>${statusBadge(run.status)}</td><td>${shanghaiTime(run.started_at)}</td><td class="num">${seconds(run.started_at, run.finished_at)}</td>${
      !loadsRows(run.kind)
        ? html`<td class="num read">—</td><td class="outcomes muted">不导入数据</td>`
        : run.status === 'running'
          ? html`<td class="num read">—</td><td class="outcomes muted">运行中，结束后显示</td>`
          : html`<td class="num read">${run.counts.read ?? 0}</td><td class="outcomes">${outcomesText(run.counts)}</td>`
    }</tr>`,
)}</tbody></table>`
}
<p class="pager">${before !== undefined ? html`<a href="/runs${query(filters)}">最新</a>` : ''}${next !== undefined ? html`<a href="/runs${query({ ...filters, before: next })}" id="next-page">更早的运行 →</a>` : ''}</p>`;
      return reply
        .type('text/html; charset=utf-8')
        .send(page({ title: '运行记录', user: request.user, nav: '/runs', body, csrf: csrfField(request) }));
    },
  );
}

function grid(
  names: readonly string[],
  days: readonly string[],
  byKey: ReadonlyMap<string, GridCell>,
  status: RunStatus | undefined,
  shownOf: (name: string) => string,
) {
  if (names.length === 0) return html`<p class="muted">还没有管道。</p>`;
  return html`<table class="grid" id="run-grid"><thead><tr><th>管道</th>${days.map((day) => html`<th class="day">${day.slice(5)}</th>`)}</tr></thead><tbody>
${names.map(
  (name) =>
    html`<tr><th>${shownOf(name)}</th>${days.map((day) => {
      const cell = byKey.get(`${name} ${day}`);
      const matches =
        cell &&
        (!status || cell.status === status || (status === 'failed' && cell.status === 'failed-threshold'));
      if (!cell || !matches)
        return html`<td class="day s-none" data-day="${day}" title="${shownOf(name)} ${day}：无运行"></td>`;
      const empty = cell.read_nothing_after;
      const said = `${shownOf(name)} ${day}：${STATUS_LABELS[cell.status]}（运行 #${cell.id}${cell.read_nothing ? '，未读取任何文件' : ''}）${
        empty.length > 0
          ? `；之后的重试未读取任何文件（${empty.map((id) => `运行 #${id}`).join('、')}），未改变该日结果`
          : ''
      }`;
      return html`<td class="day s-${cell.status}" data-day="${day}" data-status="${cell.status}"${empty.length > 0 ? html` data-retried-empty="${empty.join(' ')}"` : ''} title="${said}"><a href="/runs/${cell.id}" aria-label="${said}"${empty.length > 0 ? html` style="color:#fff;text-decoration:none;text-align:center;font-size:.8rem;line-height:1.3rem"` : ''}>${empty.length > 0 ? RETRIED_MARK : ''}</a></td>`;
    })}</tr>`,
)}</tbody></table>`;
}
