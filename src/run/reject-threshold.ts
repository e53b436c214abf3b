import { storeStagedRejections } from '../warehouse/merge-staged.ts';
import { emptyCounts, type OutcomeCounts } from '../warehouse/outcome-counts.ts';
import { rejectionsByCode } from '../warehouse/rejections-repository.ts';
import { holdBackSourceFile } from '../warehouse/source-files-repository.ts';
import { countInvalidStagedRows } from '../warehouse/staging-repository.ts';
import type { ThresholdDecision, Thresholds } from '../warehouse/threshold-decision.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';
import type { UnitRequest, UnitResult } from './load-unit.ts';

export type { ThresholdDecision, Thresholds };

/**
 * The defaults for every pipeline and for `credit-etl ingest`: a file where (nearly) every row fails must
 * never look like success, while a delivery with many fixable rows still loads its good rows.
 */
export const DEFAULT_THRESHOLDS: Thresholds = { maxRejectRate: 0.9, maxRejected: null };

export function decideThreshold(thresholds: Thresholds, read: number, rejected: number): ThresholdDecision {
  const rejectRate = read === 0 ? 0 : rejected / read;
  const exceeded =
    rejectRate > thresholds.maxRejectRate ||
    (thresholds.maxRejected !== null && rejected > thresholds.maxRejected);
  return { ...thresholds, read, rejected, rejectRate: Math.round(rejectRate * 10_000) / 10_000, exceeded };
}

/** The decision for a staged unit, or undefined when the run has no thresholds. */
export async function checkThreshold(
  session: UnitSession,
  thresholds: Thresholds | undefined,
  read: number,
): Promise<ThresholdDecision | undefined> {
  if (!thresholds) return undefined;
  return decideThreshold(thresholds, read, await countInvalidStagedRows(session));
}

/**
 * A file over its threshold: its rejections are stored (the provider needs them to fix the file), no valid row
 * is merged, and the file is marked `failed-threshold` with the decision. Its content hash is kept but the
 * ledger counts only `loaded` files, so a corrected or re-approved delivery loads later.
 */
export async function holdBackUnit(
  session: UnitSession,
  request: UnitRequest,
  sourceFileId: number,
  sha256: string | undefined,
  stats: { encoding: string; blankLines: number; started: number },
  decision: ThresholdDecision,
): Promise<UnitResult> {
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  const limits = [`最大拒绝率 ${percent(decision.maxRejectRate)}`];
  if (decision.maxRejected !== null) limits.push(`最大拒绝行数 ${decision.maxRejected}`);
  const message = `${decision.read} 行中 ${decision.rejected} 行未通过校验（${percent(decision.rejectRate)}），超过阈值（${limits.join('，')}）：整个文件未入库，请按拒绝报告改正后重新报送`;
  const held = {
    code: 'reject-threshold-exceeded',
    message,
    read: decision.read,
    rejected: decision.rejected,
  };
  const result = await holdBack(session, request, sourceFileId, sha256, stats, held, decision);
  return { ...result, threshold: decision };
}

/**
 * Holds a unit back for a reason of its own (a full dump taken for truncated: `truncated-dump`), as a
 * threshold does: rejections stored, nothing applied, the file `failed-threshold` and the run exit 3.
 */
export async function holdBack(
  session: UnitSession,
  request: UnitRequest,
  sourceFileId: number,
  sha256: string | undefined,
  stats: { encoding: string; blankLines: number; started: number },
  held: { code: string; message: string; read: number; rejected: number },
  decision?: ThresholdDecision,
): Promise<UnitResult> {
  await storeStagedRejections(session, {
    runId: request.runId,
    sourceFileId,
    catalogCode: request.entry.code,
    providerCode: request.providerCode,
  });
  // The valid rows were read but deliberately not applied: `held`, so that the file's counts still add up.
  const counts: OutcomeCounts = {
    ...emptyCounts(),
    read: held.read,
    rejected: held.rejected,
    held: held.read - held.rejected,
  };
  await holdBackSourceFile(session, sourceFileId, {
    sha256,
    encoding: stats.encoding,
    counts,
    blankLines: stats.blankLines,
    decision,
    code: held.code,
    message: held.message,
  });
  return {
    sourceFileId,
    name: request.unit.name,
    status: 'failed-threshold',
    counts,
    errorsByCode: await rejectionsByCode(session, sourceFileId),
    blankLines: stats.blankLines,
    encoding: stats.encoding,
    error: { code: held.code, message: held.message },
    durationMs: Date.now() - stats.started,
  };
}
