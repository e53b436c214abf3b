import { daysInMonth } from '../../connectors/days-in-month.ts';

/**
 * Dates as providers type them — `2026-03-05`, `2026/3/5`, `2026.3.5`, `2026年3月5日`, `20260305`, with or
 * without a time part — become `YYYY-MM-DD`. Impossible dates keep the ISO shape (`2025-02-30`) so the
 * validator can say exactly what is wrong; an impossible time (`24:61`) leaves the text unchanged, so the
 * validator rejects the cell instead of the time being dropped unseen; anything else is returned unchanged.
 */
const SEPARATED =
  /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2})(?:\.\d+)?)?)?$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;

export function toIsoDate(text: string): string {
  const match = SEPARATED.exec(text) ?? COMPACT.exec(text);
  if (!match) return text;
  const [, year, month, day, hour, minute, second] = match as unknown as [
    string,
    string,
    string,
    string,
    ...(string | undefined)[],
  ];
  if (hour !== undefined && !isRealTime(Number(hour), Number(minute), Number(second ?? 0))) return text;
  return `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
}

/** 00:00:00–23:59:59; a leap second (:60) is not accepted, as no provider system records one. */
export function isRealTime(hour: number, minute: number, second = 0): boolean {
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

/** The first year a date is read from: a day before it was a real day, refused as too early, not as unreal. */
const FIRST_YEAR = 1900;

/**
 * Why `YYYY-MM-DD` is not a real day (`month 13 does not exist`, `2026-02 has 28 days`), or undefined when it
 * is. For messages that name the fault; rows use isRealIsoDate.
 */
export function isoDateProblem(text: string): string | undefined {
  if (!ISO_DATE.test(text)) return 'use YYYY-MM-DD';
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 7);
  const day = digitsAt(text, 8, 10);
  if (year < FIRST_YEAR) return `years before ${FIRST_YEAR} are not accepted`;
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return `${text.slice(0, 7)} has ${days} days`;
  return undefined;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Why a command's date option is refused, in the words of the CLI's usage errors (`<flag> <value> …: use …`), or
 * undefined when it names a day that is read. `day` is the date part of `text` as typed (a date-time option's),
 * `what` what the option takes, `fix` what to give instead. A day before 1900 was a real day and is told so:
 * `--from 0001-01-01 is too early (dates before 1900 are not accepted): use a date from 1900-01-01 on`; any other
 * fault `--from 2026-02-30 is not a real date (2026-02 has 28 days): use e.g. 2026-10-01`.
 */
export function dateOptionProblem(
  flag: string,
  text: string,
  fix: string,
  { day = text, what = 'a real date' }: { day?: string; what?: string } = {},
): string | undefined {
  const problem = isoDateProblem(day);
  if (problem === undefined) return undefined;
  if (ISO_DATE.test(day) && digitsAt(day, 0, 4) < FIRST_YEAR)
    return (
      `${flag} ${text} is too early (dates before ${FIRST_YEAR} are not accepted): ` +
      `use a date from ${FIRST_YEAR}-01-01 on`
    );
  return `${flag} ${text} is not ${what} (${problem}): ${fix}`;
}

/** The number written by the ASCII digits `text[start..end)` (the caller has checked they are digits). */
function digitsAt(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
}

/**
 * True for a `YYYY-MM-DD` string naming a real calendar day. Called several times per date cell (format,
 * x-notFuture, formation date), so it reads the digits in place and asks no Date object.
 */
export function isRealIsoDate(text: string): boolean {
  if (!ISO_DATE.test(text)) return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 7);
  const day = digitsAt(text, 8, 10);
  if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}
