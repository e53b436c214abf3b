import { CalendarMissingError, calendar, createCalendar, type WorkingDayCalendar } from './working-days.ts';

/** A deadline counted in working days; `provisional` when a year it crosses had no calendar data. */
export interface Deadline {
  date: string;
  /** Counted Monday–Friday through a year without the State Council notice: recomputed once it is added. */
  provisional: boolean;
}

/**
 * `n` working days after `from` (start day not counted). A deadline is a date a letter must carry today, so a
 * missing year does not stop it: it is counted Monday–Friday there and marked provisional, and
 * `credit-etl calendar recompute` sets the real date once the year is added.
 */
export function deadlineAfter(from: string, n: number, days: WorkingDayCalendar = calendar()): Deadline {
  try {
    return { date: days.addWorkingDays(from, n), provisional: false };
  } catch (error) {
    if (!(error instanceof CalendarMissingError)) throw error;
    const weekdays = createCalendar(days.data, { missingYears: 'weekdays' });
    return { date: weekdays.addWorkingDays(from, n), provisional: true };
  }
}
