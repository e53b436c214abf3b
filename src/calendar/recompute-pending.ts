import os from 'node:os';
import { type DecidedPair, withRecomputeTransaction } from '../warehouse/calendar-recomputes-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { objectionDue } from './objection-due.ts';
import { type Deadline, deadlineAfter } from './provisional-deadline.ts';
import { timelinessOf } from './timeliness.ts';
import type { WorkingDayCalendar } from './working-days.ts';

/** What one recompute settled, as logged in `calendar_recomputes` and printed by `credit-etl calendar recompute`. */
export interface RecomputeResult {
  /** The `calendar_recomputes` row. */
  id: number;
  calendar: { file: string; version: string; from: number; to: number };
  timeliness: {
    /** Pending rows now decided. */
    decided: number;
    /** Of those, late. */
    late: number;
    /** Still pending: their year is still missing. */
    stillPending: number;
  };
  deadlines: {
    /** Provisional deadlines now counted with the real calendar. */
    decided: number;
    /** Of those, the ones whose date changed (a holiday in the period). */
    moved: number;
    stillProvisional: number;
    changes: { noticeId: number; from: string; to: string }[];
  };
  /** Provisional objection due dates (Art. 18's 3 working days), settled by a step in each one's log. */
  objectionDues: {
    decided: number;
    moved: number;
    stillProvisional: number;
    changes: { objectionId: number; from: string; to: string }[];
  };
}

/**
 * The named procedure that settles what waited for calendar data: pending timeliness flags (`late` NULL),
 * provisional notice deadlines and provisional objection due dates, counted with `days`. One transaction; lineage
 * changes only as migration 008's trigger allows (a pending flag becoming decided), an objection's due date only by
 * a step in its log that names this recompute (038), and the run is logged with who ran it and which calendar:
 * first, so those steps can name it.
 */
export async function recomputePending(
  warehouse: Warehouse,
  days: WorkingDayCalendar,
  ranBy: string = whoRuns(),
): Promise<RecomputeResult> {
  return withRecomputeTransaction(warehouse, async (recompute) => {
    // Pending rows share few (formation, received) pairs: each is counted once, then written set-based.
    const pairs = await recompute.pendingPairs();
    const decided: DecidedPair[] = [];
    const timeliness = { decided: 0, late: 0, stillPending: 0 };
    for (const pair of pairs) {
      const result = timelinessOf(pair.formation, pair.received, days);
      if (result.late === undefined) {
        timeliness.stillPending += pair.rows;
        continue;
      }
      decided.push({
        formation: pair.formation,
        received: pair.received,
        late: result.late,
        working_days: result.workingDays ?? null,
      });
      timeliness.decided += pair.rows;
      if (result.late) timeliness.late += pair.rows;
    }

    const notices = recount(
      await recompute.provisionalNotices(),
      (notice) => notice.deadline,
      (notice) => deadlineAfter(notice.issued_on, notice.working_days, days),
    );
    const deadlines = {
      ...notices.tally,
      changes: notices.moved.map(({ item, from, to }) => ({ noticeId: Number(item.id), from, to })),
    };
    const dues = recount(
      await recompute.provisionalObjections(),
      (objection) => objection.due_on,
      (objection) => objectionDue(objection.received_on, days),
    );
    const objectionDues = {
      ...dues.tally,
      changes: dues.moved.map(({ item, from, to }) => ({ objectionId: Number(item.id), from, to })),
    };

    const { from, to } = days.calendarYears();
    const id = await recompute.logRecompute({
      ran_by: ranBy,
      calendar_file: days.data.file,
      calendar_version: days.data.version,
      calendar_years: `${from}–${to}`,
      timeliness_decided: timeliness.decided,
      timeliness_late: timeliness.late,
      timeliness_still_pending: timeliness.stillPending,
      deadlines_decided: deadlines.decided,
      deadlines_moved: deadlines.moved,
      deadlines_still_provisional: deadlines.stillProvisional,
      objection_dues_decided: objectionDues.decided,
      objection_dues_moved: objectionDues.moved,
      objection_dues_still_provisional: objectionDues.stillProvisional,
    });

    if (decided.length > 0) {
      const updated = await recompute.decidePending(decided);
      if (updated !== timeliness.decided)
        throw new Error(`recompute: updated ${updated} pending rows, expected ${timeliness.decided}`);
    }
    for (const { item, to } of notices.settled) await recompute.settleDeadline(item.id, to);
    for (const { item, from, to } of dues.settled)
      await recompute.settleObjectionDue(item.id, {
        dueOn: to,
        recomputeId: id,
        operator: ranBy,
        basis: `calendar recompute ${id}（${days.data.file}，版本 ${days.data.version}）`,
        note:
          to === from
            ? `暂定核查期限 ${from} 按工作日日历确定，不变`
            : `暂定核查期限 ${from} 按工作日日历重算为 ${to}`,
      });
    return {
      id,
      calendar: { file: days.data.file, version: days.data.version, from, to },
      timeliness,
      deadlines,
      objectionDues,
    };
  });
}

/** Provisional dates counted again with the calendar: the ones settled now (and of those, moved), the rest still provisional. */
function recount<T>(items: readonly T[], was: (item: T) => string, now: (item: T) => Deadline) {
  const settled: { item: T; from: string; to: string }[] = [];
  let stillProvisional = 0;
  for (const item of items) {
    const date = now(item);
    if (date.provisional) stillProvisional++;
    else settled.push({ item, from: was(item), to: date.date });
  }
  const moved = settled.filter(({ from, to }) => from !== to);
  return { settled, moved, tally: { decided: settled.length, moved: moved.length, stillProvisional } };
}

/** user@host of the process, for the log row; a container without a passwd entry still gets a name. */
function whoRuns(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.LOGNAME ?? `uid-${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${os.hostname()}`;
}
