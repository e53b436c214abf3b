import {
  markOriginTitle,
  type ObjectionAction,
  type ObjectionResult,
  STAGE_TITLES,
} from '../warehouse/objection-vocabulary.ts';
import type { ObjectionMark } from '../warehouse/objections-repository.ts';

/**
 * Each stage as the Measures name it (Art. 18), and where a carried mark came from in Chinese alone (the console,
 * the disclosure label: `异议针对记录 4，该记录已由本记录取代`; '' for the record's own): the warehouse's vocabulary
 * holds them for every output.
 */
export { markOriginTitle, STAGE_TITLES };

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

/**
 * The mark on a record: `异议处理中 · objection #3, 异议核查 (open), received 2026-02-13, due 2026-02-25` while the
 * platform checks it; in a later stage the day it began, not the finished check's due date, which is no deadline any
 * more: `异议处理中 · objection #4, 申诉 (appeal) since 2026-12-06, received 2026-09-30`.
 */
export function objectionMarkLine(mark: ObjectionMark): string {
  const stage = `${STAGE_TITLES[mark.stage]} (${mark.stage})`;
  return mark.stage === 'open'
    ? `异议处理中 · objection #${mark.objectionId}, ${stage}, received ${mark.receivedOn}, due ${dueText(mark)}${markOriginText(mark)}`
    : `异议处理中 · objection #${mark.objectionId}, ${stage} since ${mark.stageSince}, received ${mark.receivedOn}${markOriginText(mark)}`;
}

/**
 * Where a mark came from when the objection is on a record this one replaced (`fromRecordId`): `, on record 4,
 * replaced by this one (异议针对记录 4，该记录已由本记录取代)`; nothing for the record's own objection.
 */
export function markOriginText(mark: Pick<ObjectionMark, 'fromRecordId'>): string {
  return mark.fromRecordId === undefined
    ? ''
    : `, on record ${mark.fromRecordId}, replaced by this one (${markOriginTitle(mark)})`;
}

/** What a stage is shown by: a record's mark, or an objection's row (`objection list`). */
export type StageShown = Pick<
  ObjectionMark,
  'stage' | 'receivedOn' | 'dueOn' | 'dueProvisional' | 'stageSince'
>;

/** `open, due 2026-02-25` while the platform checks it; `appeal since 2026-12-06` in a later stage. */
export function markStageText(mark: StageShown): string {
  return mark.stage === 'open' ? `open, due ${dueText(mark)}` : `${mark.stage} since ${mark.stageSince}`;
}

/**
 * The mark in Chinese (the console): `异议核查，2026-02-13 受理，2026-02-25 前核查` while the platform checks it;
 * `申诉中，2026-12-06 起（2026-09-30 受理）` in a later stage.
 */
export function markStageTitle(mark: StageShown): string {
  return mark.stage === 'open'
    ? `${STAGE_TITLES.open}，${mark.receivedOn} 受理，${dueText(mark)} 前核查`
    : `${STAGE_TITLES[mark.stage]}中，${mark.stageSince} 起（${mark.receivedOn} 受理）`;
}

/** `2026-02-25`, or `2026-10-05（暂定）` for a due date counted Monday–Friday, not yet settled. */
export function dueText(due: { dueOn: string; dueProvisional: boolean }): string {
  return `${due.dueOn}${due.dueProvisional ? '（暂定）' : ''}`;
}
