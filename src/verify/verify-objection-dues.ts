import { OBJECTION_CHECK_WORKING_DAYS, objectionDue } from '../calendar/objection-due.ts';
import {
  type Deadline,
  deadlineAfter,
  provisionalDeadlineWithout,
} from '../calendar/provisional-deadline.ts';
import { calendar, type WorkingDayCalendar } from '../calendar/working-days.ts';
import { isRealIsoDate } from '../normalize/parse-date.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type OpenObjectionDueRow, openCheckDues } from '../warehouse/objection-due-integrity-repository.ts';
import type { RecordFinding, VerifyScope } from './integrity-finding.ts';

/** A provisional due date the calendar now counts exactly: `calendar recompute` has not settled it yet. */
export interface UnsettledDue {
  objectionId: number;
  recordId: number;
  receivedOn: string;
  /** The provisional date as registered. */
  dueOn: string;
  /** What the calendar gives now, and `calendar recompute` would settle. */
  exactDueOn: string;
}

export interface ObjectionDueCheck {
  /** Due dates of open checks recomputed (a settled one is verify-timeliness.ts's). */
  dues: number;
  /** Verification notices of open checks whose answer deadline was recomputed. */
  notices: number;
  findings: RecordFinding[];
  unsettled: UnsettledDue[];
}

/** Why a stored date and the calendar's can differ: the finding says both. */
const EITHER =
  'either it was written wrongly (the database stores the date its caller counted) or the holiday file changed after it was counted';

/**
 * Art. 18's deadlines of every objection whose platform check is still open, recomputed with the holiday calendar
 * as the engine counted them: the due date registered with it (objectionDue from its receipt: 3 working days) and
 * its verification notice's answer deadline (deadlineAfter from the notice's issue day and working days). The
 * database cannot count working days, so it stores whatever date its caller hands it, and a holiday file corrected
 * since changes what the dates should be: nothing else would notice. A difference is `objection-due-differs`.
 *
 * A provisional date (counted through a year without calendar data) must be what the provisional rule gives with
 * some year on missing (Monday–Friday less the fixed-date holidays there); the calendar's exact date is not held
 * against it. A provisional due date the calendar now counts exactly is no defect, only not settled yet: it is
 * returned apart (`unsettled`), for a warning that says to run `calendar recompute`. A notice's provisional deadline
 * stands as issued (the letter carries it; `calendar recompute` does not change it). A due date `calendar recompute`
 * settled is verify-timeliness.ts's; a check no longer open has no deadline left to keep.
 */
export async function verifyObjectionDues(
  warehouse: Warehouse,
  scope: VerifyScope,
  days: WorkingDayCalendar = calendar(),
  pageSize = 1_000,
): Promise<ObjectionDueCheck> {
  const check: ObjectionDueCheck = { dues: 0, notices: 0, findings: [], unsettled: [] };
  const calendarName = `${days.data.file} (version ${days.data.version})`;
  for await (const row of openCheckDues(warehouse, scope, pageSize)) {
    const finding = (detail: string): RecordFinding => ({
      recordId: row.recordId,
      catalogCode: row.catalogCode,
      businessKey: row.businessKey,
      catalogVersion: row.keyCatalogVersion,
      versionNo: null,
      problem: 'objection-due-differs',
      detail: `objection ${row.id}, received ${row.receivedOn}: ${detail}`,
    });
    if (!row.settled) {
      check.dues += 1;
      const problem = dueProblem(row, days, calendarName);
      if (problem) check.findings.push(finding(problem));
      else if (row.dueProvisional) {
        const counted = objectionDue(row.receivedOn, days);
        if (!counted.provisional)
          check.unsettled.push({
            objectionId: row.id,
            recordId: row.recordId,
            receivedOn: row.receivedOn,
            dueOn: row.dueOn,
            exactDueOn: counted.date,
          });
      }
    }
    if (row.notice) {
      check.notices += 1;
      const problem = noticeProblem(row.notice, days, calendarName);
      if (problem) check.findings.push(finding(`verification notice (step ${row.noticeStep}): ${problem}`));
    }
  }
  return check;
}

/** What is wrong with the due date registered with an objection, if anything. */
function dueProblem(
  row: OpenObjectionDueRow,
  days: WorkingDayCalendar,
  calendarName: string,
): string | undefined {
  const counted = objectionDue(row.receivedOn, days);
  if (row.dueProvisional) {
    const rule = provisionalCounts(row.receivedOn, OBJECTION_CHECK_WORKING_DAYS, days);
    if (rule.includes(row.dueOn)) return undefined;
    return (
      `provisional due date ${row.dueOn}, but the provisional rule (Monday–Friday less 1 January, 1–2 May, 1–3 ` +
      `October in a year without data) gives ${rule.join(' or ')} with ${calendarName}` +
      `${counted.provisional ? '' : `, and the calendar now gives ${counted.date}`}: ${EITHER}; objection check and list judge it by the stored date`
    );
  }
  if (!counted.provisional && counted.date === row.dueOn) return undefined;
  return (
    `due date ${row.dueOn} (3 working days), ${calendarName} gives ${describe(counted)}: ${EITHER}; ` +
    'objection check and list judge it by the stored date'
  );
}

/** What is wrong with a verification notice's answer deadline as logged, if anything. */
function noticeProblem(
  notice: Record<string, unknown>,
  days: WorkingDayCalendar,
  calendarName: string,
): string | undefined {
  const { issuedOn, workingDays, deadline, provisional } = notice;
  if (
    typeof issuedOn !== 'string' ||
    !isRealIsoDate(issuedOn) ||
    typeof deadline !== 'string' ||
    !isRealIsoDate(deadline) ||
    typeof workingDays !== 'number' ||
    !Number.isSafeInteger(workingDays) ||
    workingDays < 0
  )
    return `logged as ${JSON.stringify({ issuedOn, workingDays, deadline })}: no deadline can be recomputed from it`;
  const counted = deadlineAfter(issuedOn, workingDays, days);
  const what = `answer deadline ${deadline} (${workingDays} working days after ${issuedOn}`;
  if (provisional === true) {
    const rule = provisionalCounts(issuedOn, workingDays, days);
    if (rule.includes(deadline)) return undefined;
    return `${what}, provisional), but the provisional rule gives ${rule.join(' or ')} with ${calendarName}: ${EITHER}`;
  }
  if (!counted.provisional && counted.date === deadline) return undefined;
  return `${what}), ${calendarName} gives ${describe(counted)}: ${EITHER}; its status (overdue or not) is counted from the logged date`;
}

/**
 * What a provisional count from `from` may have said: the rule applied from each year the count can reach on (the
 * first year the calendar lacked when it was counted is not stored; the years before it are the calendar's).
 */
function provisionalCounts(from: string, n: number, days: WorkingDayCalendar): string[] {
  const first = Number(from.slice(0, 4));
  const counts = new Set<string>();
  for (let year = first; year <= first + Math.ceil(n / 240) + 1; year++)
    counts.add(provisionalDeadlineWithout(from, n, year, days));
  return [...counts];
}

function describe(counted: Deadline): string {
  return counted.provisional
    ? `only a provisional ${counted.date} (a year it needs is not in the calendar)`
    : counted.date;
}
