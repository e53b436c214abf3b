import { PROJECT_ROOT } from '../../connectors/project-root.ts';
import {
  CalendarDataError,
  type HolidaysData,
  type HolidayYears,
  holidaysData,
  holidaysFilePath,
  readHolidaysFile,
} from './holidays-file.ts';

export { CalendarDataError };

export class CalendarMissingError extends Error {
  override readonly name = 'CalendarMissingError';
  constructor(
    readonly year: number,
    known: { from: number; to: number },
    file: string,
  ) {
    super(
      `no working-day calendar for ${year} (calendar data covers ${known.from}–${known.to}): add the State Council ` +
        `holiday notice for ${year} (holidays and adjusted workdays) to ${file}, format in src/calendar/README.md, ` +
        `then run \`credit-etl calendar recompute\` / 缺少 ${year} 年的工作日日历（现有 ${known.from}–${known.to} 年）：` +
        `请将国务院办公厅 ${year} 年部分节假日安排通知中的放假日期和调休上班日期补充到 ${file}`,
    );
  }
}

export interface WorkingDayCalendar {
  isWorkingDay(date: string): boolean;
  /** Working days after `from` up to and including `to`; 0 when `to` <= `from`. Both must lie in covered years. */
  workingDaysBetween(from: string, to: string): number;
  /** The date `n` (≥ 0) working days after `from`; `from` itself when n = 0. */
  addWorkingDays(from: string, n: number): string;
  calendarYears(): { from: number; to: number };
  /** Whether the calendar has the State Council notice for `year`. */
  covers(year: number): boolean;
  /** Where the data came from and which version of it (recompute log, `calendar show`). */
  readonly data: HolidaysData;
}

export interface CalendarOptions {
  /**
   * `weekdays`: a year without data counts Monday–Friday as working days. Only for results that are labelled
   * provisional and recomputed later (review-notice deadlines); never for timeliness.
   */
  missingYears?: 'throw' | 'weekdays';
}

interface DayLists {
  holidays: readonly string[];
  workdays: readonly string[];
}

/** One year as flags plus running counts, so any count inside a year is one subtraction. */
interface YearTable {
  year: number;
  /** Days since 1970-01-01 (UTC) of 1 January. */
  firstDay: number;
  working: Uint8Array;
  /** before[i] = working days among the year's days 0…i-1; length days + 1. */
  before: Uint16Array;
}

interface DayRef {
  table: YearTable;
  index: number;
}

const MS_PER_DAY = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar over validated data (readHolidaysFile / holidaysData), or over plain years for tests. */
export function createCalendar(
  source: HolidaysData | HolidayYears,
  options: CalendarOptions = {},
): WorkingDayCalendar {
  const data = 'version' in source ? source : holidaysData(source);
  const sources: ReadonlyMap<number, DayLists> = data.years;
  const years = [...sources.keys()].sort((a, b) => a - b);
  const span = { from: years[0] ?? 0, to: years.at(-1) ?? -1 };
  const weekdaysOnly: DayLists = { holidays: [], workdays: [] };

  const tables = new Map<number, YearTable>();
  // Bounded: only dates in covered years are remembered (a few thousand at most).
  const refs = new Map<string, DayRef>();

  function tableFor(year: number): YearTable {
    let table = tables.get(year);
    if (!table) {
      let lists = sources.get(year);
      if (!lists && options.missingYears === 'weekdays') lists = weekdaysOnly;
      if (!lists) throw new CalendarMissingError(year, span, data.file);
      table = buildYear(year, lists);
      tables.set(year, table);
    }
    return table;
  }

  function locate(date: string): DayRef {
    let ref = refs.get(date);
    if (!ref) {
      const day = parseDate(date);
      const table = tableFor(yearOf(day));
      ref = { table, index: day - table.firstDay };
      refs.set(date, ref);
    }
    return ref;
  }

  return {
    isWorkingDay(date) {
      const { table, index } = locate(date);
      return table.working[index] === 1;
    },

    workingDaysBetween(from, to) {
      const start = locate(from);
      const end = locate(to);
      if (end.table.firstDay + end.index <= start.table.firstDay + start.index) return 0;
      // Counts days in (from, to]: before[i + 1] includes day i.
      if (start.table === end.table)
        return end.table.before[end.index + 1]! - start.table.before[start.index + 1]!;
      let count = start.table.before[start.table.working.length]! - start.table.before[start.index + 1]!;
      for (let year = start.table.year + 1; year < end.table.year; year++) {
        const table = tableFor(year);
        count += table.before[table.working.length]!;
      }
      return count + end.table.before[end.index + 1]!;
    },

    addWorkingDays(from, n) {
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new RangeError(`addWorkingDays: n must be a whole number ≥ 0, got ${n}`);
      }
      const start = locate(from);
      if (n === 0) return from;
      let table = start.table;
      let index = start.index + 1;
      let remaining = n;
      for (;;) {
        const days = table.working.length;
        const available = table.before[days]! - table.before[index]!;
        if (available >= remaining) {
          // The smallest day i with before[i + 1] reaching the target is the n-th working day.
          const target = table.before[index]! + remaining;
          let low = index;
          let high = days - 1;
          while (low < high) {
            const middle = (low + high) >>> 1;
            if (table.before[middle + 1]! >= target) high = middle;
            else low = middle + 1;
          }
          return formatDate(table.firstDay + low);
        }
        remaining -= available;
        table = tableFor(table.year + 1);
        index = 0;
      }
    },

    calendarYears() {
      return { ...span };
    },

    covers(year) {
      return sources.has(year);
    },

    data,
  };
}

