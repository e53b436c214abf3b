import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { latestObjectionDue } from '../calendar/objection-due.ts';
import type { LatestDeadline } from '../calendar/provisional-deadline.ts';
import { calendar, type WorkingDayCalendar } from '../calendar/working-days.ts';
import type { ObjectionRow } from '../warehouse/objections-repository.ts';

/**
 * What an objection's due date says on a day: what `objection check`, `objection list` and the alerts raise, and
 * whether a closed check was closed late (逾期办结).
 */
export interface DueStanding {
  /**
   * The platform's check is still open after its due date: the date as settled, or for a provisional one the latest
   * it can be (dueLatest), so it is overdue whatever the missing year's notice says.
   */
  overdue: boolean;
  /** Past its provisional due date, not surely overdue: not raised, said (objection-due-provisional). */
  provisionalPastDue: boolean;
  /** A provisional due date's latest possible day (exact: the calendar counts it now, `calendar recompute` not run). */
  dueLatest?: LatestDeadline;
  /**
   * The platform's check was closed (its step's day, Asia/Shanghai, on or before `asOf`) after its due date: the
   * date as settled, or for a provisional one the latest it can be. Computed from the stored receipt, due date and
   * close time with the calendar, never stored; it stays true through a later appeal, review or lawsuit.
   */
  closedLate: boolean;
  /** closedLate: the day the check was closed. */
  closedOn?: string;
}

export type DueFacts = Pick<
  ObjectionRow,
  'inProgress' | 'stage' | 'receivedOn' | 'dueOn' | 'dueProvisional'
> &
  Partial<Pick<ObjectionRow, 'checkedAt'>>;

/**
 * The standing of an objection's due date on `asOf` (YYYY-MM-DD). Only the platform's check has a due date (a later
 * stage has none). A settled date is past the day after it. A provisional one (counted Monday–Friday through a year
 * without calendar data) is overdue only when even the latest day it can turn out to be is past (latestObjectionDue:
 * the date itself once the calendar has the year, else its count plus the longest delay the official calendar has
 * ever caused); past only the provisional date, it is `provisionalPastDue`, said but not raised.
 */
export function dueStanding(row: DueFacts, asOf: string, days: WorkingDayCalendar = calendar()): DueStanding {
  const checking = row.inProgress && row.stage === 'open';
  const closedOn = row.checkedAt ? todayInShanghai(row.checkedAt) : null;
  const late = (due: string) =>
    closedOn !== null && closedOn <= asOf && closedOn > due
      ? { closedLate: true, closedOn }
      : { closedLate: false };
  if (!row.dueProvisional)
    return { overdue: checking && row.dueOn < asOf, provisionalPastDue: false, ...late(row.dueOn) };
  const dueLatest = latestObjectionDue(row.receivedOn, days);
  const overdue = checking && dueLatest.date < asOf;
  return {
    overdue,
    provisionalPastDue: checking && !overdue && row.dueOn < asOf,
    dueLatest,
    ...late(dueLatest.date),
  };
}

/**
 * The latest day beside a provisional due date: `最迟 2026-10-17`, or, once the calendar counts it,
 * `按现有日历为 2026-10-10，待 calendar recompute 确定`.
 */
export function latestDueText(latest: LatestDeadline): string {
  return latest.exact ? `按现有日历为 ${latest.date}，待 calendar recompute 确定` : `最迟 ${latest.date}`;
}
