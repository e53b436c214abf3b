import type { AlertEvent } from './alert-event.ts';

/**
 * The events, built from plain facts so the code that sees them (runs, the scheduler's checks) needs only the
 * AlertSink. Keys decide what counts as a repeat: per pipeline, per provider and entry, per year.
 */

// A pipeline's name in an event: `shown` is how the text names it, as `pipelines list` does (masked, alike ones
// numbered `…~1`: src/pipelines/pipeline-names-shown.ts), so a hint's name can be typed back and two pipelines whose
// names mask alike read apart; the key keeps its own name (masked when it leaves). Without `shown`, the name.

/** A pipeline run ended `failed` or `failed-threshold`; undefined for any other status. */
export function runEndedEvent(run: {
  pipeline: string;
  /** The pipeline's name as the listings show it. */
  shown?: string | undefined;
  runId: number;
  status: string;
  partition: string;
  counts: { read: number; rejected: number };
  error?: string | undefined;
  at?: Date;
}): AlertEvent | undefined {
  if (run.status !== 'failed' && run.status !== 'failed-threshold') return undefined;
  const threshold = run.status === 'failed-threshold';
  return {
    kind: threshold ? 'threshold-exceeded' : 'run-failed',
    key: `${threshold ? 'threshold-exceeded' : 'run-failed'}:${run.pipeline}`,
    title: `管道 ${run.shown ?? run.pipeline} 运行 ${run.runId} ${threshold ? '拒收行数超过阈值，本次数据未入库' : '失败'}`,
    lines: [
      `数据日期：${run.partition}`,
      `读取 ${run.counts.read} 行，拒收 ${run.counts.rejected} 行`,
      ...(run.error ? [`原因：${run.error}`] : []),
      `详情：credit-etl runs show ${run.runId}`,
    ],
    at: run.at ?? new Date(),
  };
}

/**
 * Nothing delivered for the partition day by the pipeline's `schedule.expectedBy`. `holdup`: what on the
 * platform's side holds the pipeline up (pipeline-holdup.ts); then that, not the provider, is what to look at.
 * `shown`: the pipeline's name as the listings show it.
 */
export function nothingDeliveredEvent(
  pipeline: string,
  partition: string,
  expectedBy: string,
  holdup: readonly string[] = [],
  shown = pipeline,
): AlertEvent {
  return {
    kind: 'nothing-delivered',
    key: `nothing-delivered:${pipeline}:${partition}`,
    title: `管道 ${shown} 截至 ${expectedBy} 未收到 ${partition} 的数据`,
    lines: [
      `数据日期 ${partition} 应在北京时间 ${expectedBy} 前报送，至今没有读到任何一行`,
      ...holdup,
      holdup.length > 0
        ? `先处理上述本平台的问题，再查看 credit-etl runs list --pipeline ${shown}`
        : `请联系报送单位，或查看 credit-etl runs list --pipeline ${shown}`,
    ],
    at: new Date(),
  };
}

/** A provider has not delivered an entry within its catalog update cycle. */
export function updateCycleMissedEvent(missed: {
  provider: string;
  providerName?: string | undefined;
  entry: string;
  entryTitle: string;
  updateCycle: string;
  lastDelivery: string;
  today: string;
}): AlertEvent {
  const who = missed.providerName ? `${missed.providerName}（${missed.provider}）` : missed.provider;
  return {
    kind: 'update-cycle-missed',
    key: `update-cycle-missed:${missed.provider}:${missed.entry}`,
    title: `${who} 的「${missed.entryTitle}」超过更新周期未报送`,
    lines: [
      `目录 ${missed.entry} 更新周期：${missed.updateCycle}`,
      `最近一次报送：${missed.lastDelivery}；今天：${missed.today}`,
    ],
    at: new Date(),
  };
}

export function calendarYearMissingEvent(missing: { year: number; message: string }): AlertEvent {
  return {
    kind: 'calendar-year-missing',
    key: `calendar-year-missing:${missing.year}`,
    title: `${missing.year} 年节假日日历数据未录入`,
    lines: [missing.message],
    at: new Date(),
  };
}

export function objectionsOverdueEvent(check: { runId: number; asOf: string; lines: string[] }): AlertEvent {
  return {
    kind: 'objection-overdue',
    key: 'objection-overdue',
    title: `${check.lines.length} 件异议超过 3 个工作日未处理（第十八条）`,
    lines: [...check.lines, `详情：credit-etl runs show ${check.runId}`],
    at: new Date(),
  };
}

export function verifyFailedEvent(run: {
  runId: number;
  tamperedRecords: number;
  tamperedFiles: number;
}): AlertEvent {
  return {
    kind: 'verify-failed',
    key: 'verify-failed',
    title: `历史数据在引擎之外被改动：${run.tamperedRecords} 条记录、${run.tamperedFiles} 个文件`,
    lines: [`校验运行 ${run.runId} 失败`, `详情：credit-etl runs show ${run.runId}`],
    at: new Date(),
  };
}

/**
 * A queued job failed its last attempt and went to the dead-letter queue: nothing retries it. `pipeline`: the
 * pipeline it ran (the repeat key), else its kind.
 */
export function jobDeadLetteredEvent(job: {
  id: string;
  queue: string;
  /** How the logs name it: kind, pipeline, partition day. */
  what: string;
  pipeline?: string | undefined;
  kind: string;
  attempts: number;
  reason: string;
}): AlertEvent {
  return {
    kind: 'job-dead-lettered',
    key: `job-dead-lettered:${job.pipeline ?? job.kind}`,
    title: `任务 ${job.what} 尝试 ${job.attempts} 次均失败，已转入死信队列，不再重试`,
    lines: [
      `任务 ${job.id}（队列 ${job.queue}）`,
      `原因：${job.reason}`,
      `未入库的文件留待处理：排除原因后执行 credit-etl jobs retry ${job.id}`,
      `详情：credit-etl jobs show ${job.id}`,
    ],
    at: new Date(),
  };
}
