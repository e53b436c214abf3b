import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { recordingLogger } from '../../test/support/recording-logger.ts';
import { type HolidayYears, readHolidaysFile } from '../calendar/holidays-file.ts';
import { createCalendar } from '../calendar/working-days.ts';
import { type MissingCalendarYear, missingCalendarYearAhead, startCalendarWatch } from './calendar-watch.ts';

const configured = JSON.parse(readFileSync('config/holidays.json', 'utf8')) as HolidayYears;
const through2026 = createCalendar(readHolidaysFile('config/holidays.json'));
const through2027 = createCalendar({
  years: { ...configured.years, '2027': { source: 'test fixture', holidays: [], workdays: [] } },
});

describe('warning before a year without calendar data', () => {
  it('is silent up to 61 days before the year starts', () => {
    expect(missingCalendarYearAhead('2026-11-01', through2026)).toBeUndefined();
  });

  it('warns from 60 days before (2026-11-02 when 2027 is missing), naming the year and the file', () => {
    expect(missingCalendarYearAhead('2026-11-02', through2026)).toMatchObject({
      year: 2027,
      startsOn: '2027-01-01',
      daysLeft: 60,
      file: 'config/holidays.json',
    });
    expect(missingCalendarYearAhead('2026-12-31', through2026)?.daysLeft).toBe(1);
  });

  it('keeps warning once the year has started', () => {
    expect(missingCalendarYearAhead('2027-01-04', through2026)).toMatchObject({ year: 2027, daysLeft: 0 });
  });

  it('stops once the year is added', () => {
    expect(missingCalendarYearAhead('2026-11-02', through2027)).toBeUndefined();
  });

  it('at watch start: a log line and the alert hook', async () => {
    const { lines, logger } = recordingLogger();
    const alerts: MissingCalendarYear[] = [];
    // A calendar ending in 2024 lacks the current year (the check runs on the real clock).
    const through2024 = createCalendar({
      years: Object.fromEntries(Object.entries(configured.years).filter(([key]) => Number(key) <= 2024)),
    });
    const task = startCalendarWatch({
      logger,
      calendar: through2024,
      onCalendarYearMissing: (missing) => alerts.push(missing),
    });
    await task.destroy();
    const thisYear = Number(todayInShanghai().slice(0, 4));
    expect(alerts).toMatchObject([{ year: thisYear, daysLeft: 0 }]);
    expect(lines.join('')).toContain(`the holiday calendar has no data for ${thisYear}`);
  });
});
