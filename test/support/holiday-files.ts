import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HolidayYears } from '../../src/calendar/holidays-file.ts';
import { PROJECT_ROOT } from '../../src/config/config.ts';

/** The shipped calendar (config/holidays.json), a fresh copy each call. */
export function shippedHolidays(): HolidayYears {
  return JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'config/holidays.json'), 'utf8')) as HolidayYears;
}

/** A holidays file in `dir` that lacks 2026: rows and dates counted through it are pending or provisional. */
export function holidaysWithout2026(dir: string): string {
  const years = shippedHolidays();
  delete years.years['2026'];
  const file = path.join(dir, 'holidays-without-2026.json');
  writeFileSync(file, JSON.stringify(years));
  return file;
}

/**
 * A holidays file in `dir` with a made-up 2027 (not the official notice): 1–3 January off, and 5 January too, so a
 * deadline counted through it moves.
 */
export function holidaysWithMadeUp2027(dir: string): string {
  const file = path.join(dir, 'holidays-2027.json');
  const made = {
    source: 'test fixture, not the official notice',
    holidays: ['2027-01-01', '2027-01-02', '2027-01-03', '2027-01-05'],
    workdays: [],
  };
  writeFileSync(file, JSON.stringify({ years: { ...shippedHolidays().years, '2027': made } }));
  return file;
}
