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
 * hook. The due day itself is not overdue.
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
    counts: { checking, overdue: overdue.length },
    errorsByCode: overdue.length > 0 ? { 'objection-overdue': overdue.length } : {},
    ...(error ? { error } : {}),
  });
  const check: OverdueCheck = { runId, asOf, status, checking, overdue };
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

/** `#3 record 12 (xzcf), received 2026-02-13, due 2026-02-25` */
export function overdueLine(objection: ObjectionRow): string {
  return `#${objection.id} record ${objection.recordId} (${objection.catalogCode}), received ${objection.receivedOn}, due ${objection.dueOn}`;
}
