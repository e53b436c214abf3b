import {
  type Deadline,
  deadlineAfter,
  type LatestDeadline,
  latestDeadlineAfter,
} from './provisional-deadline.ts';
import { calendar, type WorkingDayCalendar } from './working-days.ts';

/** Art. 18: the platform checks an objection and tells the subject "within 3 working days of receipt". */
export const OBJECTION_CHECK_WORKING_DAYS = 3;

/**
 * The day an objection received on `receivedOn` (YYYY-MM-DD) must be answered by: the 3rd working day after
 * the day of receipt on the official calendar (调休 included). The day of receipt does not count (民法典
 * Art. 201: a period counted in days starts the next day), so an objection received on a rest day or holiday
 * counts from the next working day, which is day 1. A due date in or crossing a year without calendar data is
 * counted Monday–Friday there and marked provisional: the objection is registered (and the record marked)
 * whatever the calendar knows, and the officer is warned (objectionReceipt in src/objections/objection-workflow.ts).
 */
export function objectionDue(receivedOn: string, days: WorkingDayCalendar = calendar()): Deadline {
  return deadlineAfter(receivedOn, OBJECTION_CHECK_WORKING_DAYS, days);
}

/**
 * The latest day the due date of an objection received on `receivedOn` can be (latestDeadlineAfter): the due date
 * itself when the calendar now has every year it needs, else its provisional count plus the longest delay the
 * official calendar has ever put on a 3-working-day count. Still open after that day, an objection with a
 * provisional due date is overdue whatever the missing year's notice says.
 */
export function latestObjectionDue(
  receivedOn: string,
  days: WorkingDayCalendar = calendar(),
): LatestDeadline {
  return latestDeadlineAfter(receivedOn, OBJECTION_CHECK_WORKING_DAYS, days);
}
