/**
 * Periods counted as the Civil Code counts them (民法典 Art. 201–202): the starting day is not counted, and a
 * period of months or years ends on the corresponding day of its last month, or on that month's last day when
 * it has no such day (a 1-month period from 01-31 ends on 02-28, or 02-29 in a leap year). Dates are
 * `YYYY-MM-DD` strings, days of the calendar, with no time zone.
 */

/** The last day of a period of `months` months counted from `from` (exclusive of `from` itself). */
export function periodEnd(from: string, months: number): string {
  const [year, month, day] = parts(from);
  const index = year * 12 + (month - 1) + months;
  const endYear = Math.floor(index / 12);
  const endMonth = (index % 12) + 1;
  return isoDate(endYear, endMonth, Math.min(day, daysInMonth(endYear, endMonth)));
}

/** The day after `date`. */
export function nextDay(date: string): string {
  const [year, month, day] = parts(date);
  if (day < daysInMonth(year, month)) return isoDate(year, month, day + 1);
  return month === 12 ? isoDate(year + 1, 1, 1) : isoDate(year, month + 1, 1);
}

/** The later of two dates. */
export function later(a: string, b: string): string {
  return a >= b ? a : b;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether a stored value is a `YYYY-MM-DD` date (what the normalizer makes of a cn-date field). */
export function isIsoDate(value: unknown): value is string {
  return typeof value === 'string' && ISO_DATE.test(value);
}

function parts(date: string): [number, number, number] {
  const match = ISO_DATE.exec(date);
  if (!match) throw new Error(`not a YYYY-MM-DD date: ${date}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
