import { CalendarMissingError, calendarYears, workingDaysBetween } from '../calendar/working-days.ts';

/** Art. 10: information is due within 7 working days of its formation. */
export const DEADLINE_WORKING_DAYS = 7;

export interface Timeliness {
  late: boolean;
  /** Working days from formation to receipt; undefined when the formation date predates the calendar. */
  workingDays: number | undefined;
}

/**
 * Timeliness of rows, memoized per (formation date, received date): many rows share both. A received date in
 * a year without calendar data throws CalendarMissingError — never a Mon–Fri guess. `unitReceivedDate` is
 * checked at once, so a missing calendar fails the unit before its first row, not on row 1,000,000.
 */
export function timelinessChecker(
  unitReceivedDate: string,
): (formationDate: string, receivedDate: string) => Timeliness {
  workingDaysBetween(unitReceivedDate, unitReceivedDate);
  const firstYear = calendarYears().from;
  // By received date, then formation date: no key string to build per row (nearly all rows share one received date).
  const memo = new Map<string, Map<string, Timeliness>>();
  return (formationDate, receivedDate) => {
    let byFormation = memo.get(receivedDate);
    if (!byFormation) {
      byFormation = new Map();
      memo.set(receivedDate, byFormation);
    }
    let result = byFormation.get(formationDate);
    if (result) return result;
    if (formationDate >= receivedDate) {
      result = { late: false, workingDays: 0 };
    } else if (Number(formationDate.slice(0, 4)) < firstYear) {
      // Formed before the calendar starts and received within it: certainly years late, count unknown.
      workingDaysBetween(receivedDate, receivedDate);
      result = { late: true, workingDays: undefined };
    } else {
      const workingDays = workingDaysBetween(formationDate, receivedDate);
      result = { late: workingDays > DEADLINE_WORKING_DAYS, workingDays };
    }
    byFormation.set(formationDate, result);
    return result;
  };
}

export { CalendarMissingError };