let processCalendar: WorkingDayCalendar | undefined;

/**
 * The calendar of this process: the one installed at command start (useCalendar, from the validated
 * configuration), else the holidays file named by the environment, read on first use.
 */
export function calendar(): WorkingDayCalendar {
  processCalendar ??= createCalendar(readHolidaysFile(holidaysFilePath(process.env, PROJECT_ROOT)));
  return processCalendar;
}

/** Installs the calendar the engine counts with (command start; tests that add a year). */
export function useCalendar(next: WorkingDayCalendar): void {
  processCalendar = next;
}

/** Reads and validates the holidays file named by `env` (default config/holidays.json). */
export function loadCalendar(env: NodeJS.ProcessEnv = process.env): WorkingDayCalendar {
  return createCalendar(readHolidaysFile(holidaysFilePath(env, PROJECT_ROOT)));
}

export function isWorkingDay(date: string): boolean {
  return calendar().isWorkingDay(date);
}

export function workingDaysBetween(from: string, to: string): number {
  return calendar().workingDaysBetween(from, to);
}

export function addWorkingDays(from: string, n: number): string {
  return calendar().addWorkingDays(from, n);
}

export function calendarYears(): { from: number; to: number } {
  return calendar().calendarYears();
}

function buildYear(year: number, lists: DayLists): YearTable {
  const firstDay = Date.UTC(year, 0, 1) / MS_PER_DAY;
  const days = Date.UTC(year + 1, 0, 1) / MS_PER_DAY - firstDay;
  const working = new Uint8Array(days);
  for (let i = 0; i < days; i++) working[i] = isWeekend(firstDay + i) ? 0 : 1;
  for (const date of lists.holidays) working[parseDate(date) - firstDay] = 0;
  // Applied last so a 调休 workday wins, as in the package itself.
  for (const date of lists.workdays) working[parseDate(date) - firstDay] = 1;
  const before = new Uint16Array(days + 1);
  for (let i = 0; i < days; i++) before[i + 1] = before[i]! + working[i]!;
  return { year, firstDay, working, before };
}

/** Days since 1970-01-01 for a YYYY-MM-DD string, computed in UTC so the process time zone cannot shift it. */
function parseDate(date: string): number {
  const match = DATE_PATTERN.exec(date);
  if (match) {
    const [, y, m, d] = match;
    const time = Date.UTC(Number(y), Number(m) - 1, Number(d));
    // Date.UTC rolls 02-30 over to 03-02: a round trip catches impossible dates.
    if (formatDate(time / MS_PER_DAY) === date) return time / MS_PER_DAY;
  }
  throw new RangeError(
    `invalid date ${JSON.stringify(date)}: expected YYYY-MM-DD / 日期无效，应为 YYYY-MM-DD`,
  );
}

function formatDate(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

function yearOf(day: number): number {
  return new Date(day * MS_PER_DAY).getUTCFullYear();
}

function isWeekend(day: number): boolean {
  // 1970-01-01 was a Thursday (4).
  const weekday = (((day + 4) % 7) + 7) % 7;
  return weekday === 0 || weekday === 6;
}
