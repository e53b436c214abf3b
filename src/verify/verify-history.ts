import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { historyPages, orphanVersions } from '../warehouse/integrity-repository.ts';
import type { IntegrityProblem, RecordFinding, VerifyScope } from './integrity-finding.ts';

export interface HistoryPage {
  records: number;
  versions: number;
  findings: RecordFinding[];
}

/**
 * Every record in scope, a page at a time (memory stays flat), with what is wrong with its history: each
 * version's chain hash recomputed link by link, each delivered version matched with the lineage row of its file
 * and row that created it (a version without one is in no file's digest), and each record checked against its
 * versions.
 */
export async function* verifyHistory(
  warehouse: Warehouse,
  scope: VerifyScope,
  pageSize = 5_000,
): AsyncGenerator<HistoryPage> {
  yield* historyPages(warehouse, scope, pageSize);
  // A record deleted outright belongs to no catalog any more: only a verify of every catalog can name it.
  if (scope.catalogCode !== undefined) return;
  const orphans = await orphanVersions(warehouse, scope.since ?? null);
  if (orphans.length === 0) return;
  const problem: IntegrityProblem = 'record-missing';
  yield {
    records: 0,
    versions: 0,
    findings: orphans.map((orphan) => ({
      recordId: orphan.recordId,
      catalogCode: null,
      businessKey: null,
      versionNo: orphan.versionNo,
      problem,
      detail: `record ${orphan.recordId} not found`,
    })),
  };
}
