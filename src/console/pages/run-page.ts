import type { FastifyInstance, FastifyRequest } from 'fastify';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { fieldMaskerOf, maskPersonalText } from '../../log/mask-personal-data.ts';
import { describeErrorCode } from '../../report/error-codes.ts';
import { firstRejectionsOfRun } from '../../warehouse/console-runs-repository.ts';
import { COUNT_COLUMNS } from '../../warehouse/outcome-counts.ts';
import { findRun, type RunRow } from '../../warehouse/runs-repository.ts';
import { sourceFilesOfRun } from '../../warehouse/source-files-repository.ts';
import { retryOf, startRetry } from '../background-retries.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { STAFF_ROLES } from '../console-user.ts';
import { csrfField } from '../csrf.ts';
import { html, page, query, type SafeHtml } from '../html.ts';
import { idParam } from '../request-values.ts';
import { FILE_STATUS_LABELS, LEVEL_LABELS, OUTCOME_LABELS, seconds, statusBadge } from '../run-labels.ts';
import { requireRole } from '../session-auth.ts';
import { unmaskRequested, unmaskSwitch } from '../unmask.ts';

/** How many rejected rows the run's page shows; the rest are on the rejections page. */
const SAMPLE = 20;

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** One run: facts, counts by outcome, each file with its time and decision, errors, and its first rejected rows. */
export function registerRunPage(app: FastifyInstance, deps: ConsoleDeps): void {
  // GET shows the run masked; the auditor's unmask form (../unmask.ts) posts here with its reason.
  app.route<{ Params: { id: string } }>({
    method: ['GET', 'POST'],
    url: '/runs/:id',
    preHandler: requireRole(...STAFF_ROLES),
    handler: async (request, reply) => {
      const id = idParam(request.params.id);
      const run = id === undefined ? undefined : await findRun(deps.warehouse, id);
      if (!run) return reply.callNotFound();
      const unmasked = await unmaskRequested(deps, request, `运行 #${run.id} 的拒收数据行样本`);
      const [files, rejected] = await Promise.all([
        sourceFilesOfRun(deps.warehouse, run.id),
        firstRejectionsOfRun(deps.warehouse, run.id, SAMPLE),
      ]);
      const text = (value: string) => (unmasked ? value : maskPersonalText(value));
      const entries = new Map(deps.catalog.entries.map((entry) => [entry.code, entry]));
      const body = html`
<dl class="facts" id="run-facts">
  <dt>状态</dt><dd>${statusBadge(run.status)}</dd>
  <dt>类型 / 管道</dt><dd>${run.kind}${run.pipeline ? html` / <a href="/pipelines#${run.pipeline}">${run.pipeline}</a>` : ''}</dd>
  <dt>分区日期</dt><dd>${run.partition_date ?? '—'}</dd>
  <dt>开始 / 结束（北京时间）</dt><dd>${shanghaiTime(run.started_at)} / ${run.finished_at ? shanghaiTime(run.finished_at) : '—'}（${seconds(run.started_at, run.finished_at) || '—'} 秒）</dd>
  <dt>尝试次数</dt><dd>${run.attempts}</dd>
  <dt>拒收阈值</dt><dd>${run.thresholds ? `拒收率不超过 ${percent(run.thresholds.maxRejectRate)}${run.thresholds.maxRejected === null ? '' : `，且不超过 ${run.thresholds.maxRejected} 行`}` : '—'}</dd>
  <dt>主机 / 进程</dt><dd>${run.host ?? '—'} / ${run.pid ?? '—'}</dd>
</dl>
${run.error ? html`<p class="error" id="run-error">${text(run.error)}</p>` : ''}
${retryBlock(request, run)}
<h2>按结果计数</h2>
<table id="run-counts"><thead><tr>${COUNT_COLUMNS.map((column) => html`<th class="num">${OUTCOME_LABELS[column] ?? column}</th>`)}</tr></thead>
<tbody><tr>${COUNT_COLUMNS.map((column) => html`<td class="num" data-outcome="${column}">${run.counts[column] ?? 0}</td>`)}</tr></tbody></table>
<h2>文件（${files.length}）</h2>
${
  files.length === 0
    ? html`<p class="muted">本次运行没有文件。</p>`
    : html`<table id="run-files"><thead><tr><th>文件编号</th><th>文件</th><th>目录</th><th>报送单位</th><th>层级</th><th>状态</th><th>编码</th><th class="num">耗时（秒）</th>${COUNT_COLUMNS.map((column) => html`<th class="num">${OUTCOME_LABELS[column] ?? column}</th>`)}<th>阈值判定 / 错误</th></tr></thead><tbody>
${files.map(
  (file) =>
    html`<tr><td>${file.id}</td><td>${text(file.name)}</td><td>${file.catalog_code}${file.catalog_version ? ` v${file.catalog_version}` : ''}</td><td class="mono">${file.provider_code}</td><td>${LEVEL_LABELS[file.level] ?? file.level}</td><td>${FILE_STATUS_LABELS[file.status] ?? file.status}</td><td>${file.encoding ?? '—'}</td><td class="num">${seconds(file.started_at, file.finished_at)}</td>${COUNT_COLUMNS.map((column) => html`<td class="num">${file.counts[column] ?? 0}</td>`)}<td>${
      file.threshold
        ? html`<div>${file.threshold.exceeded ? '超过阈值，整个文件未入库' : '未超过阈值'}：拒收 ${file.threshold.rejected}/${file.threshold.read} 行（${percent(file.threshold.rejectRate)}，上限 ${percent(file.threshold.maxRejectRate)}${file.threshold.maxRejected === null ? '' : ` / ${file.threshold.maxRejected} 行`}）</div>`
        : ''
    }${file.error ? html`<div class="error">${file.error_code ? html`<span class="mono">${file.error_code}</span>：` : ''}${text(file.error)}</div>` : ''}</td></tr>`,
)}</tbody></table>`
}
<h2>错误代码</h2>
${errorCodes(run)}
<h2>拒收数据行（前 ${SAMPLE} 行）</h2>
<p><a href="/rejections${query({ run: run.id })}" id="rejections-link">查看本次运行的全部拒收数据行及下载报告 →</a></p>
${unmaskSwitch(request, unmasked)}
${
  rejected.length === 0
    ? html`<p class="muted">没有拒收的数据行。</p>`
    : html`<table id="run-rejections"><thead><tr><th>文件</th><th class="num">行号</th><th>字段</th><th>值</th><th>错误代码</th><th>说明</th></tr></thead><tbody>
${rejected.flatMap((row) => {
  const masker = fieldMaskerOf(entries.get(row.catalog_code));
  return row.errors.map((error) => {
    const value = error.value ?? row.raw[error.field] ?? '';
    return html`<tr><td>${text(row.file)}</td><td class="num">${row.row_number}</td><td class="mono">${error.field}</td><td class="mono value">${unmasked ? value : masker.cell(error.field, value)}</td><td class="mono">${error.code}</td><td>${unmasked ? error.message : masker.message(error.message, row.raw, { [error.field]: error.value })}</td></tr>`;
  });
})}</tbody></table>`
}`;
      return reply.type('text/html; charset=utf-8').send(
        page({
          title: `运行 #${run.id}`,
          user: request.user,
          nav: '/runs',
          body,
          csrf: csrfField(request),
        }),
      );
    },
  });

  app.post<{ Params: { id: string } }>(
    '/runs/:id/retry',
    { preHandler: requireRole('admin') },
    async (request, reply) => {
      const id = idParam(request.params.id);
      const run = id === undefined ? undefined : await findRun(deps.warehouse, id);
      if (!run) return reply.callNotFound();
      const refusal = retryRefusal(run);
      if (refusal)
        return reply
          .code(409)
          .type('text/html; charset=utf-8')
          .send(
            page({
              title: '无法重试',
              user: request.user,
              nav: '/runs',
              csrf: csrfField(request),
              body: html`<p class="error">${refusal}</p><p><a href="/runs/${run.id}">返回运行 #${run.id}</a></p>`,
            }),
          );
      await startRetry(
        deps,
        {
          id: run.id,
          pipeline: run.pipeline!,
          partitionDate: run.partition_date!,
          kind: run.kind === 'backfill' ? 'backfill' : 'pipeline',
        },
        request.user!.name,
        deps.signal,
      );
      return reply.redirect(`/runs/${run.id}`, 303);
    },
  );
}

