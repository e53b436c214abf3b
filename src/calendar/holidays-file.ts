import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The holiday calendar is configuration: operators add a year when the State Council publishes it. */
export const DEFAULT_HOLIDAYS_FILE = 'config/holidays.json';
export const HOLIDAYS_FILE_VARIABLE = 'CREDIT_ETL_HOLIDAYS_FILE';

/** One year of the State Council notice (国务院办公厅关于部分节假日安排的通知). */
export interface HolidayYear {
  /** Where the dates come from: the notice's title and number, or its URL. */
  source: string;
  /** Days off (放假), weekends inside a holiday break included. */
  holidays: string[];
  /** Weekend days worked in exchange (调休上班). */
  workdays: string[];
}

/** The file's content: every year the calendar knows. Format: src/calendar/README.md. */
export interface HolidayYears {
  years: Record<string, HolidayYear>;
}

/** The validated calendar data and where it came from (the recompute log names both). */
export interface HolidaysData {
  /** The file read, as given; `(inline)` for data built in code. */
  file: string;
  /** First 12 hex digits of the file's SHA-256: which version of the calendar a result was computed with. */
  version: string;
  years: ReadonlyMap<number, HolidayYear>;
}

/** The calendar data is wrong: a configuration error (exit 2), fixed by editing the file it names. */
export class CalendarDataError extends Error {
  override readonly name = 'CalendarDataError';
}

/** `CREDIT_ETL_HOLIDAYS_FILE`, else `config/holidays.json` under the project root. */
export function holidaysFilePath(env: NodeJS.ProcessEnv, projectRoot: string): string {
  const value = env[HOLIDAYS_FILE_VARIABLE]?.trim();
  return value ? path.resolve(value) : path.join(projectRoot, DEFAULT_HOLIDAYS_FILE);
}

/** Reads and validates the holidays file; every mistake names the file, the entry and what is wrong. */
export function readHolidaysFile(file: string): HolidaysData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CalendarDataError(
      `${file}: cannot read the holiday calendar (${(error as Error).message}); set ${HOLIDAYS_FILE_VARIABLE} ` +
        `or restore ${DEFAULT_HOLIDAYS_FILE}`,
    );
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (error) {
    throw new CalendarDataError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const version = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return { file, version, years: validateYears(content, file) };
}

/** Validates calendar data given in code (tests, one-off tools). */
export function holidaysData(content: HolidayYears, file = '(inline)'): HolidaysData {
  const version = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 12);
  return { file, version, years: validateYears(content, file) };
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

function validateYears(content: unknown, file: string): Map<number, HolidayYear> {
  const fail = (where: string, message: string): never => {
    throw new CalendarDataError(`${file}: ${where}: ${message} (format: src/calendar/README.md)`);
  };
  const years = (content as { years?: unknown } | null)?.years;
  if (typeof years !== 'object' || years === null || Array.isArray(years))
    return fail('"years"', 'must be an object of years, e.g. {"2027": {"source": …}}');
  const result = new Map<number, HolidayYear>();
  for (const [key, value] of Object.entries(years as Record<string, unknown>)) {
    const where = `years.${key}`;
    if (!/^\d{4}$/.test(key)) fail(where, 'the year must be four digits');
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      fail(where, 'must be an object with "source", "holidays" and "workdays"');
    const entry = value as Partial<Record<string, unknown>>;
    if (typeof entry.source !== 'string' || entry.source.trim() === '')
      fail(`${where}.source`, 'must name the notice the dates come from');
    const dates = (field: 'holidays' | 'workdays'): string[] => {
      const list = entry[field];
      if (!Array.isArray(list)) return fail(`${where}.${field}`, 'must be a list of YYYY-MM-DD dates');
      list.forEach((date: unknown, i) => {
        if (typeof date !== 'string' || !isRealDate(date) || !date.startsWith(`${key}-`))
          fail(`${where}.${field}[${i}]`, `${JSON.stringify(date)} is not a real date in ${key}`);
      });
      return list as string[];
    };
    const holidays = dates('holidays');
    const workdays = dates('workdays');
    const off = new Set(holidays);
    workdays.forEach((date, i) => {
      if (off.has(date))
        fail(`${where}.workdays[${i}]`, `${date} is listed both as a holiday and as a workday`);
      if (!isWeekendDate(date))
        fail(`${where}.workdays[${i}]`, `${date} is a weekday already; list only 调休 weekend days`);
    });
    result.set(Number(key), { source: entry.source as string, holidays, workdays });
  }
  const sorted = [...result.keys()].sort((a, b) => a - b);
  if (sorted.length === 0) fail('"years"', 'lists no year');
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    if (sorted[i] !== previous + 1)
      fail(`years.${sorted[i]}`, `years must be contiguous: ${previous + 1} is missing before ${sorted[i]}`);
  }
  return result;
}

function isRealDate(date: string): boolean {
  const match = DATE_PATTERN.exec(date);
  if (!match) return false;
  const [, y, m, d] = match;
  const time = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  // Date.UTC rolls 02-30 over to 03-02: the round trip catches impossible dates.
  return time.toISOString().slice(0, 10) === date;
}

function isWeekendDate(date: string): boolean {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday === 0 || weekday === 6;
}
