import packageData from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import overrideFile from './holiday-overrides.json' with { type: 'json' };

/** Where operators add the State Council holiday notice for a year the package lacks (format: README.md here). */
export const HOLIDAY_OVERRIDE_FILE = 'src/calendar/holiday-overrides.json';

/** One year of the State Council notice (国务院办公厅关于部分节假日安排的通知). */
export interface YearOverride {
  /** Where the dates come from: the notice's title and number, or its URL. */
  source: string;
  /** Days off (放假), weekends inside a holiday break included. */
  holidays: string[];
  /** Weekend days worked in exchange (调休上班). */
  workdays: string[];
}

/** The override file: a year listed here replaces the package's data for that whole year. */
export interface HolidayOverrides {
  years: Record<string, YearOverride>;
}

export class CalendarMissingError extends Error {
  override readonly name = 'CalendarMissingError';
  constructor(
    readonly year: number,
    known: { from: number; to: number },
  ) {
    super(
      `no working-day calendar for ${year} (calendar data covers ${known.from}–${known.to}): add the State Council ` +
        `holiday notice for ${year} (holidays and adjusted workdays) to ${HOLIDAY_OVERRIDE_FILE}, format in ` +
        `src/calendar/README.md / 缺少 ${year} 年的工作日日历（现有 ${known.from}–${known.to} 年）：请将国务院办公厅 ` +
        `${year} 年部分节假日安排通知中的放假日期和调休上班日期补充到 ${HOLIDAY_OVERRIDE_FILE}`,
    );
  }
}

/** The override data itself is wrong: a configuration error, fixed by editing the file. */
export class CalendarDataError extends Error {
  override readonly name = 'CalendarDataError';
}

export interface WorkingDayCalendar {
  isWorkingDay(date: string): boolean;
  /** Working days after `from` up to and including `to`; 0 when `to` <= `from`. Both must lie in covered years. */
  workingDaysBetween(from: string, to: string): number;
  /** The date `n` (≥ 0) working days after `from`; `from` itself when n = 0. */
  addWorkingDays(from: string, n: number): string;
  calendarYears(): { from: number; to: number };
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

/**
 * The package's years, read from its published JSON rather than through its functions: those answer Mon–Fri
 * for any date outside their data, and the JSON's keys tell which years it really has.
 */
const PACKAGE_YEARS: ReadonlyMap<number, DayLists> = (() => {
  const byYear = new Map<number, { holidays: string[]; workdays: string[] }>();
  const add = (dates: Record<string, string>, kind: 'holidays' | 'workdays') => {
    for (const date of Object.keys(dates)) {
      const year = Number(date.slice(0, 4));
      let lists = byYear.get(year);
      if (!lists) {
        lists = { holidays: [], workdays: [] };
        byYear.set(year, lists);
      }
      lists[kind].push(date);
    }
  };
  const data = packageData as { holidays: Record<string, string>; workdays: Record<string, string> };
  add(data.holidays, 'holidays');
  add(data.workdays, 'workdays');
  return byYear;
})();

export function createCalendar(overrides: HolidayOverrides = { years: {} }): WorkingDayCalendar {
  const sources = new Map<number, DayLists>(PACKAGE_YEARS);
  for (const [year, lists] of readOverrides(overrides)) sources.set(year, lists);
  const years = [...sources.keys()].sort((a, b) => a - b);
  const span = { from: years[0] ?? 0, to: years.at(-1) ?? -1 };
  for (let i = 1; i < years.length; i++) {
    const previous = years[i - 1]!;
    if (years[i] !== previous + 1) {
      throw new CalendarDataError(
        `${HOLIDAY_OVERRIDE_FILE}: calendar years must be contiguous, ${previous + 1} is missing before ${years[i]}`,
      );
    }
  }

  const tables = new Map<number, YearTable>();
  // Bounded: only dates in covered years are remembered (a few thousand at most).
  const refs = new Map<string, DayRef>();

  function tableFor(year: number): YearTable {
    let table = tables.get(year);
    if (!table) {
      const lists = sources.get(year);
      if (!lists) throw new CalendarMissingError(year, span);
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
  };
}

let defaultCalendar: WorkingDayCalendar | undefined;

/** The package's data plus the override file, built on first use. */
export function calendar(): WorkingDayCalendar {
  defaultCalendar ??= createCalendar(overrideFile as HolidayOverrides);
  return defaultCalendar;
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

function readOverrides(overrides: HolidayOverrides): Map<number, DayLists> {
  const result = new Map<number, DayLists>();
  const fail = (message: string): never => {
    throw new CalendarDataError(`${HOLIDAY_OVERRIDE_FILE}: ${message} (format: src/calendar/README.md)`);
  };
  const years: unknown = overrides?.years;
  if (typeof years !== 'object' || years === null || Array.isArray(years))
    return fail('"years" must be an object');
  for (const [key, value] of Object.entries(years as Record<string, unknown>)) {
    if (!/^\d{4}$/.test(key)) fail(`year key "${key}" must be four digits`);
    const year = Number(key);
    const entry = (typeof value === 'object' && value !== null ? value : {}) as Partial<
      Record<string, unknown>
    >;
    if (typeof entry.source !== 'string' || entry.source.trim() === '') {
      fail(`${key}: "source" must name the notice the dates come from`);
    }
    const dates = (field: 'holidays' | 'workdays'): string[] => {
      const list = entry[field];
      if (!Array.isArray(list)) return fail(`${key}: "${field}" must be a list of YYYY-MM-DD dates`);
      for (const date of list) {
        if (typeof date !== 'string' || !isValidDate(date) || !date.startsWith(`${key}-`)) {
          fail(`${key}: "${field}" holds ${JSON.stringify(date)}, not a date in ${key}`);
        }
      }
      return list as string[];
    };
    const holidays = dates('holidays');
    const workdays = dates('workdays');
    const off = new Set(holidays);
    for (const date of workdays) {
      if (off.has(date)) fail(`${key}: ${date} is listed both as a holiday and as a workday`);
      if (!isWeekend(parseDate(date)))
        fail(`${key}: workday ${date} is a weekday already; list only 调休 weekend days`);
    }
    result.set(year, { holidays, workdays });
  }
  return result;
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

function isValidDate(date: string): boolean {
  try {
    parseDate(date);
    return true;
  } catch {
    return false;
  }
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
