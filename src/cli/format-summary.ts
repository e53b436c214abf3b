import { pendingTimelinessWarning } from '../calendar/timeliness.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { FullDumpDecision } from '../run/full-dump-check.ts';
import type { RunSummary } from '../run/ingest-files.ts';
import { olderVersionText } from '../run/unit-header.ts';
import { COUNT_COLUMNS, type OutcomeCounts } from '../warehouse/outcome-counts.ts';
import { formatTable } from './format-table.ts';

/** How many updated records with an objection the text summary names; the log names each. */
const OBJECTION_UPDATES_NAMED = 10;

/** Reports written after a run: rejected rows, records missing from a full dump. */
export interface RunReports {
  rejections?: string | undefined;
  missing?: string | undefined;
}

/** The `--json` summary: a stable shape for scripts. File names and messages may hold IDs: masked. */
export function summaryJson(summary: RunSummary, reports: RunReports = {}): object {
  const reportPath = reports.rejections;
  // The source's (a refused file name: `refused-file-name`), then the run's own.
  const warnings = [
    ...(summary.warnings ?? []).map(({ code, message }) => ({ code, message: maskPersonalText(message) })),
    ...(summary.counts.pending > 0
      ? [{ code: 'timeliness-pending', message: pendingTimelinessWarning(summary.counts.pending) }]
      : []),
  ];
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
      ...(file.fullDump ? { fullDump: file.fullDump } : {}),
      // Ids, counts and dates only: nothing to mask.
      ...(file.providerObjections ? { providerObjections: file.providerObjections } : {}),
      // Records updated while an objection on them is in progress (ids only): the delivery may settle it.
      ...(file.objectionsUpdated ? { objectionsUpdated: file.objectionsUpdated } : {}),
      ...(file.sameContentAs
        ? { sameContentAs: { ...file.sameContentAs, name: maskPersonalText(file.sameContentAs.name) } }
        : {}),
      // Rows a re-delivery's fast path took by fingerprint (counted among `unchanged`).
      ...(file.fastRows ? { fastRows: file.fastRows } : {}),
      // New records written while the file was still being read (counted among `inserted`).
      ...(file.mergedWhileReading ? { mergedWhileReading: file.mergedWhileReading } : {}),
      // Read by an older entry version than the one in force on its received day (a legacy layout, or a header
      // lacking what the version in force asks): `message` as the text summary says it.
      ...(file.olderVersion
        ? { olderVersion: { ...file.olderVersion, message: olderVersionText(file.olderVersion) } }
        : {}),
      // What the file added, as the warehouse fixed it: kept elsewhere, it anchors a later `verify`.
      ...(file.digest ? { digest: file.digest } : {}),
    })),
    ...(reportPath ? { rejectionReport: reportPath } : {}),
    ...(reports.missing ? { missingReport: reports.missing } : {}),
    // Files left where they were (not read, or not moved aside): why the run failed for them.
    ...(summary.unsettled ? { unsettled: summary.unsettled.map((line) => maskPersonalText(line)) } : {}),
    // Why a run failed as a whole (no file to blame): a drop directory that does not exist, a refused entry.
    ...(summary.error
      ? { error: { code: summary.error.code, message: maskPersonalText(summary.error.message) } }
      : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/**
 * The readable summary: one line per file, totals, what went wrong and where to look; IDs masked.
 *
 * Masked where each text that may hold one is put in (file names, messages, report paths, warnings), never the
 * whole summary: the table's counts, aligned by spaces, read to the masker as the spaced groups of an ID
 * (`120  0  0  0  1  6  0  113  0  7` holds `120000160113070`, a 15-digit number born 1916-01-13), and it masked
 * them. `runs show` does the same (runs-command.ts).
 */
export function summaryText(summary: RunSummary, reports: RunReports = {}): string {
  const shown = maskPersonalText;
  const reportPath = reports.rejections;
  const countCells = (counts: OutcomeCounts) => COUNT_COLUMNS.map((column) => counts[column]);
  const name = (file: { name: string }) => shown(file.name);
  // Masked before the layout: a masked full-width digit (＊ is two columns wide) becomes `*` (one).
  const rows = summary.files.map((file) => [name(file), file.status, ...countCells(file.counts)]);
  if (summary.files.length > 1) rows.push(['total', '', ...countCells(summary.counts)]);
  const lines = [
    `run ${summary.runId} ${summary.status}`,
    // A run that failed as a whole: its own reason, before the (often empty) table of files.
    ...(summary.error ? [`✗ run [${summary.error.code}]: ${shown(summary.error.message)}`] : []),
    formatTable(['file', 'status', ...COUNT_COLUMNS], rows),
  ];
  for (const file of summary.files) {
    const earlier = file.sameContentAs;
    if (!earlier) continue;
    const what =
      file.status === 'skipped' ? 'skipped: same content as' : 'reloaded (--force): same content as';
    lines.push(
      `= ${name(file)} ${what} ${name(earlier)} (source file ${earlier.sourceFileId}, run ${earlier.runId})`,
    );
  }
  // A legacy layout is read by its version as documented (said); any other older version is a warning.
  for (const file of summary.files.filter((candidate) => candidate.olderVersion)) {
    const older = file.olderVersion!;
    lines.push(`${older.legacyLayout ? 'ℹ' : '⚠'} ${name(file)}: ${shown(olderVersionText(older))}`);
  }
  if (summary.files.some((file) => file.status === 'skipped')) {
    lines.push('  content already in the warehouse is never loaded twice; `ingest --force` loads it again');
  }
  for (const file of summary.files.filter((candidate) => candidate.error)) {
    lines.push(`✗ ${name(file)} [${file.error?.code}]: ${shown(file.error?.message ?? '')}`);
  }
  const codes = Object.entries(summary.errorsByCode);
  if (codes.length > 0)
    lines.push(`rejections by error code: ${codes.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  for (const file of summary.files.filter((candidate) => candidate.fullDump)) {
    lines.push(`full dump ${name(file)}: ${fullDumpLine(file.fullDump!)}`);
  }
  for (const file of summary.files.filter((candidate) => candidate.providerObjections)) {
    const { opened, known, beforeDecision } = file.providerObjections!;
    lines.push(`${name(file)}: ${opened} objection(s) opened (异议 in the source), ${known} already known`);
    if (beforeDecision && beforeDecision.length > 0) {
      const named = beforeDecision
        .slice(0, OBJECTION_UPDATES_NAMED)
        .map((row) => `第 ${row.rowNumber} 行 记录 ${row.recordId}（决定日期 ${row.decidedOn}）`);
      if (beforeDecision.length > OBJECTION_UPDATES_NAMED)
        named.push(`另 ${beforeDecision.length - OBJECTION_UPDATES_NAMED} 行见 --json`);
      lines.push(
        `⚠ ${name(file)}: ${beforeDecision.length} 行报送异议未登记：接收日期 ${beforeDecision[0]!.receivedOn} 早于记录的决定日期 ` +
          `(received before the record's decision date; register with credit-etl objection open <record> --received-at …): ${named.join('，')}`,
      );
    }
  }
  for (const file of summary.files.filter((candidate) => candidate.objectionsUpdated)) {
    const updates = file.objectionsUpdated!;
    const named = updates
      .slice(0, OBJECTION_UPDATES_NAMED)
      .map((update) => `record ${update.recordId} → v${update.versionNo} (objection #${update.objectionId})`);
    if (updates.length > OBJECTION_UPDATES_NAMED)
      named.push(`${updates.length - OBJECTION_UPDATES_NAMED} more in the log`);
    lines.push(
      `⚠ ${name(file)}: ${updates.length} record(s) with an objection in progress updated (有处理中异议的记录被更新): ` +
        `${named.join(', ')}; if the corrected delivery settles an objection: objection close <id> --result upheld --version <n>`,
    );
  }
  // A report directory may be named for a person too.
  if (reportPath) lines.push(`rejection report: ${shown(reportPath)}`);
  if (reports.missing) lines.push(`missing from the full dump: ${shown(reports.missing)}`);
  // It names the holiday calendar's file.
  if (summary.counts.pending > 0) lines.push(`⚠ ${shown(pendingTimelinessWarning(summary.counts.pending))}`);
  for (const line of summary.unsettled ?? []) lines.push(`✗ ${shown(line)}`);
  for (const warning of summary.warnings ?? []) lines.push(`⚠ ${shown(warning.message)}`);
  return lines.join('\n');
}

/** One full dump's completeness, as `run`, `ingest` and `runs show` print it. */
export function fullDumpLine(decision: FullDumpDecision): string {
  if (decision.previousSourceFileId === null) return 'the first of its channel: nothing to compare with';
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  const verdict = decision.exceeded
    ? 'exceeded: taken for truncated, no row applied'
    : `within: applied, ${decision.missing ?? 0} record(s) listed missing`;
  return (
    `${decision.missingOfPrevious}/${decision.previousKeys} records of the previous dump (source file ` +
    `${decision.previousSourceFileId}) missing (${percent(decision.missingShare)}) vs max ` +
    `${percent(decision.maxMissingShare)} → ${verdict}`
  );
}
