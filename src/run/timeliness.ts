import { CalendarMissingError, calendarYears, workingDaysBetween } from '../calendar/working-days.ts';

/** Art. 10: information is due within 7 working days of its formation. */
export const DEADLINE_WORKING_DAYS = 7;

export interface Timeliness {
  late: boolean;
  /** Working days from formation to receipt; undefined when the formation date predates the calendar. */
  workingDays: number | undefined;
}

/**
 * Timeliness of rows received on one day, memoized per formation date (many rows share one). The received
 * date must lie in a year with calendar data: otherwise CalendarMissingError, never a Mon–Fri guess.
 */
export function timelinessOn(receivedDate: string): (formationDate: string) => Timeliness {
  workingDaysBetween(receivedDate, receivedDate); // throws CalendarMissingError now, not on row 1,000,000
  const firstYear = calendarYears().from;
  const memo = new Map<string, Timeliness>();
  return (formationDate) => {
    let result = memo.get(formationDate);
    if (result) return result;
    if (formationDate >= receivedDate) {
      result = { late: false, workingDays: 0 };
    } else if (Number(formationDate.slice(0, 4)) < firstYear) {
      // Formed before the calendar starts and received within it: certainly years late, count unknown.
      result = { late: true, workingDays: undefined };
    } else {
      const workingDays = workingDaysBetween(formationDate, receivedDate);
      result = { late: workingDays > DEADLINE_WORKING_DAYS, workingDays };
    }
    memo.set(formationDate, result);
    return result;
  };
}

export { CalendarMissingError };
