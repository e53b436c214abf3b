import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HolidayYears } from './holidays-file.ts';
import {
  addWorkingDays,
  CalendarDataError,
  CalendarMissingError,
  calendarYears,
  createCalendar,
  isWorkingDay,
  workingDaysBetween,
} from './working-days.ts';

const configured = JSON.parse(readFileSync('config/holidays.json', 'utf8')) as HolidayYears;

/** Made-up 2027 data added to the configured years; not the official notice. */
const test2027: HolidayYears = {
  years: {
    ...configured.years,
    '2027': {
      source: 'test fixture, not the official notice',
      holidays: ['2027-01-01', '2027-01-02', '2027-01-03', '2027-02-05', '2027-02-08', '2027-02-09'],
      workdays: ['2027-02-06'],
    },
  },
};

describe('2026 Spring Festival (off 02-15…02-23, Saturdays 02-14 and 02-28 worked)', () => {
  it('knows the days off and the adjusted workdays', () => {
    for (const day of ['15', '16', '17', '18', '19', '20', '21', '22', '23']) {
      expect(isWorkingDay(`2026-02-${day}`), day).toBe(false);
    }
    expect(isWorkingDay('2026-02-14')).toBe(true);
    expect(isWorkingDay('2026-02-28')).toBe(true);
    expect(isWorkingDay('2026-02-13')).toBe(true);
    expect(isWorkingDay('2026-02-24')).toBe(true);
  });

  it('counts across the break', () => {
    // 02-13 (Fri), 02-14 (Sat, worked), 02-24, 02-25, 02-26
    expect(workingDaysBetween('2026-02-12', '2026-02-26')).toBe(5);
    expect(addWorkingDays('2026-02-12', 5)).toBe('2026-02-26');
    expect(addWorkingDays('2026-02-13', 1)).toBe('2026-02-14');
    expect(addWorkingDays('2026-02-14', 1)).toBe('2026-02-24');
  });
});

describe('2026 National Day (off 10-01…10-07, Sunday 09-20 and Saturday 10-10 worked)', () => {
  it('knows the days off and the adjusted workdays', () => {
    for (let day = 1; day <= 7; day++) expect(isWorkingDay(`2026-10-0${day}`), String(day)).toBe(false);
    expect(isWorkingDay('2026-09-20')).toBe(true);
    expect(isWorkingDay('2026-10-10')).toBe(true);
    expect(isWorkingDay('2026-10-11')).toBe(false);
  });

  it('counts a 7-working-day deadline across the break', () => {
    // 09-29, 09-30, 10-08, 10-09, 10-10 (Sat, worked), 10-12, 10-13
    expect(addWorkingDays('2026-09-28', 7)).toBe('2026-10-13');
    expect(workingDaysBetween('2026-09-28', '2026-10-13')).toBe(7);
    expect(workingDaysBetween('2026-09-19', '2026-09-21')).toBe(2);
  });
});

describe('counting rules', () => {
  it('counts a plain week as five working days', () => {
    // 2026-03-09 is a Monday
    expect(workingDaysBetween('2026-03-08', '2026-03-15')).toBe(5);
    expect(addWorkingDays('2026-03-06', 5)).toBe('2026-03-13');
    expect(isWorkingDay('2026-03-14')).toBe(false);
  });

  it('does not count the start day', () => {
    expect(workingDaysBetween('2026-03-09', '2026-03-10')).toBe(1);
    expect(workingDaysBetween('2026-03-09', '2026-03-09')).toBe(0);
    expect(addWorkingDays('2026-03-09', 1)).toBe('2026-03-10');
    expect(addWorkingDays('2026-03-09', 0)).toBe('2026-03-09');
  });

  it('is 0 when to is before from', () => {
    expect(workingDaysBetween('2026-03-10', '2026-03-02')).toBe(0);
  });

  it('counts across years, and from a rest day', () => {
    // 2025-12-31 (Wed); 2026-01-01…03 off, 01-04 (Sun) worked
    expect(workingDaysBetween('2025-12-30', '2026-01-05')).toBe(3);
    expect(addWorkingDays('2025-12-30', 2)).toBe('2026-01-04');
    expect(addWorkingDays('2026-02-15', 1)).toBe('2026-02-24');
    // one year of working days from the start of 2025 lands in 2026 and back
    const end = addWorkingDays('2025-01-01', 300);
    expect(workingDaysBetween('2025-01-01', end)).toBe(300);
  });

  it('agrees with a day-by-day count over the whole package range', () => {
    let count = 0;
    let day = '2004-01-01';
    while (day < '2026-12-31') {
      day = addWorkingDays(day, 1);
      count++;
      if (day.endsWith('-06-30')) expect(workingDaysBetween('2004-01-01', day)).toBe(count);
    }
    expect(workingDaysBetween('2004-01-01', day)).toBe(count);
  });

  it('rejects malformed and impossible dates', () => {
    expect(() => isWorkingDay('2026-02-30')).toThrow(RangeError);
    expect(() => isWorkingDay('2026/03/01')).toThrow(RangeError);
    expect(() => addWorkingDays('2026-03-01', -1)).toThrow(RangeError);
    expect(() => addWorkingDays('2026-03-01', 1.5)).toThrow(RangeError);
  });
});

