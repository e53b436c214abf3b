import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog } from '../catalog/load-catalog.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import { missingFromRun, writeMissingCsv } from '../report/missing-from-dump.ts';
import { writeRejectionsCsv } from '../report/rejections-csv.ts';
import type { RunSummary } from '../run/ingest-files.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { jsonResultPrinted } from './exit-codes.ts';
import { summaryJson, summaryText } from './format-summary.ts';

/**
 * After a run: when rows were rejected, writes `run-<id>-rejections.csv` into the report directory, and when a
 * full dump lacked records, `run-<id>-missing-from-full-dump.csv` beside it (each under the first free name, see
 * freeReportPath); then prints the summary (readable,
 * or JSON for scripts) naming those reports. The run is committed by then: a report that cannot be written (the
 * report directory unwritable, a full disk) does not hide its summary. The summary is printed (the JSON with
 * `reportError`), the error goes to stderr, and this returns false: the command exits 1.
 */
export async function printRun(
  warehouse: Warehouse,
  catalog: Catalog,
  reportDir: string,
  summary: RunSummary,
  json = false,
): Promise<boolean> {
  let reportError: string | undefined;
  const attempt = async <T>(write: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await write();
    } catch (error) {
      reportError ??= maskPersonalText(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  };
  const report = await attempt(() => writeRunRejections(warehouse, catalog, reportDir, summary));
  let missingReport: string | undefined;
  if (summary.files.some((file) => (file.fullDump?.missing ?? 0) > 0)) {
    missingReport = await attempt(async () => {
      const file = await freeReportPath(reportDir, `run-${summary.runId}-missing-from-full-dump.csv`);
      await writeMissingCsv(await missingFromRun(warehouse, catalog, summary.runId), file);
      return file;
    });
  }
  const reports = { rejections: report, missing: missingReport };
  if (json) {
    console.log(
      JSON.stringify({ ...summaryJson(summary, reports), ...(reportError ? { reportError } : {}) }),
    );
    jsonResultPrinted();
  } else {
    console.log(summaryText(summary, reports));
  }
  if (reportError === undefined) return true;
  console.error(
    `credit-etl: failed: run ${summary.runId} ended ${summary.status}, but its report could not be written: ${reportError}`,
  );
  return false;
}

/**
 * `run-<id>-rejections.csv` in the report directory when the run rejected rows (`-2`, `-3`… when that name is
 * taken, see freeReportPath); returns its path.
 */
export async function writeRunRejections(
  warehouse: Warehouse,
  catalog: Catalog,
  reportDir: string,
  summary: RunSummary,
): Promise<string | undefined> {
  if (summary.counts.rejected === 0) return undefined;
  const report = await freeReportPath(reportDir, `run-${summary.runId}-rejections.csv`);
  await writeRejectionsCsv(warehouse, catalog, summary.runId, report);
  return report;
}

/**
 * `name` in `reportDir`, or `<name>-2.csv`, `-3`… when a file is already there. Run ids restart at 1 in every
 * warehouse (the demo's embedded database and a server writing to the same report directory, a re-created
 * database), and a run writes its reports once, right after it ends: a file of that name is another run's report,
 * never replaced. Anything at the path that is not a regular file (a directory, a device) is left to the writer,
 * which fails on it or writes to it as before.
 */
export async function freeReportPath(reportDir: string, name: string): Promise<string> {
  const { name: stem, ext } = path.parse(name);
  for (let n = 1; ; n++) {
    const candidate = path.join(reportDir, n === 1 ? name : `${stem}-${n}${ext}`);
    const existing = await stat(candidate).catch(() => undefined);
    if (!existing?.isFile()) return candidate;
  }
}
