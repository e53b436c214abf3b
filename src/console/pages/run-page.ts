import type { FastifyInstance, FastifyRequest } from 'fastify';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { fieldMaskerOf, maskPersonalText } from '../../log/mask-personal-data.ts';
import type { PipelineDefinition } from '../../pipelines/pipeline-definition.ts';
import { listingPipelineNames } from '../../pipelines/pipeline-names-shown.ts';
import { describeErrorCode } from '../../report/error-codes.ts';
import { loadProviders, providerLabel, providersFile } from '../../report/providers.ts';
import {
  firstRejectionsOfRun,
  type LaterRun,
  laterRunsOfDay,
} from '../../warehouse/console-runs-repository.ts';
import { COUNT_COLUMNS } from '../../warehouse/outcome-counts.ts';
import { findRun, type RunRow } from '../../warehouse/runs-repository.ts';
import { type SourceFileListRow, sourceFilesOfRun } from '../../warehouse/source-files-repository.ts';
import { retryOf, startRetry } from '../background-retries.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { STAFF_ROLES } from '../console-user.ts';
import { csrfField } from '../csrf.ts';
import { html, page, query, type SafeHtml } from '../html.ts';
import { idParam } from '../request-values.ts';
import {
  FILE_STATUS_LABELS,
  LEVEL_LABELS,
  OUTCOME_LABELS,
  STATUS_LABELS,
  seconds,
  statusBadge,
} from '../run-labels.ts';
import { requireRole } from '../session-auth.ts';
import { unmaskRequested, unmaskSwitch } from '../unmask.ts';
import { DIRECT_REPORT_ORIGIN, pipelineShown, runKindLabel } from '../views/run-kind.ts';

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
      const [files, rejected, later, providers] = await Promise.all([
        sourceFilesOfRun(deps.warehouse, run.id),
        firstRejectionsOfRun(deps.warehouse, run.id, SAMPLE),
        run.pipeline && run.partition_date
          ? laterRunsOfDay(deps.warehouse, run.pipeline, run.partition_date, run.id)
          : Promise.resolve([]),
        loadProviders(providersFile()),
      ]);
      // Why a retry read nothing, when the latest did: the files this run returned (only then: it reads the
      // pipelines).
      const pipelines = run.pipeline ? (await deps.loadPipelines()).pipelines : [];
      const returned =
        later.at(-1)?.read_nothing && run.pipeline
          ? returnedFiles(
              files,
              pipelines.find((pipeline) => pipeline.name === run.pipeline),
            )
          : undefined;
      // Named as /pipelines names its row and the CLI names it (a name masking alike another's told apart, among
      // the pipeline files and the pipelines with runs), so the link finds it and the name can be typed back.
      const shownOf = run.pipeline
        ? await listingPipelineNames(
            pipelines.map((pipeline) => pipeline.name),
            deps.warehouse,
          )
        : pipelineShown;
      const text = (value: string) => (unmasked ? value : maskPersonalText(value));
      const entries = new Map(deps.catalog.entries.map((entry) => [entry.code, entry]));
      const body = html`
<dl class="facts" id="run-facts">
  <dt>状态</dt><dd>${statusBadge(run.status)}</dd>
  <dt>类型 / 管道</dt><dd>${runKindLabel({ ...run, origin: originOf(run) }, shownOf)}</dd>
  <dt>分区日期</dt><dd>${run.partition_date ?? '—'}</dd>
  <dt>开始 / 结束（北京时间）</dt><dd>${shanghaiTime(run.started_at)} / ${run.finished_at ? shanghaiTime(run.finished_at) : '—'}（${seconds(run.started_at, run.finished_at) || '—'} 秒）</dd>
  <dt>尝试次数</dt><dd>${run.attempts}</dd>
  <dt>拒收阈值</dt><dd>${run.thresholds ? `拒收率不超过 ${percent(run.thresholds.maxRejectRate)}${run.thresholds.maxRejected === null ? '' : `，且不超过 ${run.thresholds.maxRejected} 行`}` : '—'}</dd>
  <dt>主机 / 进程</dt><dd>${run.host ?? '—'} / ${run.pid ?? '—'}</dd>
</dl>
${run.error ? html`<p class="error" id="run-error">${text(run.error)}</p>` : ''}
${retryBlock(request, run, later, returned, shownOf)}
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
    html`<tr><td>${file.id}</td><td>${text(file.name)}</td><td>${file.catalog_code}${file.catalog_version ? ` v${file.catalog_version}` : ''}</td><td>${providerLabel(providers, file.provider_code)}</td><td>${LEVEL_LABELS[file.level] ?? file.level}</td><td>${FILE_STATUS_LABELS[file.status] ?? file.status}</td><td>${file.encoding ?? '—'}</td><td class="num">${seconds(file.started_at, file.finished_at)}</td>${COUNT_COLUMNS.map((column) => html`<td class="num">${file.counts[column] ?? 0}</td>`)}<td>${
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

const originOf = (run: RunRow): string | undefined =>
  typeof run.options.origin === 'string' ? run.options.origin : undefined;

/** Why this run cannot be retried from the console, or undefined when it can. */
function retryRefusal(run: RunRow): string | undefined {
  if (run.kind === 'ingest' && originOf(run) === DIRECT_REPORT_ORIGIN)
    return '只有管道运行（定时、手动或补跑）可以在控制台重试；数据直报请报送单位更正文件后在数据直报页面重新上传。';
  if (!run.pipeline || !run.partition_date || (run.kind !== 'pipeline' && run.kind !== 'backfill'))
    return '只有管道运行（定时、手动或补跑）可以在控制台重试；命令行导入请重新执行 credit-etl ingest。';
  if (run.status === 'running') return '该运行仍在进行中，不能重试。';
  if (run.status === 'completed') return '该运行已成功完成，无需重试。';
  return undefined;
}

/**
 * The retry of this run (under way, done, refused) and the later runs of its day. A later run that completed
 * without reading any file changed nothing: said so, with why when this run's files were moved aside.
 */
function retryBlock(
  request: FastifyRequest,
  run: RunRow,
  later: readonly LaterRun[],
  returned: string | undefined,
  shownOf: (name: string) => string,
): SafeHtml | '' {
  const state = retryOf(run.id);
  const retried = state?.state === 'done' ? later.find((next) => next.id === state.newRunId) : undefined;
  const stateLine = !state
    ? ''
    : state.state === 'running'
      ? html`<p class="notice" id="retry-state">${state.by} 发起的重试正在进行（管道 ${run.pipeline && shownOf(run.pipeline)}，分区日期 ${run.partition_date}）。刷新页面查看结果。</p>`
      : state.state === 'done'
        ? retried?.read_nothing
          ? html`<p class="error" id="retry-state">${state.by} 发起的重试已结束，但未读取任何文件：<a href="/runs/${state.newRunId}">运行 #${state.newRunId}</a> 读取 0 行，重试未改变本分区日的结果，没有数据因重试入库。${readNothingReason(returned)}</p>`
          : html`<p class="notice" id="retry-state">${state.by} 发起的重试已完成：<a href="/runs/${state.newRunId}">运行 #${state.newRunId}</a></p>`
        : state.state === 'locked'
          ? html`<p class="error" id="retry-state">重试未执行：该管道正在另一个进程中运行。</p>`
          : html`<p class="error" id="retry-state">重试失败：${maskPersonalText(state.message)}</p>`;
  // What the warehouse says of the day after this run (the retry state above is the console process's memory).
  // The latest of them read nothing: the day is still as this run left it, and why is worth saying.
  const unchanged = later.at(-1)?.read_nothing === true;
  const afterLine =
    later.length === 0
      ? ''
      : html`<p class="${unchanged ? 'error' : 'notice'}" id="later-runs">本分区日之后的运行：${later.map(
          (next, index) =>
            html`${index > 0 ? '；' : ''}<a href="/runs/${next.id}">运行 #${next.id}</a> ${STATUS_LABELS[next.status] ?? next.status}${next.read_nothing ? '，但未读取任何文件，未改变本分区日的结果' : ''}`,
        )}。${unchanged && !retried?.read_nothing ? readNothingReason(returned) : ''}</p>`;
  const lines = html`${stateLine}${afterLine}`;
  if (request.user?.role !== 'admin' || retryRefusal(run) || state?.state === 'running') return lines;
  return html`${lines}<form method="post" action="/runs/${run.id}/retry">${csrfField(request)}<button type="submit" id="retry">重试此运行（重新执行管道 ${run.pipeline && shownOf(run.pipeline)} 的 ${run.partition_date} 分区）</button></form>`;
}

/** Why a retry read no file: this run's files that were moved aside, or the source had nothing new. */
function readNothingReason(returned: string | undefined): string {
  return returned
    ? `原因：${returned}请报送单位更正后重新报送，再重试。`
    : '原因：来源中没有新的待读取文件。请确认报送单位已重新报送后再重试。';
}

/**
 * This run's files that failed as a whole and that the pipeline's transport moved aside (to its failed/
 * directory, returning them to the provider), as a sentence; undefined when none was, or the transport leaves
 * a failed file where it was (it would be read again).
 */
function returnedFiles(
  files: readonly SourceFileListRow[],
  pipeline: PipelineDefinition | undefined,
): string | undefined {
  const failed = files.filter((file) => file.status === 'failed-threshold' || file.status === 'failed');
  if (failed.length === 0 || !pipeline) return undefined;
  const { type, failedDir } = pipeline.transport;
  const dir = failedDir === undefined ? 'failed' : failedDir;
  if ((type !== 'drop-folder' && type !== 'sftp') || typeof dir !== 'string') return undefined;
  const names = failed
    .map(
      (file) =>
        `${maskPersonalText(file.name)}（${file.status === 'failed-threshold' ? '超过拒收阈值' : '读取失败'}）`,
    )
    .join('、');
  const where = type === 'sftp' ? 'SFTP 服务器上投递目录的' : '投递目录的';
  return `本运行的文件 ${names}已整体退回报送单位，移入${where} ${dir}/ 子目录；管道只读取投递目录中的新文件，重试不会再读取${failed.length > 1 ? '它们' : '它'}。`;
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
