import path from 'node:path';
import type { Catalog } from '../catalog/load-catalog.ts';
import { writeRejectionsCsv } from '../report/rejections-csv.ts';
import type { RunSummary } from '../run/ingest-files.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { summaryJson, summaryText } from './format-summary.ts';

/**
 * After a run: when rows were rejected, writes `run-<id>-rejections.csv` into the report directory, then prints
 * the summary (readable, or JSON for scripts) naming that report.
 */
export async function printRun(
  warehouse: Warehouse,
  catalog: Catalog,
  reportDir: string,
  summary: RunSummary,
  json = false,
): Promise<void> {
  const report = await writeRunRejections(warehouse, catalog, reportDir, summary);
  console.log(json ? JSON.stringify(summaryJson(summary, report)) : summaryText(summary, report));
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
