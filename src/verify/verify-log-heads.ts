import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  CHAINED_LOGS,
  earlierLogHeads,
  type LogHeads,
  logEntriesAt,
  recordLogHeads,
  type SeenHead,
} from '../warehouse/log-heads-repository.ts';
import type { RecordFinding } from './integrity-finding.ts';

/**
 * A hash chain proves what lies between its entries, not where it ends: deleting the newest entries (triggers
 * off, as a superuser can) leaves a chain that checks. So each verify run has the database record every log's
 * newest entry (`verified_log_heads`, migration 059: computed from the log, never written by the caller, so a
 * `runs` row the engine's login makes up names nothing), writes it to the log for archiving outside the
 * database and shows it in the run's counts (never read back), and every later run asks for each entry
 * any earlier run saw: gone, the log was cut back (`log-cut-back`), naming the record that entry concerned. An
 * entry still there but changed is the chain's own finding (`…-log-altered`), unless its hash was recomputed: then
 * only the hash the first run recorded shows it (`log-head-rewritten`). Still there, the entries up to it
 * are counted against the most any run counted: fewer, some were deleted (`log-entries-deleted`), which the chain
 * misses when what is left still links (one of a fork's two entries, as a REPEATABLE READ append made before 050).
 *
 * Against every earlier run, not the last one alone: a run that finds an entry gone records the log as it found
 * it, and a next run comparing with that alone would pass. So a finding repeats on every run until the entries
 * are put back as they were; a log that only grows (an honest history) keeps every head and count and passes.
 */
export async function verifyLogHeads(
  warehouse: Warehouse,
  runId: number,
): Promise<{ heads: LogHeads; findings: RecordFinding[] }> {
  const heads = await recordLogHeads(warehouse, runId);
  const earlier = await earlierLogHeads(warehouse, runId);
  const findings: RecordFinding[] = [];
  for (const log of CHAINED_LOGS) {
    const seen = earlier[log];
    const now = await logEntriesAt(
      warehouse,
      log,
      seen.map((head) => head.id),
    );
    const ends = heads[log] ? `#${heads[log].id}` : 'no entry';
    // The head still there with the most entries gone up to it (the lowest such head when several tie).
    let short: { head: SeenHead; expected: number; entries: number } | undefined;
    for (const head of seen) {
      const found = now.get(head.id);
      if (!found) continue;
      if (!found.present) {
        findings.push({
          recordId: head.recordId,
          catalogCode: head.catalogCode,
          businessKey: null,
          versionNo: null,
          problem: 'log-cut-back',
          detail:
            `${log} entry #${head.id} (hash ${head.hash.slice(0, 16)}…), the newest verify run ${head.runId} saw` +
            `${head.entries === null ? '' : ` of ${head.entries}`}, is gone: the log was cut back behind the ` +
            `engine (it now ends at ${ends}; put the deleted entries back as they were)`,
        });
        continue;
      }
      if (found.hash !== head.hash)
        findings.push({
          recordId: head.recordId,
          catalogCode: head.catalogCode,
          businessKey: null,
          versionNo: null,
          problem: 'log-head-rewritten',
          detail:
            `${log} entry #${head.id}, the newest verify run ${head.hashedBy} saw, had hash ` +
            `${head.hash.slice(0, 16)}… and has ${String(found.hash).slice(0, 16)}… now: rewritten behind the engine, ` +
            'its hash recomputed (no later entry links to it to show it; put it back as it was)',
        });
      if (head.entries === null || found.entries >= head.entries) continue;
      if (!short || head.entries - found.entries > short.expected - short.entries)
        short = { head, expected: head.entries, entries: found.entries };
    }
    if (short)
      findings.push({
        recordId: null,
        catalogCode: null,
        businessKey: null,
        versionNo: null,
        problem: 'log-entries-deleted',
        detail:
          `${log} holds ${short.entries} entries up to #${short.head.id}, the newest verify run ` +
          `${short.head.countedBy} saw, which counted ${short.expected}: ${short.expected - short.entries} deleted ` +
          'behind the engine (a chain that still links past a deleted entry does not show it; one of two entries ' +
          'chained to the same predecessor, say; put them back as they were)',
      });
  }
  return { heads, findings };
}
