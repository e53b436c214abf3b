/**
 * The fixed value sets of an objection (异议, Art. 18) as the warehouse stores them (013-objections.ts): where it
 * was filed, its stages, a decided stage's result, and the actions its log records.
 */

export const OBJECTION_CHANNELS = ['platform', 'provider'] as const;
export type ObjectionChannel = (typeof OBJECTION_CHANNELS)[number];

/** open: the platform's check (核查); appeal: 申诉; review: 行政复议; lawsuit: 行政诉讼. */
export const OBJECTION_STAGES = ['open', 'appeal', 'review', 'lawsuit'] as const;
export type ObjectionStage = (typeof OBJECTION_STAGES)[number];

/** The stages as the Measures name them, for every output (objection-titles.ts, the notice workbook's mark). */
export const STAGE_TITLES: Record<ObjectionStage, string> = {
  open: '异议核查',
  appeal: '申诉',
  review: '行政复议',
  lawsuit: '行政诉讼',
};

/**
 * Where a mark came from when the objection is on a record this one replaced (supersede or reattribute), in the
 * words every output uses for it (the record's mark, its disclosure label, the console, report disclosure):
 * `异议针对记录 4，该记录已由本记录取代`; '' for the record's own objection.
 */
export function markOriginTitle(mark: { fromRecordId?: number | undefined }): string {
  return mark.fromRecordId === undefined ? '' : `异议针对记录 ${mark.fromRecordId}，该记录已由本记录取代`;
}

/** The stages that follow the platform's result (`objection appeal`, `objection outcome`). */
export const APPEAL_STAGES = ['appeal', 'review', 'lawsuit'] as const;
export type AppealStage = (typeof APPEAL_STAGES)[number];

export const OBJECTION_RESULTS = ['upheld', 'rejected', 'partly'] as const;
export type ObjectionResult = (typeof OBJECTION_RESULTS)[number];

export type ObjectionAction = 'open' | 'close' | 'appeal' | 'outcome' | 'note';
