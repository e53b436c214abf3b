import type { Logger } from '../log/logger.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type ObjectionRow, objectionRows } from '../warehouse/objections-repository.ts';
import { finishRun, startRun } from '../warehouse/runs-repository.ts';

/** One check for overdue objections, recorded as a run of kind `objection-check`. */
export interface OverdueCheck {
  runId: number;
  /** The day checked (YYYY-MM-DD, Asia/Shanghai): an objection due before it and still open is overdue. */
  asOf: string;
  /** `failed` when any objection is overdue: raised like a failed load. */
  status: 'completed' | 'failed';
  checking: number;
  overdue: ObjectionRow[];
  /**
   * Still open after a provisional due date (counted Monday–Friday through a year without calendar data): not
   * overdue, since the date may move once the year is added (`calendar recompute`), but said, with the fix.
   */
  provisional: ObjectionRow[];
}

/**
 * Called with every check that found overdue objections: the place for the alert channel (mail, SMS, IM) once
 * there is one. The failed run and the error in the log exist whether or not it is given.
 */
export type ObjectionsOverdueHook = (check: OverdueCheck) => void;

/**
 * Art. 18: the platform answers within 3 working days of receipt. An objection whose check is still open after
 * its due day is a failure of the platform, so it is raised like a failed run: a run of kind `objection-check`
 * with status `failed` naming each overdue objection (`runs list`, `runs show`), an error in the log, and the
 * hook. The due day itself is not overdue. A provisional due date raises nothing: counted Monday–Friday, it falls
 * inside a holiday as often as not, and an officer is not told he is late on a guess; a warning names each one past
 * its provisional date and says how to settle it (counts.provisionalPastDue).
 */
export async function checkOverdueObjections(
  warehouse: Warehouse,
  asOf: string,
  logger: Logger,
  onOverdue?: ObjectionsOverdueHook,
): Promise<OverdueCheck> {
  const runId = await startRun(warehouse, 'objection-check', { asOf });
  // A past --as-of judges each objection as it stood at the end of that day (a check closed since was still
  // awaited then) and counts only what had been received by then.
  const checking = (await objectionRows(warehouse, { status: 'open', asOf })).length;
  const overdue = await objectionRows(warehouse, { overdueOn: asOf });
  const provisional = await objectionRows(warehouse, { provisionalPastDueOn: asOf });
  const status = overdue.length > 0 ? 'failed' : 'completed';
  const error =
    overdue.length > 0
      ? maskPersonalText(
          `${overdue.length} objection(s) not answered within 3 working days (Art. 18) as of ${asOf}: ` +
            overdue.map(overdueLine).join('; '),
        )
      : undefined;
  await finishRun(warehouse, runId, {
    status,
    counts: { checking, overdue: overdue.length, provisionalPastDue: provisional.length },
    errorsByCode: overdue.length > 0 ? { 'objection-overdue': overdue.length } : {},
    ...(error ? { error } : {}),
  });
  const check: OverdueCheck = { runId, asOf, status, checking, overdue, provisional };
  if (provisional.length > 0)
    logger.warn(maskPersonalText(`objection-check: run ${runId}: ${provisionalWarning(provisional)}`), {
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

/** `#3 record 12 (xzcf), received 2026-02-13, due 2026-02-25` (`due 2026-10-05 暂定` for a provisional one) */
export function overdueLine(objection: ObjectionRow): string {
  return `#${objection.id} record ${objection.recordId} (${objection.catalogCode}), received ${objection.receivedOn}, due ${objection.dueOn}${objection.dueProvisional ? ' 暂定' : ''}`;
}

/** What the check says of objections past a provisional due date: not overdue, and how to settle the date. */
export function provisionalWarning(objections: readonly ObjectionRow[]): string {
  return (
    `${objections.length} 件异议已过暂定核查期限（工作日日历缺少该年数据，暂按周一至周五（除元旦、劳动节、国庆节）计算），未计为逾期：` +
    `录入该年日历后运行 credit-etl calendar recompute 重算 (past a provisional due date, not counted overdue: ` +
    `add the year to the holidays file and run \`credit-etl calendar recompute\`): ` +
    objections.map(overdueLine).join('; ')
  );
}
