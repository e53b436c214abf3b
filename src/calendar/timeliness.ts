import { CalendarMissingError, calendar, type WorkingDayCalendar } from './working-days.ts';

/** Art. 10: information is due within 7 working days of its formation. */
export const DEADLINE_WORKING_DAYS = 7;

export interface Timeliness {
  /**
   * Received more than DEADLINE_WORKING_DAYS working days after formation. `undefined`: pending — a year
   * between formation and receipt has no calendar data yet and the deadline is not behind the receipt without
   * it; `credit-etl calendar recompute` decides it later.
   */
  late: boolean | undefined;
  /**
   * Working days from formation to receipt; undefined when pending, or late but not countable (formed before the
   * calendar starts, or received in a year it lacks).
   */
  workingDays: number | undefined;
}

const PENDING: Timeliness = { late: undefined, workingDays: undefined };

/**
 * Timeliness of one row. Timeliness is a flag, not a gate: a year without calendar data (the State Council
 * notice not typed in yet) makes it pending, never stops the row, and never guesses Mon–Fri.
 */
export function timelinessOf(
  formationDate: string,
  receivedDate: string,
  days: WorkingDayCalendar = calendar(),
): Timeliness {
  // Formed the day it was received: on time. Formed after it: no row the loader accepts (the formation date is
  // `x-notFuture`, held to the day received: `date-in-future`); answered, not thrown, for a row stored before that
  // check, which verify names (verify-timeliness.ts).
  if (formationDate >= receivedDate) return { late: false, workingDays: 0 };
  // Formed before the calendar starts: certainly years late, count unknown.
  if (Number(formationDate.slice(0, 4)) < days.calendarYears().from) return CERTAINLY_LATE;
  try {
    const workingDays = days.workingDaysBetween(formationDate, receivedDate);
    return { late: workingDays > DEADLINE_WORKING_DAYS, workingDays };
  } catch (error) {
    if (!(error instanceof CalendarMissingError)) throw error;
    return lateBeforeTheGap(formationDate, receivedDate, days) ? CERTAINLY_LATE : PENDING;
  }
}

const CERTAINLY_LATE: Timeliness = { late: true, workingDays: undefined };

/**
 * Received in a year without data, but after the first day that is late (the 8th working day after formation)
 * where the calendar still knows it: late whatever the missing year holds, only the count waits. A row formed in
 * October 2026 and sent in January 2027 is not pending.
 */
function lateBeforeTheGap(formationDate: string, receivedDate: string, days: WorkingDayCalendar): boolean {
  try {
    return days.addWorkingDays(formationDate, DEADLINE_WORKING_DAYS + 1) <= receivedDate;
  } catch (error) {
    if (error instanceof CalendarMissingError) return false;
    throw error;
  }
}

/** Timeliness of rows, memoized per (formation date, received date): many rows share both. */
export function timelinessChecker(
  days: WorkingDayCalendar = calendar(),
): (formationDate: string, receivedDate: string) => Timeliness {
  // By received date, then formation date: no key string to build per row (nearly all rows share one received date).
  const memo = new Map<string, Map<string, Timeliness>>();
  return (formationDate, receivedDate) => {
    let byFormation = memo.get(receivedDate);
    if (!byFormation) {
      byFormation = new Map();
      memo.set(receivedDate, byFormation);
    }
    let result = byFormation.get(formationDate);
    if (!result) {
      result = timelinessOf(formationDate, receivedDate, days);
      byFormation.set(formationDate, result);
    }
    return result;
  };
}

/** The warning of a unit or run whose rows' timeliness waits for calendar data (run log and summary). */
export function pendingTimelinessWarning(rows: number, days: WorkingDayCalendar = calendar()): string {
  const { to } = days.calendarYears();
  return (
    `timeliness pending for ${rows} row(s): the holiday calendar (${days.data.file}) ends in ${to}. The rows are ` +
    `loaded; add the State Council holiday notice for ${to + 1} and run \`credit-etl calendar recompute\` to set ` +
    `their late flags / ${rows} 行的及时性待定：节假日日历只到 ${to} 年，数据已入库；补充 ${to + 1} 年节假日安排后运行 ` +
    '`credit-etl calendar recompute` 重新计算是否迟报'
  );
}
