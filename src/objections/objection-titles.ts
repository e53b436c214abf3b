import type { ObjectionAction, ObjectionResult, ObjectionStage } from '../warehouse/objection-vocabulary.ts';
import type { ObjectionMark } from '../warehouse/objections-repository.ts';

/** Each stage as the Measures name it (Art. 18). */
export const STAGE_TITLES: Record<ObjectionStage, string> = {
  open: '异议核查',
  appeal: '申诉',
  review: '行政复议',
  lawsuit: '行政诉讼',
};

export const RESULT_TITLES: Record<ObjectionResult, string> = {
  upheld: '异议成立',
  partly: '部分成立',
  rejected: '异议不成立',
};

export const ACTION_TITLES: Record<ObjectionAction, string> = {
  open: '登记 open',
  close: '核查办结 close',
  appeal: '进入 appeal',
  outcome: '结果 outcome',
  note: '备注 note',
};

/** `异议处理中 · objection #3, 异议核查 (open), received 2026-02-13, due 2026-02-25`: the mark on a record. */
export function objectionMarkLine(mark: ObjectionMark): string {
  return (
    `异议处理中 · objection #${mark.objectionId}, ${STAGE_TITLES[mark.stage]} (${mark.stage}), ` +
    `received ${mark.receivedOn}, due ${dueText(mark)}`
  );
}

/** `2026-02-25`, or `2026-10-05（暂定）` for a due date counted Monday–Friday, not yet settled. */
export function dueText(due: { dueOn: string; dueProvisional: boolean }): string {
  return `${due.dueOn}${due.dueProvisional ? '（暂定）' : ''}`;
}
