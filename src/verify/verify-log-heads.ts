import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  CHAINED_LOGS,
  type LogHeads,
  logEntriesUpTo,
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
 * still there but changed is the chain's own finding (`…-log-altered`). Still there, the entries up to it are
 * counted against the number that run recorded: fewer, some were deleted (`log-entries-deleted`), which the chain
 * misses when what is left still links (one of a fork's two entries, as a REPEATABLE READ append made before 050).
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
    if (!previous || !seen) continue;
    if (await logHasEntry(warehouse, log, seen.id)) {
      const now = await logEntriesUpTo(warehouse, log, seen.id);
      if (typeof seen.entries === 'number' && now < seen.entries)
        findings.push({
          recordId: null,
          catalogCode: null,
          businessKey: null,
          versionNo: null,
          problem: 'log-entries-deleted',
          detail:
            `${log} holds ${now} entries up to #${seen.id}, the newest verify run ${previous.runId} saw, which ` +
            `counted ${seen.entries}: ${seen.entries - now} deleted behind the engine (a chain that still links ` +
            'past a deleted entry does not show it; one of two entries chained to the same predecessor, say)',
        });
      continue;
    }
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
