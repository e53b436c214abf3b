/** What a mark needs to be shown: the objection and the platform's deadline to check it (Art. 18). */
export interface MarkShown {
  objectionId: number;
  dueOn: string;
  /** Counted Monday–Friday through a year without calendar data, not yet settled by `calendar recompute`. */
  dueProvisional?: boolean;
}

/** The word every output uses for a record under objection (Art. 18: 异议申请处理期间…予以标注). */
export const OBJECTION_MARK = '异议处理中';

/** `异议处理中（异议 3，核查期限 2026-02-13）` (`核查期限 2026-10-05 暂定`): the label in workbooks and CSV cells. */
export function objectionMarkLabel(mark: MarkShown): string {
  return `${OBJECTION_MARK}（异议 ${mark.objectionId}，核查期限 ${mark.dueOn}${mark.dueProvisional ? ' 暂定' : ''}）`;
}
