import type { Catalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { CHAINED_LOGS, type LogHeads } from '../warehouse/log-heads-repository.ts';
import { verifyObjectionLog } from '../warehouse/objection-log-chain.ts';
import { verifyProcedureLog } from '../warehouse/procedure-log-chain.ts';
import { finishRun, finishRunIfRunning, startRun } from '../warehouse/runs-repository.ts';
import type { FileFinding, IntegrityCounts, RecordFinding, VerifyScope } from './integrity-finding.ts';
import { shownKey } from './shown-key.ts';
import { UncheckedEntries } from './stored-entry.ts';
import { verifyCatalogCopies } from './verify-catalog-copies.ts';
import { verifyFileDigests } from './verify-file-digests.ts';
import { verifyHistory } from './verify-history.ts';
import { verifyKeys } from './verify-keys.ts';
import { verifyLogHeads } from './verify-log-heads.ts';
import { type UnsettledDue, verifyObjectionDues } from './verify-objection-dues.ts';
import { verifyProcedureVersions } from './verify-procedure-versions.ts';
import { verifyRepairs } from './verify-repairs.ts';
import { verifyTimeliness } from './verify-timeliness.ts';

export interface VerifySummary {
  runId: number;
  /** `completed` when nothing was altered; `failed` when anything was (the run says what). */
  status: 'completed' | 'failed';
  scope: VerifyScope;
  counts: IntegrityCounts;
  records: RecordFinding[];
  files: FileFinding[];
}

/**
 * Recomputes every chain and file digest in scope and checks every record against its history, recorded as
 * a run of kind `verify` with its counts. Findings are reported as each page is checked (`onFinding`), and
 * kept for the summary: on a sound warehouse there are none, so memory stays flat however large it is.
 *
 * With the catalog, each record's business key, catalog, subject and formation date are recomputed from its
 * current version, which is validated as a delivery's row is, and each credit repair's repairable day from the
 * catalog's rules (verify-keys.ts, version-data.ts, verify-repairs.ts). Every version a legal procedure wrote or
 * named is compared with its hash-chained log entry (verify-procedure-versions.ts). A repair the severity now in
 * force outdates (`repair-predates-severity`) is reported and counted, but does not fail the run: nothing was
 * altered.
 *
 * Runs while loads commit (the nightly cron), so each check compares only what one statement read: PostgreSQL reads
 * a statement with one snapshot, and a load, procedure or objection committing between two statements or pages is
 * seen whole or not at all. A check that compared what two statements read (a log read in one, the records it
 * explains in the next) would report a load committed between them as tampering: test/verify-during-load.test.ts
 * commits one before each statement. No REPEATABLE READ snapshot over the run: held for a whole verify of a large
 * warehouse, it would keep vacuum from every row the loads update meanwhile, for no check that needs it.
 */
export async function verifyWarehouse(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: VerifyScope,
  logger: Logger,
  onFinding: (finding: RecordFinding | FileFinding) => void = () => undefined,
): Promise<VerifySummary> {
  const runId = await startRun(warehouse, 'verify', {
    catalog: scope.catalogCode ?? null,
    since: scope.since?.toISOString() ?? null,
  });
  const counts: IntegrityCounts = {
    records: 0,
    versions: 0,
    files: 0,
    tamperedRecords: 0,
    tamperedFiles: 0,
    keys: 0,
    repairs: 0,
  };
  const records: RecordFinding[] = [];
  const files: FileFinding[] = [];
  const report = <F extends RecordFinding | FileFinding>(found: F[], finding: F) => {
    const masked = {
      ...finding,
      detail: maskPersonalText(finding.detail),
      ...('businessKey' in finding && finding.businessKey
        ? { businessKey: shownKey(catalog, finding.catalogCode, finding.catalogVersion, finding.businessKey) }
        : {}),
    };
    found.push(masked);
    logger.warn(`verify: ${describeFinding(masked)}`, { runId, ...masked });
    onFinding(masked);
  };
  try {
    // First: an edited catalog copy is what later key or repair findings of its records may be about.
    for (const finding of await verifyCatalogCopies(warehouse, catalog, scope)) report(records, finding);
    for await (const page of verifyHistory(warehouse, scope)) {
      counts.records += page.records;
      counts.versions += page.versions;
      for (const finding of page.findings) report(records, finding);
    }
    for await (const page of verifyFileDigests(warehouse, scope)) {
      counts.files += page.files;
      for (const finding of page.findings) report(files, finding);
    }
    const unchecked = new UncheckedEntries();
    for await (const page of verifyKeys(warehouse, catalog, scope)) {
      counts.keys += page.keys;
      for (const finding of page.findings) report(records, finding);
    }
    for await (const page of verifyRepairs(warehouse, catalog, scope, unchecked)) {
      counts.repairs += page.repairs;
      for (const finding of page.findings) report(records, finding);
    }
    // Art. 10 timeliness of settled lineage, settled notice deadlines and objection due dates, by the calendar.
    const timeliness = { rows: 0, unchecked: 0, dates: 0 };
    for await (const page of verifyTimeliness(warehouse, catalog, scope)) {
      timeliness.rows += page.rows;
      timeliness.unchecked += page.unchecked;
      timeliness.dates += page.dates;
      for (const finding of page.findings) report(records, finding);
    }
    logger.info(
      `verify: timeliness of ${timeliness.rows} settled lineage row(s) and ${timeliness.dates} settled deadline(s) recomputed with the holiday calendar`,
      { runId, timeliness },
    );
    if (timeliness.unchecked > 0)
      logger.warn(
        `verify: timeliness of ${timeliness.unchecked} lineage row(s) not recomputed: their file's catalog entry version is not in the catalog directory`,
        { runId, unchecked: timeliness.unchecked },
      );
    // Art. 18's deadlines of the objections still awaiting the platform's check, by the calendar.
    const dues = await verifyObjectionDues(warehouse, scope);
    for (const finding of dues.findings) report(records, finding);
    counts.objectionDues = { dues: dues.dues, notices: dues.notices, unsettled: dues.unsettled.length };
    logger.info(
      `verify: due dates of ${dues.dues} open objection(s) and ${dues.notices} verification notice deadline(s) recomputed with the holiday calendar`,
      { runId, objectionDues: counts.objectionDues },
    );
    if (dues.unsettled.length > 0)
      logger.warn(`verify: ${unsettledWarning(dues.unsettled)}`, {
        runId,
        code: 'objection-due-unsettled',
        objections: dues.unsettled.map((due) => due.objectionId),
      });
    if (unchecked.total > 0) {
      counts.unchecked = unchecked.total;
      for (const [entry, { repairs }] of unchecked.byEntry)
        logger.warn(
          `verify: ${repairs} repair(s) of versions stored under ${entry} not recomputed: that entry version is not in the catalog directory`,
          { runId, entry, repairs },
        );
    }
    // The legal procedures and the objections (Art. 18): their logs' hash chains, the records' state against them.
    const logFindings = [
      ...(await verifyProcedureLog(warehouse, scope)),
      ...(await verifyObjectionLog(warehouse, scope)),
    ];
    const heads = await verifyLogHeads(warehouse, runId);
    // Shown (--json, runs show), never read back: later runs read what the database recorded (verified_log_heads).
    counts.logHeads = heads.heads;
    // Written to the log too: archived outside the database, it is the anchor a superuser cannot reach.
    logger.info(`verify: log heads ${describeHeads(heads.heads)}`, { runId, logHeads: heads.heads });
    for (const finding of logFindings) {
      report(records, {
        recordId: finding.recordId,
        catalogCode: finding.catalogCode,
        businessKey: null,
        versionNo: null,
        problem: finding.kind,
        detail: finding.detail,
      });
    }
    // What the procedures wrote and named, against their log (no file digest covers a procedure's version).
    for (const finding of await verifyProcedureVersions(warehouse, scope)) report(records, finding);
    for (const finding of heads.findings) report(records, finding);
  } catch (error) {
    // The fault that stopped verify (a server restart) may have left dead connections in the pool: ending the run
    // is retried on a fresh one, and what is thrown is the error that stopped verify, never the ending's.
    await finishRunIfRunning(warehouse, runId, {
      status: 'failed',
      counts,
      errorsByCode: {},
      error: `verify could not finish: ${(error as Error).message}`,
    }).catch(() => undefined);
    throw error;
  }
  const editedCopies = records.filter((finding) => finding.problem === 'catalog-copy-edited');
  // A repair the severity now in force outdates was made by the rules of its day: said, not tampering.
  const predating = records.filter((finding) => finding.problem === 'repair-predates-severity').length;
  if (predating > 0) counts.repairsPredatingSeverity = predating;
  counts.tamperedRecords = new Set(
    records.filter((finding) => !NOT_ALTERED.has(finding.problem)).map((finding) => finding.recordId),
  ).size;
  counts.tamperedFiles = new Set(files.map((finding) => finding.sourceFileId)).size;
  const errorsByCode: Record<string, number> = {};
  for (const finding of [...records, ...files])
    errorsByCode[finding.problem] = (errorsByCode[finding.problem] ?? 0) + 1;
  const altered = counts.tamperedRecords + counts.tamperedFiles + editedCopies.length > 0;
  await finishRun(warehouse, runId, {
    status: altered ? 'failed' : 'completed',
    counts,
    errorsByCode,
    ...(altered
      ? {
          error: `${editedCopies.length > 0 ? `catalog entry version(s) edited in catalog/: ${editedCopies.map((finding) => `${finding.catalogCode} v${finding.catalogVersion}`).join(', ')}; ` : ''}history altered outside the engine: ${counts.tamperedRecords} record(s), ${counts.tamperedFiles} file(s)`,
        }
      : {}),
  });
  return { runId, status: altered ? 'failed' : 'completed', scope, counts, records, files };
}

/** Findings that are not history altered behind the engine (the edited catalog copy is counted on its own). */
const NOT_ALTERED: ReadonlySet<string> = new Set(['catalog-copy-edited', 'repair-predates-severity']);

/**
 * Provisional due dates the calendar now counts exactly: nothing was altered, the date is only not settled yet, so
 * a warning (not a finding that fails the run) with what each one will be and the command that settles them. Until
 * it runs, `objection check` already judges them by the date the calendar gives (objection-due-standing.ts).
 */
function unsettledWarning(unsettled: readonly UnsettledDue[]): string {
  return (
    `${unsettled.length} 件异议的暂定核查期限按现有工作日日历已可确定，尚未重算：请运行 credit-etl calendar recompute ` +
    `(provisional due date(s) the holiday calendar now counts exactly, not settled yet: run \`credit-etl calendar recompute\`): ` +
    unsettled
      .map(
        (due) =>
          `objection ${due.objectionId} on record ${due.recordId}, received ${due.receivedOn}, due ${due.dueOn} 暂定 → ${due.exactDueOn}`,
      )
      .join('; ')
  );
}

/** `procedure_log #12 3f5a…(12 entries), objection_log none`: the line an archive keeps. */
function describeHeads(heads: LogHeads): string {
  return CHAINED_LOGS.map((log) => {
    const head = heads[log];
    return head ? `${log} #${head.id} ${head.hash} (${head.entries} entries)` : `${log} none`;
  }).join(', ');
}

/** One line an operator can act on: which record or file, which version, what differs. */
export function describeFinding(finding: RecordFinding | FileFinding): string {
  if ('sourceFileId' in finding) {
    return `file ${finding.sourceFileId} (${finding.catalogCode}, ${finding.name}): ${finding.problem}: ${finding.detail}`;
  }
  if (finding.problem === 'catalog-copy-edited')
    return `catalog entry ${finding.catalogCode} v${finding.catalogVersion}: ${finding.problem}: ${finding.detail}`;
  const record = `record ${finding.recordId ?? '(unknown)'}`;
  const where = finding.catalogCode
    ? `${record} (${finding.catalogCode}${finding.businessKey ? ` ${finding.businessKey}` : ''})`
    : record;
  const version = finding.versionNo === null ? '' : ` version ${finding.versionNo}`;
  return `${where}${version}: ${finding.problem}: ${finding.detail}`;
}
