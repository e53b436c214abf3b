import path from 'node:path';
import type { Catalog } from '../catalog/load-catalog.ts';
import { missingFromRun, writeMissingCsv } from '../report/missing-from-dump.ts';
import { writeRejectionsCsv } from '../report/rejections-csv.ts';
import type { RunSummary } from '../run/ingest-files.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { summaryJson, summaryText } from './format-summary.ts';

/**
 * After a run: when rows were rejected, writes `run-<id>-rejections.csv` into the report directory, and when a
 * full dump lacked records, `run-<id>-missing-from-full-dump.csv` beside it; then prints the summary (readable,
 * or JSON for scripts) naming those reports.
 */
export async function printRun(
  warehouse: Warehouse,
  catalog: Catalog,
  reportDir: string,
  summary: RunSummary,
  json = false,
): Promise<void> {
  const report = await writeRunRejections(warehouse, catalog, reportDir, summary);
  let missingReport: string | undefined;
  if (summary.files.some((file) => (file.fullDump?.missing ?? 0) > 0)) {
    missingReport = path.join(reportDir, `run-${summary.runId}-missing-from-full-dump.csv`);
    await writeMissingCsv(await missingFromRun(warehouse, catalog, summary.runId), missingReport);
  }
  const reports = { rejections: report, missing: missingReport };
  console.log(json ? JSON.stringify(summaryJson(summary, reports)) : summaryText(summary, reports));
}

/** `run-<id>-rejections.csv` in the report directory when the run rejected rows; returns its path. */
export async function writeRunRejections(
  warehouse: Warehouse,
  catalog: Catalog,
  reportDir: string,
  summary: RunSummary,
): Promise<string | undefined> {
  if (summary.counts.rejected === 0) return undefined;
  const report = path.join(reportDir, `run-${summary.runId}-rejections.csv`);
  await writeRejectionsCsv(warehouse, catalog, summary.runId, report);
  return report;
}
