import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { objectionDue } from '../calendar/objection-due.ts';
import {
  alreadyRaised,
  lockObjectionRecords,
  type ObjectionOnUpdatedRecord,
  type ObjectionRequest,
  openProviderObjection,
} from '../warehouse/provider-objections-repository.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';

export interface ProviderObjections {
  /** Objections opened (channel `provider`): the records are marked 异议处理中. */
  opened: number;
  /** Rows whose record already had one (in progress, or reported for the same version). */
  known: number;
  /**
   * Rows whose record's decision (formation) date is after the day the unit was received — a conflict row beside
   * another channel's later version, a record loaded before such a date was refused: not opened, as `objection
   * open` refuses an objection received before the decision it is about. An officer registers it with its own
   * day (`objection open <recordId> --received-at …`). Absent when none.
   */
  beforeDecision?: { recordId: number; rowNumber: number; decidedOn: string; receivedOn: string }[];
}

/**
 * A 当前状态 of 异议 in a provider's row: the provider reports that the subject objected (Art. 18) and it is
 * verifying. In the unit's transaction, after its merge (an objection is about a record as loaded), each record it
 * names gets an objection of channel `provider`, received the day the unit was, due 3 working days later — unless
 * it has one already, or its decision date is after that day (`beforeDecision`). The rows and their marks commit
 * together or not at all: an objection that cannot be opened fails the unit, as any fault in its transaction does,
 * and nothing of it is loaded (a record shown unmarked, or a mark lost to a stop between two commits, is the
 * defect Art. 18 forbids). The loader may open such an objection and nothing else (013-objections.ts).
 */
export async function raiseProviderObjections(
  session: UnitSession,
  delivery: { providerCode: string; fileName: string; sourceFileId: number; receivedAt: Date },
  requests: readonly ObjectionRequest[],
): Promise<ProviderObjections> {
  // Every record first (id order), then the objection log's lock with the first objection: one lock order.
  const locked = await lockObjectionRecords(
    session,
    requests.map((request) => request.recordId),
  );
  const raised = await alreadyRaised(session, requests);
  const receivedOn = todayInShanghai(delivery.receivedAt);
  const due = objectionDue(receivedOn);
  let opened = 0;
  const beforeDecision: NonNullable<ProviderObjections['beforeDecision']> = [];
  for (const request of [...requests].sort((a, b) => a.recordId - b.recordId)) {
    if (raised.has(request.recordId)) continue;
    const record = locked.get(request.recordId);
    // The merge read these records under a lock (lockObjectedRecordsBeforeMerge): a procedure that ended one
    // before then made its row a conflict, which asks for nothing here; none can end one since. Never skipped
    // silently: a record no longer current here is a fault that fails the unit, as any objection not opened does.
    if (record?.status !== 'current')
      throw new Error(
        `record ${request.recordId} (row ${request.rowNumber}) is ${record?.status ?? 'missing'} after the merge read it current: its provider objection cannot be opened`,
      );
    // As `objection open` (objection-workflow.ts): no objection is received before the decision it is about.
    if (record.decidedOn && receivedOn < record.decidedOn) {
      beforeDecision.push({
        recordId: request.recordId,
        rowNumber: request.rowNumber,
        decidedOn: record.decidedOn,
        receivedOn,
      });
      continue;
    }
    await openProviderObjection(session, {
      recordId: request.recordId,
      applicant: `数据提供单位 ${delivery.providerCode}`,
      reason: `数据提供单位报送该信息处于异议状态（${request.signal}）`,
      receivedOn,
      dueOn: due.date,
      dueProvisional: due.provisional,
      channel: 'provider',
      operator: `数据提供单位 ${delivery.providerCode}`,
      providerCode: delivery.providerCode,
      basis: `文件「${delivery.fileName}」（文件 ${delivery.sourceFileId}）第 ${request.rowNumber} 行，${request.signal}`,
    });
    opened++;
  }
  const known = requests.length - opened - beforeDecision.length;
  return beforeDecision.length > 0 ? { opened, known, beforeDecision } : { opened, known };
}

/**
 * A delivery updated a record whose objection is in progress: the provider's corrected re-delivery (Art. 18 ¶1
 * 核实处理, Art. 14) may settle it, but only an officer decides so. Ids only: no personal data in the log.
 */
export function objectionUpdatedWarning(update: ObjectionOnUpdatedRecord): string {
  const decide =
    update.stage === 'open'
      ? `objection close ${update.objectionId}`
      : `objection outcome ${update.objectionId} --stage ${update.stage}`;
  return (
    `记录 ${update.recordId} 有处理中的异议 #${update.objectionId}，本次报送将其更新为 v${update.versionNo}：` +
    `若该更正了结异议，由经办人登记 (record ${update.recordId} updated to v${update.versionNo} while objection ` +
    `#${update.objectionId} is in progress: if the corrected delivery settles it, \`credit-etl ${decide} ` +
    `--result upheld --version ${update.versionNo} --basis … --note …\`)`
  );
}
