import cron, { type ScheduledTask } from 'node-cron';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { calendar, type WorkingDayCalendar } from '../calendar/working-days.ts';
import type { Logger } from '../log/logger.ts';

/** Warn this many days before a year without calendar data begins (the notice usually comes Oct–Dec). */
export const CALENDAR_WARNING_DAYS = 60;

/** A year the holiday calendar lacks, close enough to warn about. */
export interface MissingCalendarYear {
  year: number;
  /** 1 January of that year. */
  startsOn: string;
  /** Days from today until it starts; 0 when it has started already. */
  daysLeft: number;
  /** The holidays file to add it to. */
  file: string;
  /** The warning, for a log line or an alert. */
  message: string;
}

const DAY_MS = 86_400_000;

/**
 * The first year without calendar data that begins within `warningDays` of `today` (YYYY-MM-DD, Shanghai),
 * or undefined. From that day rows load with timeliness pending and notice deadlines are provisional.
 */
export function missingCalendarYearAhead(
  today: string,
  days: WorkingDayCalendar = calendar(),
  warningDays = CALENDAR_WARNING_DAYS,
): MissingCalendarYear | undefined {
  const now = Date.parse(`${today}T00:00:00Z`);
  const horizonYear = new Date(now + warningDays * DAY_MS).getUTCFullYear();
  for (let year = Number(today.slice(0, 4)); year <= horizonYear; year++) {
    if (days.covers(year)) continue;
    const startsOn = `${year}-01-01`;
    const daysLeft = Math.max(0, Math.round((Date.parse(`${startsOn}T00:00:00Z`) - now) / DAY_MS));
    const when = daysLeft === 0 ? `started on ${startsOn}` : `starts in ${daysLeft} day(s), on ${startsOn}`;
    const message =
      `the holiday calendar has no data for ${year} (${when}): from then on rows load with timeliness pending ` +
      `and review-notice deadlines are provisional. Add the State Council holiday notice for ${year} to ` +
      `${days.data.file} (src/calendar/README.md) and run \`credit-etl calendar recompute\` / ` +
      `节假日日历缺少 ${year} 年数据：请补充国务院办公厅 ${year} 年部分节假日安排`;
    return { year, startsOn, daysLeft, file: days.data.file, message };
  }
  return undefined;
}

export interface CalendarWatchOptions {
  logger: Logger;
  /**
   * Called with the missing year whenever the check finds one (at start and daily): the place for the alert
   * channel (mail, SMS, IM) once there is one. The warning is logged whether or not this is given.
   */
  onCalendarYearMissing?: (missing: MissingCalendarYear) => void;
  /** The calendar to check (default: the process's, from the validated holidays file). */
  calendar?: WorkingDayCalendar;
  /** Daily check time, node-cron in Asia/Shanghai (default 08:00). */
  cron?: string;
}

/** Checks calendar coverage now and every day; returns the daily task (stop it with the scheduler). */
export function startCalendarWatch(options: CalendarWatchOptions): ScheduledTask {
  const check = () => {
    const missing = missingCalendarYearAhead(todayInShanghai(), options.calendar ?? calendar());
    if (!missing) return;
    options.logger.warn(missing.message, {
      code: 'calendar-year-missing',
      year: missing.year,
      daysLeft: missing.daysLeft,
    });
    options.onCalendarYearMissing?.(missing);
  };
  check();
  const task = cron.createTask(options.cron ?? '0 8 * * *', check, {
    timezone: 'Asia/Shanghai',
    name: 'calendar-watch',
  });
  void task.start();
  return task;
}
