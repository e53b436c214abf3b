import type { Catalog } from '../catalog/load-catalog.ts';
import { disclosurePeriod } from '../disclosure/disclosure-period.ts';
import { repairPredatesPeriod } from '../disclosure/disclosure-state.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type RepairCheckRow, repairPages } from '../warehouse/integrity-repository.ts';
import type { IntegrityProblem, RecordFinding, VerifyScope } from './integrity-finding.ts';
import { storedEntry, type UncheckedEntries } from './stored-entry.ts';

export interface RepairPage {
  /** Repairs whose repairable day was recomputed. */
  repairs: number;
  findings: RecordFinding[];
}

/**
 * Every credit repair in scope, a page at a time, checked against the rules: `procedure_repair` (014) believes
 * the disclosure its caller hands it, so an officer calling it directly could repair a record whose minimum
 * disclosure period has not run. The repairable day is recomputed as the engine computes it before the call
 * (credit-repair.ts: disclosurePeriod over the catalog entry's rule, the version's data and formation date),
 * from the version the log names as current then and the entry version that version was stored under. A
 * repair is named when it was performed (its day in Asia/Shanghai) before that day, when the entry allows no
 * repair, or when the disclosure logged with it gives another repairable day.
 *
 * A current record whose version now in force (a later delivery or correction) gives a first repairable day after
 * the repair's is named too (`repair-predates-severity`): the repair does not stop its disclosure any more
 * (disclosure-state.ts). Nothing was altered, so it does not fail the run (verify-warehouse.ts). Once a later
 * repair of the record is in force (made on or after that day: 057-repair-after-severity-raise.ts), the
 * disclosure is stopped again and the early one is history: not named.
 */
export async function* verifyRepairs(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: VerifyScope,
  unchecked: UncheckedEntries,
  pageSize = 1_000,
): AsyncGenerator<RepairPage> {
  const problem: IntegrityProblem = 'repair-before-period';
  for await (const rows of repairPages(warehouse, scope, pageSize)) {
    const page: RepairPage = { repairs: 0, findings: [] };
    for (const row of rows) {
      const where = `repair #${row.procedureId} on ${row.repairedOn}`;
      const finding = (detail: string): RecordFinding => ({
        recordId: row.recordId,
        catalogCode: row.catalogCode,
        businessKey: row.businessKey,
        catalogVersion: row.catalogVersion,
        versionNo: row.versionNo,
        problem,
        detail: `${where}: ${detail}`,
      });
      if (row.data === null) {
        page.findings.push(
          finding(
            `the version it names (${row.loggedVersionId ?? 'none'}) is no version of record ${row.recordId}: the rules cannot be recomputed`,
          ),
        );
        continue;
      }
      const entry = storedEntry(catalog, row.catalogCode, row.catalogVersion);
      if (!entry) {
        unchecked.add(row.catalogCode, row.catalogVersion);
        continue;
      }
      page.repairs += 1;
      const { repairableFrom } = disclosurePeriod(entry.disclosure, row.data, row.formationDate);
      const problems: string[] = [];
      if (!entry.disclosure.repair) {
        problems.push(`${entry.code} v${entry.version} allows no credit repair`);
      } else if (repairableFrom === null) {
        problems.push(
          `version ${row.versionNo} has no day its disclosure starts from: no repair is possible`,
        );
      } else if (row.repairedOn < repairableFrom) {
        problems.push(`before ${repairableFrom}, the first day its minimum disclosure period allows`);
      }
      const logged = typeof row.loggedRepairableFrom === 'string' ? row.loggedRepairableFrom : null;
      // A logged day later than the recomputed one is no early repair: the rules of severity can only have been
      // refined since (a negated 吊销 no longer counts), and the repair waited for the later day.
      const loggedTooEarly =
        logged === null || repairableFrom === null ? logged !== repairableFrom : logged < repairableFrom;
      if (loggedTooEarly || (row.loggedRepairableFrom ?? null) !== logged)
        problems.push(
          `its caller gave repairableFrom ${describeLogged(row.loggedRepairableFrom)}, recomputed ${repairableFrom ?? 'none'}`,
        );
      if (problems.length > 0) page.findings.push(finding(problems.join('; ')));
      const predates = predatesSeverity(catalog, row);
      if (predates)
        page.findings.push({
          ...finding(predates),
          catalogVersion: row.currentCatalogVersion,
          versionNo: row.currentVersionNo,
          problem: 'repair-predates-severity',
        });
    }
    yield page;
  }
}

/**
 * What is wrong when the current version (another than the one repaired) gives a first repairable day after the
 * repair's: the repair no longer stops the disclosure. Undefined when it is fine, not current, or not checkable.
 */
function predatesSeverity(catalog: Catalog, row: RepairCheckRow): string | undefined {
  if (row.status !== 'current' || row.currentData === null || row.currentCatalogVersion === null) return;
  if (row.currentVersionId === row.loggedVersionId) return;
  // An entry version catalog/ lacks is verify-keys' finding (catalog-version-unknown) for the current version.
  const entry = storedEntry(catalog, row.catalogCode, row.currentCatalogVersion);
  if (!entry) return;
  const period = disclosurePeriod(entry.disclosure, row.currentData, row.currentFormationDate);
  const early = repairPredatesPeriod({ procedureId: row.procedureId, on: row.repairedOn }, period);
  // A later repair in force (the newest repair is the one, if any is) stops the disclosure: nothing to say.
  if (!early || row.newestRepairOn >= early.repairableFrom) return;
  return (
    `version ${row.currentVersionNo} now in force${period.severity ? ` (severity ${period.severity})` : ''} ` +
    `may be repaired from ${early.repairableFrom}: the repair predates it and no longer stops its disclosure ` +
    `(信用修复早于现行失信程度，可申请信用修复自 ${early.repairableFrom}，不停止公示)`
  );
}

function describeLogged(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
