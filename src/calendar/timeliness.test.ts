import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HolidayYears } from './holidays-file.ts';
import { timelinessOf } from './timeliness.ts';
import { createCalendar } from './working-days.ts';

/** The shipped calendar: 2026 is its last year, 2027 is missing. */
const shipped = createCalendar(JSON.parse(readFileSync('config/holidays.json', 'utf8')) as HolidayYears);

describe('timeliness received in a year the calendar lacks', () => {
  it('is late when the first late day lies in a known year before the receipt', () => {
    // Formed Thu 2026-12-10: working days 12-11, 14, 15, 16, 17, 18, 21 (the 7th), so 12-22 is late.
    expect(timelinessOf('2026-12-10', '2027-01-04', shipped)).toEqual({ late: true, workingDays: undefined });
    expect(timelinessOf('2026-10-09', '2027-03-01', shipped)).toEqual({ late: true, workingDays: undefined });
  });

  it('is pending when the first late day falls in the missing year', () => {
    // Formed 2026-12-22: the 7th working day is 12-31, the 8th is in January 2027.
    expect(timelinessOf('2026-12-22', '2027-01-04', shipped)).toEqual({
      late: undefined,
      workingDays: undefined,
    });
    // Formed 2026-12-21: the 8th working day is 12-31, so a receipt in January is late.
    expect(timelinessOf('2026-12-21', '2027-01-04', shipped)).toEqual({ late: true, workingDays: undefined });
  });

  it('counts as before inside known years', () => {
    expect(timelinessOf('2026-12-10', '2026-12-21', shipped)).toEqual({ late: false, workingDays: 7 });
    expect(timelinessOf('2026-12-10', '2026-12-22', shipped)).toEqual({ late: true, workingDays: 8 });
  });

  it('is late, uncounted, when formed before the calendar starts, whatever year the receipt falls in', () => {
    const from = shipped.calendarYears().from;
    expect(timelinessOf(`${from - 1}-06-01`, '2027-01-04', shipped)).toEqual({
      late: true,
      workingDays: undefined,
    });
  });
});
