/**
 * The provider's verification (核实, Art. 18) of a disputed record: the platform sends an objection verification
 * notice (异议核实通知) and the provider answers by a deadline. Both steps are entries of the objection's
 * append-only log; the status is computed from them and from today, so it can never disagree with the log.
 */

/** What a provider may answer: the record is right as delivered, or it was corrected by a new delivery. */
export const VERIFICATION_ANSWERS = ['confirmed', 'corrected'] as const;
export type VerificationAnswer = (typeof VERIFICATION_ANSWERS)[number];

export const VERIFICATION_STATUSES = ['not-sent', 'sent', 'overdue', ...VERIFICATION_ANSWERS] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

export const VERIFICATION_STATUS_TITLES: Record<VerificationStatus, string> = {
  'not-sent': '未发核实通知',
  sent: '待核实答复',
  overdue: '逾期未答复',
  confirmed: '已答复：信息无误',
  corrected: '已答复：已更正',
};

/**
 * Art. 18 gives the platform 3 working days from receipt to check (核查) and tell the subject. A notice sent on
 * the day of receipt with 2 working days leaves the platform the third day to weigh the provider's answer; the
 * Measures set no figure for the provider itself ("按规定及时进行核实处理"), so this is the platform's choice,
 * changeable per notice (`objection notify --working-days`).
 */
export const DEFAULT_VERIFICATION_WORKING_DAYS = 2;

/**
 * How a provisional answer deadline is labelled (CLI, letter). Unlike a resubmission notice's (report/notices.ts),
 * it is never recomputed: the deadline lives in the notice's log entry, which `calendar recompute` does not touch,
 * and the status (overdue or not) is counted from it.
 */
export const VERIFICATION_PROVISIONAL_NOTE = {
  en: 'provisional: counted Mon–Fri, the holiday calendar lacks a year it crosses; it stays as issued (`calendar recompute` does not change a verification notice)',
  zh: '暂定：所跨年份的节假日安排尚未录入，暂按周一至周五（除元旦、劳动节、国庆节）计算，以本通知所载期限为准',
} as const;

/** The notice as its log entry records it (event `verification-sent`). */
export interface VerificationNotice {
  providerCode: string;
  issuedOn: string;
  workingDays: number;
  deadline: string;
  /** Counted Mon–Fri through a year without calendar data (src/calendar/provisional-deadline.ts). */
  provisional: boolean;
}

/** The provider's answer as its log entry records it (event `verification-answered`). */
export interface VerificationReply {
  answer: VerificationAnswer;
  /** The day the answer was recorded (Asia/Shanghai). */
  answeredOn: string;
}

export interface VerificationState {
  status: VerificationStatus;
  notice: VerificationNotice | null;
  reply: VerificationReply | null;
}

/**
 * The status on `today`: the latest answer wins; without one, a notice past its deadline (the deadline day
 * itself still counts as in time) is overdue.
 */
export function verificationState(
  notice: VerificationNotice | null,
  reply: VerificationReply | null,
  today: string,
): VerificationState {
  if (!notice) return { status: 'not-sent', notice: null, reply: null };
  if (reply) return { status: reply.answer, notice, reply };
  return { status: today > notice.deadline ? 'overdue' : 'sent', notice, reply: null };
}

/** One line for lists: `sent 待核实答复 (due 2026-02-13)`, `overdue 逾期未答复 (due …)`, `confirmed …`. */
export function verificationLine(state: VerificationState): string {
  const title = `${state.status} ${VERIFICATION_STATUS_TITLES[state.status]}`;
  if (state.reply) return `${title} (${state.reply.answeredOn})`;
  if (state.notice)
    return `${title} (due ${state.notice.deadline}${state.notice.provisional ? ', provisional' : ''})`;
  return title;
}

/** A table cell: `sent, due 2026-12-04`, `overdue, due 2026-03-04`, `confirmed 2026-03-05`, `—` when not sent. */
export function verificationCell(state: VerificationState | undefined): string {
  if (!state?.notice) return '—';
  if (state.reply) return `${state.status} ${state.reply.answeredOn}`;
  return `${state.status}, due ${state.notice.deadline}`;
}
