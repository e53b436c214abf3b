import { pendingTimelinessWarning } from '../calendar/timeliness.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { RunSummary } from '../run/ingest-files.ts';
import { COUNT_COLUMNS, type OutcomeCounts } from '../warehouse/outcome-counts.ts';
import { formatTable } from './format-table.ts';

/** The `--json` summary: a stable shape for scripts. File names and messages may hold IDs: masked. */
export function summaryJson(summary: RunSummary, reportPath?: string): object {
  return {
    runId: summary.runId,
    status: summary.status,
    counts: summary.counts,
    errorsByCode: summary.errorsByCode,
    files: summary.files.map((file) => ({
      name: maskPersonalText(file.name),
      sourceFileId: file.sourceFileId,
      status: file.status,
      encoding: file.encoding,
      counts: file.counts,
      blankLines: file.blankLines,
      ...(file.error ? { error: { ...file.error, message: maskPersonalText(file.error.message) } } : {}),
      ...(file.threshold ? { threshold: file.threshold } : {}),
      ...(file.sameContentAs
        ? { sameContentAs: { ...file.sameContentAs, name: maskPersonalText(file.sameContentAs.name) } }
        : {}),
      // What the file added, as the warehouse fixed it: kept elsewhere, it anchors a later `verify`.
      ...(file.digest ? { digest: file.digest } : {}),
    })),
    ...(reportPath ? { rejectionReport: reportPath } : {}),
    ...(summary.counts.pending > 0
      ? {
          warnings: [
            { code: 'timeliness-pending', message: pendingTimelinessWarning(summary.counts.pending) },
          ],
        }
      : {}),
  };
}

/** The readable summary: one line per file, totals, what went wrong and where to look; IDs masked. */
export function summaryText(summary: RunSummary, reportPath?: string): string {
  const countCells = (counts: OutcomeCounts) => COUNT_COLUMNS.map((column) => counts[column]);
  const rows = summary.files.map((file) => [file.name, file.status, ...countCells(file.counts)]);
  if (summary.files.length > 1) rows.push(['total', '', ...countCells(summary.counts)]);
  const lines = [
    `run ${summary.runId} ${summary.status}`,
    formatTable(['file', 'status', ...COUNT_COLUMNS], rows),
  ];
  for (const file of summary.files) {
    const earlier = file.sameContentAs;
    if (!earlier) continue;
    const what =
      file.status === 'skipped' ? 'skipped: same content as' : 'reloaded (--force): same content as';
    lines.push(
      `= ${file.name} ${what} ${earlier.name} (source file ${earlier.sourceFileId}, run ${earlier.runId})`,
    );
  }
  if (summary.files.some((file) => file.status === 'skipped')) {
    lines.push('  content already in the warehouse is never loaded twice; `ingest --force` loads it again');
  }
  for (const file of summary.files.filter((candidate) => candidate.error)) {
    lines.push(`✗ ${file.name} [${file.error?.code}]: ${file.error?.message}`);
  }
  const codes = Object.entries(summary.errorsByCode);
  if (codes.length > 0)
    lines.push(`rejections by error code: ${codes.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  if (reportPath) lines.push(`rejection report: ${reportPath}`);
  if (summary.counts.pending > 0) lines.push(`⚠ ${pendingTimelinessWarning(summary.counts.pending)}`);
  return maskPersonalText(lines.join('\n'));
}
