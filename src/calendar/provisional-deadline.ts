import type { HolidayYear } from './holidays-file.ts';
import { CalendarMissingError, calendar, createCalendar, type WorkingDayCalendar } from './working-days.ts';

/** A deadline counted in working days; `provisional` when a year it crosses had no calendar data. */
export interface Deadline {
  date: string;
  /**
   * Counted through a year without the State Council notice Monday–Friday less the fixed-date statutory holidays:
   * recomputed once the year is added.
   */
  provisional: boolean;
}

/**
 * The statutory holidays that fall on the same dates every year (全国年节及纪念日放假办法, 2024 revision in force
 * since 2025-01-01: 元旦 1 day, 劳动节 2 days, 国庆节 3 days). The lunar ones (春节, 清明节, 端午节, 中秋节) and
 * every 调休 are known only from the year's notice.
 */
const FIXED_HOLIDAYS = ['01-01', '05-01', '05-02', '10-01', '10-02', '10-03'] as const;

/** A year without its notice as far as can be known: the fixed-date holidays off, no 调休. */
function fixedDatesOnly(year: number): HolidayYear {
  return {
    source: 'provisional: fixed-date statutory holidays only (no State Council notice for this year)',
    holidays: FIXED_HOLIDAYS.map((day) => `${year}-${day}`),
    workdays: [],
  };
}

/**
 * `n` working days after `from` (start day not counted). A deadline is a date a letter must carry today, so a
 * missing year does not stop it: it is counted there Monday–Friday without the fixed-date holidays (1 January,
 * 1–2 May, 1–3 October) and marked provisional, and `credit-etl calendar recompute` sets the real date once the
 * year is added. The real date is never earlier than that count unless a 调休 workday falls inside it.
 */
export function deadlineAfter(from: string, n: number, days: WorkingDayCalendar = calendar()): Deadline {
  try {
    return { date: days.addWorkingDays(from, n), provisional: false };
  } catch (error) {
    if (!(error instanceof CalendarMissingError)) throw error;
    // Every year the count can reach: at most one year per 240 working days (fewer than 261 weekdays less 6).
    const years = new Map(days.data.years);
    const first = Number(from.slice(0, 4));
    for (let year = first; year <= first + Math.ceil(n / 240) + 1; year++) {
      if (!years.has(year)) years.set(year, fixedDatesOnly(year));
    }
    const provisional = createCalendar({ ...days.data, years }, { missingYears: 'weekdays' });
    return { date: provisional.addWorkingDays(from, n), provisional: true };
  }
}
