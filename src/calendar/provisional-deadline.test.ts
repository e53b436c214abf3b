import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HolidayYears } from './holidays-file.ts';
import { deadlineAfter } from './provisional-deadline.ts';
import { createCalendar } from './working-days.ts';

const configured = JSON.parse(readFileSync('config/holidays.json', 'utf8')) as HolidayYears;
/** Made-up 2027 data (1–3 January off); not the official notice. */
const with2027 = createCalendar({
  years: {
    ...configured.years,
    '2027': { source: 'test fixture', holidays: ['2027-01-01', '2027-01-02', '2027-01-03'], workdays: [] },
  },
});

describe('review-notice deadlines', () => {
  it('are exact inside covered years', () => {
    // 2026-09-25 (Fri), across National Day and the 10-10 调休: 2026-10-12.
    expect(deadlineAfter('2026-09-25', 7)).toEqual({ date: '2026-10-12', provisional: false });
  });

  it('cross into a year without data counted Mon–Fri and marked provisional', () => {
    // 12-25, 28, 29, 30, 31, 01-01 (Fri, counted), 01-04.
    expect(deadlineAfter('2026-12-24', 7)).toEqual({ date: '2027-01-04', provisional: true });
  });

  it('are exact again once the year is added', () => {
    // 12-25, 28, 29, 30, 31, [01-01 off], 01-04, 01-05.
    expect(deadlineAfter('2026-12-24', 7, with2027)).toEqual({ date: '2027-01-05', provisional: false });
  });
});
