import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  CHAINED_LOGS,
  type LogHeads,
  logHasEntry,
  logHeads,
  previousLogHeads,
} from '../warehouse/log-heads-repository.ts';
import type { RecordFinding } from './integrity-finding.ts';

/**
 * A hash chain proves what lies between its entries, not where it ends: deleting the newest entries (triggers
 * off, as a superuser can) leaves a chain that checks. So each verify run records every log's newest entry (in
 * the run's counts, and in the log for archiving outside the database), and the next run asks for the entry the
 * last one saw: gone, the log was cut back (`log-cut-back`), naming the record that entry concerned. An entry
 * still there but changed is the chain's own finding (`…-log-altered`).
 */
export async function verifyLogHeads(
  warehouse: Warehouse,
  runId: number,
): Promise<{ heads: LogHeads; findings: RecordFinding[] }> {
  const heads = await logHeads(warehouse);
  const previous = await previousLogHeads(warehouse, runId);
  const findings: RecordFinding[] = [];
  for (const log of CHAINED_LOGS) {
    const seen = previous?.heads[log];
    if (!previous || !seen || (await logHasEntry(warehouse, log, seen.id))) continue;
    findings.push({
      recordId: seen.recordId,
      catalogCode: seen.catalogCode,
      businessKey: null,
      versionNo: null,
      problem: 'log-cut-back',
      detail:
        `${log} entry #${seen.id} (hash ${seen.hash.slice(0, 16)}…), the newest verify run ${previous.runId} saw ` +
        `of ${seen.entries}, is gone: the log was cut back behind the engine (it now ends at ` +
        `${heads[log] ? `#${heads[log].id}` : 'no entry'})`,
    });
  }
  return { heads, findings };
}
