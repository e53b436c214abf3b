import { maskPersonalText } from '../../log/mask-personal-data.ts';
import type { OutcomeCounts } from '../../warehouse/outcome-counts.ts';
import { OUTCOMES } from '../../warehouse/outcome-counts.ts';
import type { RunKind } from '../../warehouse/runs-repository.ts';
import { html, type SafeHtml } from '../html.ts';
import { holdsTypedId } from '../request-values.ts';
import { OUTCOME_LABELS } from '../run-labels.ts';

/*
 * How the run pages name a run's kind, a pipeline's transport and a load's outcomes, in Chinese.
 */

/** What made a run (`runs.kind`); an `ingest` run from the console's upload page is 数据直报 (`origin`). */
export const RUN_KIND_LABELS: Readonly<Record<RunKind, string>> = {
  ingest: '命令行导入',
  pipeline: '管道运行',
  backfill: '补跑',
  demo: '演示',
  verify: '完整性核查',
  'objection-check': '异议逾期检查',
};

/** `origin` of an `ingest` run a provider uploaded on the console's 数据直报 page (run options). */
export const DIRECT_REPORT_ORIGIN = 'direct-report';

/**
 * A pipeline's name as every page shows it: an ID number in it (a drop folder named for a person) masked, as
 * `pipelines list` and `jobs` print it. The pipelines page anchors each row on this name (`/pipelines#<shown>`).
 */
export const pipelineShown = (name: string): string => maskPersonalText(name);

/**
 * Whether a pipeline may stand in a runs filter (`/runs?pipeline=<name>`, the filter's options): only one whose
 * name is shown as it is. A masked name finds no pipeline, and the name in clear would be refused with 400 as any
 * typed ID number.
 */
export const pipelineFilterable = (name: string): boolean =>
  pipelineShown(name) === name && !holdsTypedId(name);

/** The kind of a run in Chinese, and its pipeline (a link to its row on the pipelines page) when it has one. */
export function runKindLabel(
  run: {
    kind: RunKind;
    pipeline: string | null;
    origin?: string | null | undefined;
  },
  shownOf: (name: string) => string = pipelineShown,
): SafeHtml {
  const kind =
    run.kind === 'ingest' && run.origin === DIRECT_REPORT_ORIGIN
      ? '数据直报'
      : (RUN_KIND_LABELS[run.kind] ?? run.kind);
  if (!run.pipeline) return html`${kind}`;
  const shown = shownOf(run.pipeline);
  return html`${kind} <a href="/pipelines#${shown}">${shown}</a>`;
}

/** Runs that load rows: their counts are outcomes (`read` = the outcomes' sum); a check run counts other things. */
const LOAD_KINDS: readonly RunKind[] = ['ingest', 'pipeline', 'backfill', 'demo'];
export const loadsRows = (kind: RunKind): boolean => LOAD_KINDS.includes(kind);

/**
 * Every outcome a run's rows had, compactly (`新增 3 · 拒收 1 · 整体退回未入库 1`): together they are the rows read.
 * Outcomes with no row are left out; a run that read no row says so.
 */
export function outcomesText(counts: Partial<OutcomeCounts>): SafeHtml {
  const found = OUTCOMES.filter((outcome) => (counts[outcome] ?? 0) > 0);
  if (found.length === 0) return html`<span class="muted">未读取任何数据行</span>`;
  return html`${found.map(
    (outcome, index) =>
      html`${index > 0 ? ' · ' : ''}<span data-outcome="${outcome}" data-rows="${counts[outcome]}">${OUTCOME_LABELS[outcome] ?? outcome} ${counts[outcome]}</span>`,
  )}`;
}

/** A pipeline's transport (`transport.type`), as an operator calls it. */
export const TRANSPORT_LABELS: Readonly<Record<string, string>> = {
  'drop-folder': '本地投递目录',
  sftp: 'SFTP 投递目录',
  http: 'HTTP 接口',
  table: '数据库表',
};

export const transportLabel = (type: string): string => TRANSPORT_LABELS[type] ?? type;
