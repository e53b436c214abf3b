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

  it('cross into a year without data counted Mon–Fri less the fixed-date holidays, marked provisional', () => {
    // 12-25, 28, 29, 30, 31, [01-01 元旦 (Fri) off], 01-04, 01-05.
    expect(deadlineAfter('2026-12-24', 7)).toEqual({ date: '2027-01-05', provisional: true });
  });

  it('skip 1–2 May and 1–3 October of a year without data', () => {
    // 2028-04-28 (Fri): [05-01 Mon, 05-02 Tue off], 05-03, 05-04.
    expect(deadlineAfter('2028-04-28', 2)).toEqual({ date: '2028-05-04', provisional: true });
    // 2027-09-29 (Wed): 09-30, [10-01 Fri off], 10-04 (Mon).
    expect(deadlineAfter('2027-09-29', 2)).toEqual({ date: '2027-10-04', provisional: true });
    // 2029-09-28 (Fri): [10-01 Mon, 10-02 Tue, 10-03 Wed off], 10-04, 10-05.
    expect(deadlineAfter('2029-09-28', 2)).toEqual({ date: '2029-10-05', provisional: true });
  });

  it('count the fixed-date holidays of every missing year a long count crosses', () => {
    // 2027 has 261 weekdays; 01-01 and 10-01 (Fri) are off (05-01/02, 10-02/03 fall on weekends): 259 working
    // days, so the 260th after 2026-12-31 is the first of 2028 (01-01 Sat, 01-02 Sun): 01-03 (Mon).
    // Monday–Friday alone it would be 2027-12-30.
    expect(deadlineAfter('2026-12-31', 260)).toEqual({ date: '2028-01-03', provisional: true });
  });

  it('are exact again once the year is added', () => {
    // 12-25, 28, 29, 30, 31, [01-01 off], 01-04, 01-05.
    expect(deadlineAfter('2026-12-24', 7, with2027)).toEqual({ date: '2027-01-05', provisional: false });
  });
});
