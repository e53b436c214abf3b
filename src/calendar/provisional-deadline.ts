import type { HolidaysData, HolidayYear } from './holidays-file.ts';
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

/**
 * A deadline counted as `deadlineAfter` would have counted it had the calendar lacked every year from `firstMissing`
 * on (Monday–Friday less the fixed-date holidays there): what a provisional deadline stored when those years were
 * missing says, whatever the calendar holds now. `verify` holds a stored provisional date to one of these.
 */
export function provisionalDeadlineWithout(
  from: string,
  n: number,
  firstMissing: number,
  days: WorkingDayCalendar = calendar(),
): string {
  const years = new Map([...days.data.years].filter(([year]) => year < firstMissing));
  const first = Number(from.slice(0, 4));
  // As deadlineAfter: every year the count can reach that has no data is counted by the rule.
  for (let year = first; year <= first + Math.ceil(n / 240) + 1; year++)
    if (!years.has(year)) years.set(year, fixedDatesOnly(year));
  return createCalendar({ ...days.data, years }, { missingYears: 'weekdays' }).addWorkingDays(from, n);
}

/** The latest a deadline can be: the date itself when the calendar counts it exactly, else a bound (below). */
export interface LatestDeadline {
  date: string;
  /** True: the calendar now has every year the count needs, and this is the deadline itself. */
  exact: boolean;
}

/**
 * The latest day `n` working days after `from` can turn out to be. Counted exactly, the deadline itself. Counted
 * provisionally (a year without the State Council notice), the provisional date plus the longest delay the official
 * calendar has ever put on such a count: over every day of every year the holidays file holds, how many days later
 * the real `n`-th working day fell than the provisional rule says (longestProvisionalDelay). The lunar holidays and
 * 调休 can only move a provisional date within that, unless a year's notice breaks every earlier one's record.
 *
 * Not the earliest possible date: a deadline is surely past only when even its latest possible day is. The
 * provisional count is no lower bound either, but that does not matter here: a 调休 working day can bring the real
 * date earlier (2025-09-26 + 3 = 09-30 with Sunday 09-28 worked, where Monday–Friday less 1–3 October says 10-06),
 * and an extended break later (2026-09-30 + 3 = 10-10, where it says 10-07).
 */
export function latestDeadlineAfter(
  from: string,
  n: number,
  days: WorkingDayCalendar = calendar(),
): LatestDeadline {
  const counted = deadlineAfter(from, n, days);
  if (!counted.provisional) return { date: counted.date, exact: true };
  return { date: addDays(counted.date, longestProvisionalDelay(n, days)), exact: false };
}

const delays = new WeakMap<HolidaysData, Map<number, number>>();

/**
 * The most days the real `n`-th working day after any day of the calendar's years fell later than the provisional
 * rule (Monday–Friday less the fixed-date holidays) puts it: the rule applied to every year the file holds, against
 * the file's own data. Measured once per calendar and `n`. With the shipped file (2004–2026) and n = 3: 10 days,
 * received 2020-01-21, the Spring Festival break extended to 2 February for the epidemic (real 02-03, rule 01-24).
 */
export function longestProvisionalDelay(n: number, days: WorkingDayCalendar = calendar()): number {
  let byCount = delays.get(days.data);
  if (!byCount) {
    byCount = new Map();
    delays.set(days.data, byCount);
  }
  const known = byCount.get(n);
  if (known !== undefined) return known;
  // Day flags over the file's years, as working-days.ts builds them: Monday–Friday, the notice's days off, its
  // 调休 working days last (they win); the rule's: Monday–Friday less the fixed-date holidays. One pass each.
  const covered = [...days.data.years.keys()].sort((a, b) => a - b);
  const first = covered[0];
  const last = covered.at(-1);
  let longest = 0;
  if (first !== undefined && last !== undefined) {
    const start = epochDay(`${first}-01-01`);
    const size = epochDay(`${last + 1}-01-01`) - start;
    const real = new Uint8Array(size);
    const rule = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const weekday = (((start + i + 4) % 7) + 7) % 7;
      const working = weekday === 0 || weekday === 6 ? 0 : 1;
      real[i] = working;
      rule[i] = working;
    }
    for (const [year, lists] of days.data.years) {
      for (const date of lists.holidays) real[epochDay(date) - start] = 0;
      for (const date of lists.workdays) real[epochDay(date) - start] = 1;
      for (const date of fixedDatesOnly(year).holidays) rule[epochDay(date) - start] = 0;
    }
    const realDays = workingIndexes(real);
    const ruleDays = workingIndexes(rule);
    // realBefore[i]: working days among days 0…i; the n-th one after day i is realDays[realBefore[i] + n - 1].
    const realBefore = countsThrough(real);
    const ruleBefore = countsThrough(rule);
    for (let i = 0; i < size; i++) {
      const realDue = realDays[realBefore[i]! + n - 1];
      const ruleDue = ruleDays[ruleBefore[i]! + n - 1];
      // Past the file's last year: the real count is unknown from here on.
      if (realDue === undefined || ruleDue === undefined) break;
      longest = Math.max(longest, realDue - ruleDue);
    }
  }
  byCount.set(n, longest);
  return longest;
}

function workingIndexes(flags: Uint8Array): number[] {
  const indexes: number[] = [];
  flags.forEach((flag, i) => {
    if (flag === 1) indexes.push(i);
  });
  return indexes;
}

function countsThrough(flags: Uint8Array): Uint32Array {
  const counts = new Uint32Array(flags.length);
  let count = 0;
  flags.forEach((flag, i) => {
    count += flag;
    counts[i] = count;
  });
  return counts;
}

const MS_PER_DAY = 86_400_000;

function addDays(date: string, n: number): string {
  return new Date((epochDay(date) + n) * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Days since 1970-01-01 of a valid YYYY-MM-DD (the holidays file's dates are validated when it is read). */
function epochDay(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY);
}
