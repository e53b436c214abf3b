import type { FastifyInstance } from 'fastify';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { listingPipelineNames } from '../../pipelines/pipeline-names-shown.ts';
import { loadProviders, providerLabel, providersFile } from '../../report/providers.ts';
import { lastRunOfEachPipeline } from '../../warehouse/console-runs-repository.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { STAFF_ROLES } from '../console-user.ts';
import { csrfField } from '../csrf.ts';
import { html, page, query } from '../html.ts';
import { nextTriggers } from '../next-triggers.ts';
import { LEVEL_LABELS, statusBadge } from '../run-labels.ts';
import { requireRole } from '../session-auth.ts';
import { pipelineFilterable, transportLabel } from '../views/run-kind.ts';

/**
 * Pipelines: each definition (feed, schedule and its next triggers in Beijing time, thresholds), last run. A
 * name holding an ID number is shown masked (two masking alike told apart as the CLI does: listingPipelineNames),
 * the row anchored on it as /runs links to it (`/pipelines#<shown>`), and links to no runs filter (one the console
 * would refuse, or that finds nothing).
 */
export function registerPipelinesPage(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get('/pipelines', { preHandler: requireRole(...STAFF_ROLES) }, async (request, reply) => {
    const loaded = await deps.loadPipelines();
    const names = loaded.pipelines.map((pipeline) => pipeline.name);
    const [lastRuns, providers, shownOf] = await Promise.all([
      lastRunOfEachPipeline(deps.warehouse, names),
      loadProviders(providersFile()),
      listingPipelineNames(names, deps.warehouse),
    ]);
    const last = new Map(lastRuns.map((run) => [run.pipeline, run]));
    const titles = new Map(deps.catalog.entries.map((entry) => [entry.code, entry.title]));
    const body = html`
${
  loaded.problems.length > 0
    ? html`<div class="error" id="pipeline-problems"><p>以下管道定义有错误，未加载：</p><ul>${loaded.problems.map((problem) => html`<li><span class="mono">${maskPersonalText(problem.file)}</span> ${maskPersonalText(problem.path)}：${maskPersonalText(problem.message)}</li>`)}</ul></div>`
    : ''
}
${
  loaded.pipelines.length === 0
    ? html`<p class="muted">没有管道定义（pipelines/ 目录为空）。</p>`
    : html`<table id="pipelines"><thead><tr><th>管道</th><th>目录</th><th>报送单位 / 层级</th><th>来源</th><th>调度（北京时间）</th><th>下次触发</th><th>拒收阈值</th><th>最近一次运行</th></tr></thead><tbody>
${loaded.pipelines.map((pipeline) => {
  const run = last.get(pipeline.name);
  const cronText = pipeline.schedule.cron;
  const upcoming = cronText && pipeline.schedule.enabled ? nextTriggers(cronText, 3) : [];
  const shown = shownOf(pipeline.name);
  return html`<tr id="${shown}" data-pipeline="${shown}"><td>${pipelineFilterable(pipeline.name) ? html`<a href="/runs${query({ pipeline: pipeline.name })}">${shown}</a>` : shown}</td>
<td>${titles.get(pipeline.catalog) ?? pipeline.catalog} <span class="mono muted">${pipeline.catalog}</span></td>
<td class="provider">${providerLabel(providers, pipeline.provider)} / ${LEVEL_LABELS[pipeline.level] ?? pipeline.level}</td>
<td class="transport">${transportLabel(pipeline.transport.type)}</td>
<td>${cronText ? html`<span class="mono">${cronText}</span>${pipeline.schedule.enabled ? '' : '（已停用）'}` : '仅手动运行'}</td>
<td class="next">${upcoming.length > 0 ? upcoming.map((at) => html`<div>${shanghaiTime(at).slice(0, 16)}</div>`) : '—'}</td>
<td>拒收率 ≤ ${(pipeline.thresholds.maxRejectRate * 100).toFixed(1)}%${pipeline.thresholds.maxRejected === null ? '' : `，≤ ${pipeline.thresholds.maxRejected} 行`}</td>
<td>${run ? html`${statusBadge(run.status)} <a href="/runs/${run.id}">#${run.id}</a> ${run.partition_date ?? ''}${run.read_nothing ? '（未读取任何文件）' : ''}<div class="muted">${shanghaiTime(run.started_at)}</div>` : html`<span class="muted">尚未运行</span>`}</td></tr>`;
})}</tbody></table>`
}`;
    return reply
      .type('text/html; charset=utf-8')
      .send(page({ title: '管道', user: request.user, nav: '/pipelines', body, csrf: csrfField(request) }));
  });
}
