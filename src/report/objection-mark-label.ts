import { markOriginTitle, type ObjectionStage, STAGE_TITLES } from '../warehouse/objection-vocabulary.ts';

/** What a mark needs to be shown: the objection, its stage, and the platform's deadline to check it (Art. 18). */
export interface MarkShown {
  objectionId: number;
  /** The stage in progress: 'open' (the platform's check), 'appeal', 'review' or 'lawsuit'. */
  stage: ObjectionStage;
  dueOn: string;
  /** Counted Monday–Friday through a year without calendar data, not yet settled by `calendar recompute`. */
  dueProvisional?: boolean;
  /** The day the stage in progress began (YYYY-MM-DD): shown instead of the finished check's due date. */
  stageSince: string;
  /** The record the objection is on, when this record replaced it (supersede or reattribute). */
  fromRecordId?: number | undefined;
}

/** The word every output uses for a record under objection (Art. 18: 异议处理中…予以标注). */
export const OBJECTION_MARK = '异议处理中';

/**
 * The label in workbooks and CSV cells: `异议处理中（异议 3，核查期限 2026-02-13）` (`核查期限 2026-10-05 暂定`) while
 * the platform checks it; in an appeal, review or lawsuit the day it began, not the finished check's due date as if
 * it were still pending: `异议处理中（异议 3，申诉中，2026-12-06 起）`; an objection on a record this one replaced
 * says so in the words every output uses (markOriginTitle): `异议处理中（异议 3，核查期限 2026-02-13，异议针对记录 4，
 * 该记录已由本记录取代）`.
 */
export function objectionMarkLabel(mark: MarkShown): string {
  const stage =
    mark.stage === 'open'
      ? `核查期限 ${mark.dueOn}${mark.dueProvisional ? ' 暂定' : ''}`
      : `${STAGE_TITLES[mark.stage]}中，${mark.stageSince} 起`;
  const origin = mark.fromRecordId === undefined ? '' : `，${markOriginTitle(mark)}`;
  return `${OBJECTION_MARK}（异议 ${mark.objectionId}，${stage}${origin}）`;
}
