import { latestObjectionDue } from '../calendar/objection-due.ts';
import { calendar, type WorkingDayCalendar } from '../calendar/working-days.ts';
import type { Logger } from '../log/logger.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  type ObjectionFilter,
  type ObjectionRow,
  objectionRows,
} from '../warehouse/objections-repository.ts';
import { finishRun, startRun } from '../warehouse/runs-repository.ts';
import { dueStanding, latestDueText } from './objection-due-standing.ts';

/** One check for overdue objections, recorded as a run of kind `objection-check`. */
export interface OverdueCheck {
  runId: number;
  /** The day checked (YYYY-MM-DD, Asia/Shanghai): an objection due before it and still open is overdue. */
  asOf: string;
  /** `failed` when any objection is overdue: raised like a failed load. */
  status: 'completed' | 'failed';
  checking: number;
  /** Past the due date as settled, or past even the latest day a provisional one can be (objection-due-standing.ts). */
  overdue: ObjectionRow[];
  /**
   * Still open after a provisional due date (counted Monday–Friday through a year without calendar data) but not
   * after the latest day it can be: not overdue, since the date may move once the year is added (`calendar
   * recompute`), but said, with the fix.
   */
  provisional: ObjectionRow[];
}

/**
 * Called with every check that found overdue objections: the place for the alert channel (mail, SMS, IM) once
 * there is one. The failed run and the error in the log exist whether or not it is given.
 */
export type ObjectionsOverdueHook = (check: OverdueCheck) => void;

/**
 * The objections overdue on `asOf` (also narrowed by `filter`), oldest first: those past their due date as settled
 * (SQL), and those with a provisional due date past even the latest day it can be (the calendar's, dueStanding);
 * and apart, those only past their provisional date. A past `asOf` judges each as it stood at the end of that day.
 */
export async function overdueObjections(
  warehouse: Warehouse,
  asOf: string,
  filter: Omit<ObjectionFilter, 'overdueOn' | 'checkingProvisionalOn'> = {},
  days: WorkingDayCalendar = calendar(),
): Promise<{ overdue: ObjectionRow[]; provisional: ObjectionRow[] }> {
  const settled = await objectionRows(warehouse, { ...filter, overdueOn: asOf });
  const provisionalDue = await objectionRows(warehouse, { ...filter, checkingProvisionalOn: asOf });
  const surely: ObjectionRow[] = [];
  const provisional: ObjectionRow[] = [];
  for (const row of provisionalDue) {
    const standing = dueStanding(row, asOf, days);
    if (standing.overdue) surely.push(row);
    else if (standing.provisionalPastDue) provisional.push(row);
  }
  return { overdue: [...settled, ...surely].sort((a, b) => a.id - b.id), provisional };
}

/**
 * Art. 18: the platform answers within 3 working days of receipt. An objection whose check is still open after
 * its due day is a failure of the platform, so it is raised like a failed run: a run of kind `objection-check`
 * with status `failed` naming each overdue objection (`runs list`, `runs show`), an error in the log, and the
 * hook. The due day itself is not overdue. A provisional due date is raised only once even the latest day it can
 * be is past (objection-due-standing.ts): counted Monday–Friday, it falls inside a holiday as often as not, and an
 * officer is not told he is late on a guess, but an objection weeks past any date the calendar could give is late
 * whatever the notice says (counts.overdueProvisional). One only past its provisional date is warned of with the
 * fix (counts.provisionalPastDue).
 */
export async function checkOverdueObjections(
  warehouse: Warehouse,
  asOf: string,
  logger: Logger,
  onOverdue?: ObjectionsOverdueHook,
  days: WorkingDayCalendar = calendar(),
): Promise<OverdueCheck> {
  const runId = await startRun(warehouse, 'objection-check', { asOf });
  // A past --as-of judges each objection as it stood at the end of that day (a check closed since was still
  // awaited then) and counts only what had been received by then.
  const checking = (await objectionRows(warehouse, { status: 'open', asOf })).length;
  const { overdue, provisional } = await overdueObjections(warehouse, asOf, {}, days);
  const overdueProvisional = overdue.filter((row) => row.dueProvisional).length;
  const status = overdue.length > 0 ? 'failed' : 'completed';
  const error =
    overdue.length > 0
      ? maskPersonalText(
          `${overdue.length} objection(s) not answered within 3 working days (Art. 18) as of ${asOf}: ` +
            overdue.map((row) => lineOf(row, days)).join('; '),
        )
      : undefined;
  await finishRun(warehouse, runId, {
    status,
    counts: { checking, overdue: overdue.length, overdueProvisional, provisionalPastDue: provisional.length },
    errorsByCode: overdue.length > 0 ? { 'objection-overdue': overdue.length } : {},
    ...(error ? { error } : {}),
  });
  const check: OverdueCheck = { runId, asOf, status, checking, overdue, provisional };
  if (provisional.length > 0)
    logger.warn(maskPersonalText(`objection-check: run ${runId}: ${provisionalWarning(provisional, days)}`), {
      runId,
      code: 'objection-due-provisional',
      objections: provisional.map((objection) => objection.id),
    });
  if (error) {
    logger.error(`objection-check: run ${runId} failed: ${error}`, {
      runId,
      code: 'objection-overdue',
      objections: overdue.map((objection) => objection.id),
    });
    onOverdue?.(check);
  } else
    logger.info(`objection-check: run ${runId} completed: no objection overdue as of ${asOf}`, { runId });
  return check;
}

/**
 * `#3 record 12 (xzcf), received 2026-02-13, due 2026-02-25`; a provisional one with the latest day it can be:
 * `due 2026-10-07 暂定（最迟 2026-10-17）`.
 */
export function overdueLine(objection: ObjectionRow): string {
  return lineOf(objection, calendar());
}

function lineOf(objection: ObjectionRow, days: WorkingDayCalendar): string {
  const provisional = objection.dueProvisional
    ? ` 暂定（${latestDueText(latestObjectionDue(objection.receivedOn, days))}）`
    : '';
  return `#${objection.id} record ${objection.recordId} (${objection.catalogCode}), received ${objection.receivedOn}, due ${objection.dueOn}${provisional}`;
}

/** What the check says of objections past a provisional due date: not overdue, and how to settle the date. */
export function provisionalWarning(
  objections: readonly ObjectionRow[],
  days: WorkingDayCalendar = calendar(),
): string {
  return (
    `${objections.length} 件异议已过暂定核查期限（工作日日历缺少该年数据，暂按周一至周五（除元旦、劳动节、国庆节）计算），` +
    `最迟期限未到，未计为逾期：录入该年日历后运行 credit-etl calendar recompute 重算 (past a provisional due date ` +
    `but not the latest it can be, not counted overdue: add the year to the holidays file and run ` +
    `\`credit-etl calendar recompute\`): ` +
    objections.map((row) => lineOf(row, days)).join('; ')
  );
}