describe('years without data', () => {
  it('covers 2004–2026 from config/holidays.json', () => {
    expect(calendarYears()).toEqual({ from: 2004, to: 2026 });
  });

  it('throws CalendarMissingError for 2027 instead of guessing Mon–Fri', () => {
    expect(() => isWorkingDay('2027-03-01')).toThrow(CalendarMissingError);
    expect(() => workingDaysBetween('2026-12-28', '2027-01-05')).toThrow(CalendarMissingError);
    expect(() => addWorkingDays('2026-12-28', 5)).toThrow(CalendarMissingError);
    expect(() => isWorkingDay('2003-06-02')).toThrow(CalendarMissingError);
    try {
      workingDaysBetween('2027-01-04', '2027-01-04');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CalendarMissingError);
      expect((error as CalendarMissingError).year).toBe(2027);
      expect((error as Error).message).toContain('config/holidays.json');
      expect((error as Error).message).toContain('缺少 2027 年');
    }
  });

  it('still counts up to the last covered day', () => {
    expect(addWorkingDays('2026-12-28', 3)).toBe('2026-12-31');
  });
});

describe('years added to the file', () => {
  const calendar = createCalendar(test2027);

  it('adds a year', () => {
    expect(calendar.calendarYears()).toEqual({ from: 2004, to: 2027 });
    expect(calendar.isWorkingDay('2027-02-05')).toBe(false);
    expect(calendar.isWorkingDay('2027-02-06')).toBe(true);
    // 2026-12-31 (Thu); 2027-01-01…03 off; 01-04 Mon, 01-05 Tue
    expect(calendar.workingDaysBetween('2026-12-30', '2027-01-05')).toBe(3);
    expect(calendar.addWorkingDays('2027-02-04', 2)).toBe('2027-02-10');
    expect(() => calendar.isWorkingDay('2028-01-03')).toThrow(CalendarMissingError);
  });

  it('counts a year exactly as the file lists it', () => {
    const corrected = createCalendar({
      years: { '2026': { source: 'test', holidays: ['2026-03-10'], workdays: [] } },
    });
    expect(corrected.isWorkingDay('2026-03-10')).toBe(false);
    expect(corrected.isWorkingDay('2026-02-16')).toBe(true);
    expect(isWorkingDay('2026-02-16')).toBe(false);
  });

  it('rejects data that would count wrongly, naming the entry', () => {
    const year = (holidays: string[], workdays: string[], source = 'test') => ({
      years: { '2027': { source, holidays, workdays } },
    });
    expect(() => createCalendar(year(['2027-13-01'], []))).toThrow(CalendarDataError);
    expect(() => createCalendar(year(['2028-01-01'], []))).toThrow(
      /years\.2027\.holidays\[0\]: "2028-01-01" is not a real date in 2027/,
    );
    expect(() => createCalendar(year(['2027-02-06'], ['2027-02-06']))).toThrow(/both/);
    expect(() => createCalendar(year([], ['2027-02-08']))).toThrow(/weekday/);
    expect(() => createCalendar(year([], [], ' '))).toThrow(/source/);
    expect(() =>
      createCalendar({
        years: {
          '2026': { source: 'test', holidays: [], workdays: [] },
          '2028': { source: 'test', holidays: [], workdays: [] },
        },
      }),
    ).toThrow(/2027 is missing/);
  });
});