/** Why this run cannot be retried from the console, or undefined when it can. */
function retryRefusal(run: RunRow): string | undefined {
  if (!run.pipeline || !run.partition_date || (run.kind !== 'pipeline' && run.kind !== 'backfill'))
    return '只有管道运行（定时、手动或补跑）可以在控制台重试；命令行导入请重新执行 credit-etl ingest。';
  if (run.status === 'running') return '该运行仍在进行中，不能重试。';
  if (run.status === 'completed') return '该运行已成功完成，无需重试。';
  return undefined;
}

function retryBlock(request: FastifyRequest, run: RunRow): SafeHtml | '' {
  const state = retryOf(run.id);
  const stateLine = !state
    ? ''
    : state.state === 'running'
      ? html`<p class="notice" id="retry-state">${state.by} 发起的重试正在进行（管道 ${run.pipeline}，分区日期 ${run.partition_date}）。刷新页面查看结果。</p>`
      : state.state === 'done'
        ? html`<p class="notice" id="retry-state">${state.by} 发起的重试已完成：<a href="/runs/${state.newRunId}">运行 #${state.newRunId}</a></p>`
        : state.state === 'locked'
          ? html`<p class="error" id="retry-state">重试未执行：该管道正在另一个进程中运行。</p>`
          : html`<p class="error" id="retry-state">重试失败：${maskPersonalText(state.message)}</p>`;
  if (request.user?.role !== 'admin' || retryRefusal(run) || state?.state === 'running') return stateLine;
  return html`${stateLine}<form method="post" action="/runs/${run.id}/retry">${csrfField(request)}<button type="submit" id="retry">重试此运行（重新执行管道 ${run.pipeline} 的 ${run.partition_date} 分区）</button></form>`;
}

function errorCodes(run: RunRow): SafeHtml {
  const codes = Object.entries(run.errors_by_code).sort((a, b) => b[1] - a[1]);
  if (codes.length === 0) return html`<p class="muted">无。</p>`;
  return html`<table id="run-error-codes"><thead><tr><th>错误代码</th><th class="num">次数</th><th>含义</th><th>修改建议</th></tr></thead><tbody>
${codes.map(([code, count]) => {
  const described = describeErrorCode(code);
  return html`<tr><td class="mono">${code}</td><td class="num">${count}</td><td>${described?.meaning ?? ''}</td><td>${described?.fix ?? ''}</td></tr>`;
})}</tbody></table>`;
}
