import type { FullDumpDecision, FullDumpRule } from '../warehouse/full-dump-decision.ts';
import {
  previousFullDump,
  previousKeysMissing,
  recordMissingFromDump,
  storeFullDumpDecision,
} from '../warehouse/full-dump-repository.ts';
import type { DeliveryChannel } from '../warehouse/source-files-repository.ts';
import { countInvalidStagedRows } from '../warehouse/staging-repository.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';
import type { UnitRequest, UnitResult } from './load-unit.ts';
import { holdBack } from './reject-threshold.ts';

export type { FullDumpDecision, FullDumpRule };

/**
 * A full dump is compared with the channel's last complete full dump: "the previous dump's keys" are the
 * current records that dump delivered (its lineage, withdrawals left out). A dump lacking more than
 * `maxMissingShare` of them is taken for truncated — a nightly export cut off halfway would otherwise load as
 * "all unchanged" for the half that came. The first full dump of a channel has nothing to compare with.
 */
export async function checkFullDump(
  session: UnitSession,
  rule: FullDumpRule,
  channel: DeliveryChannel,
  sourceFileId: number,
): Promise<FullDumpDecision> {
  const previous = await previousFullDump(session, channel, sourceFileId);
  if (previous === undefined)
    return {
      ...rule,
      previousSourceFileId: null,
      previousKeys: 0,
      missingOfPrevious: 0,
      missingShare: 0,
      exceeded: false,
    };
  const { previousKeys, missing } = await previousKeysMissing(session, previous);
  const share = previousKeys === 0 ? 0 : missing / previousKeys;
  return {
    ...rule,
    previousSourceFileId: previous,
    previousKeys,
    missingOfPrevious: missing,
    missingShare: Math.round(share * 10_000) / 10_000,
    exceeded: share > rule.maxMissingShare,
  };
}

/** What the provider and the operator are told about a dump held back as truncated. */
export function truncatedDumpMessage(decision: FullDumpDecision): string {
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  return (
    `全量报送缺少上一次全量报送（文件 ${decision.previousSourceFileId}）${decision.previousKeys} 条记录中的 ` +
    `${decision.missingOfPrevious} 条（${percent(decision.missingShare)}），超过允许的 ${percent(decision.maxMissingShare)}：` +
    '疑似数据不完整（导出中断、文件截断），整个文件未入库；请核对后重新报送完整数据'
  );
}

/** A dump taken for truncated: held back as a threshold holds a file back, with its decision stored. */
export async function holdBackTruncatedDump(
  session: UnitSession,
  request: UnitRequest,
  sourceFileId: number,
  sha256: string | undefined,
  stats: { encoding: string; blankLines: number; started: number },
  read: number,
  decision: FullDumpDecision,
): Promise<UnitResult> {
  await storeFullDumpDecision(session, sourceFileId, decision);
  const rejected = await countInvalidStagedRows(session);
  const held = { code: 'truncated-dump', message: truncatedDumpMessage(decision), read, rejected };
  return { ...(await holdBack(session, request, sourceFileId, sha256, stats, held)), fullDump: decision };
}

/** A dump applied: the records it lacks are listed (never deleted), and its decision is stored with it. */
export async function listMissingFromDump(
  session: UnitSession,
  channel: DeliveryChannel,
  sourceFileId: number,
  decision: FullDumpDecision,
): Promise<void> {
  if (decision.previousSourceFileId !== null)
    decision.missing = await recordMissingFromDump(
      session,
      channel,
      sourceFileId,
      decision.previousSourceFileId,
    );
  await storeFullDumpDecision(session, sourceFileId, decision);
}
