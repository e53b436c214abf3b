import type { RunStatus } from '../warehouse/runs-repository.ts';
import { html, type SafeHtml } from './html.ts';

export const STATUS_LABELS: Readonly<Record<RunStatus, string>> = {
  running: '运行中',
  completed: '成功',
  failed: '失败',
  'failed-threshold': '超过拒收阈值',
  interrupted: '中断',
};

export const OUTCOME_LABELS: Readonly<Record<string, string>> = {
  read: '读取',
  inserted: '新增',
  updated: '更新',
  unchanged: '未变',
  merged: '合并',
  conflict: '冲突',
  rejected: '拒收',
  withdrawn: '撤回',
  held: '整体退回未入库',
  late: '逾期',
  pending: '时效待定',
  warned: '有警示',
};

export const FILE_STATUS_LABELS: Readonly<Record<string, string>> = {
  loaded: '已入库',
  failed: '失败',
  'failed-threshold': '超过阈值',
  skipped: '已跳过',
};

export const LEVEL_LABELS: Readonly<Record<string, string>> = {
  province: '省级',
  city: '市级',
  county: '县级',
};

export const statusBadge = (status: RunStatus): SafeHtml =>
  html`<span class="status s-${status}">${STATUS_LABELS[status] ?? status}</span>`;

/** The `count` days ending with `last`, oldest first (`YYYY-MM-DD`). */
export function daysEnding(last: string, count: number): string[] {
  const end = Date.parse(`${last}T00:00:00Z`);
  return Array.from({ length: count }, (_, index) =>
    new Date(end - (count - 1 - index) * 86_400_000).toISOString().slice(0, 10),
  );
}

export function daysBetween(first: string, last: string): number {
  return Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / 86_400_000) + 1;
}

export const seconds = (started: Date, finished: Date | null): string =>
  finished ? ((finished.getTime() - started.getTime()) / 1000).toFixed(1) : '';
