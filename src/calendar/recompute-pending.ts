import os from 'node:os';
import { type DecidedPair, withRecomputeTransaction } from '../warehouse/calendar-recomputes-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { deadlineAfter } from './provisional-deadline.ts';
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
}

/**
 * The named procedure that settles what waited for calendar data: pending timeliness flags (`late` NULL) and
 * provisional notice deadlines, counted with `days`. One transaction; lineage changes only as migration 008's
 * trigger allows (a pending flag becoming decided), and the run is logged with who ran it and which calendar.
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
    if (decided.length > 0) {
      const updated = await recompute.decidePending(decided);
      if (updated !== timeliness.decided)
        throw new Error(`recompute: updated ${updated} pending rows, expected ${timeliness.decided}`);
    }

    const notices = await recompute.provisionalNotices();
    const deadlines = {
      decided: 0,
      moved: 0,
      stillProvisional: 0,
      changes: [] as RecomputeResult['deadlines']['changes'],
    };
    for (const notice of notices) {
      const deadline = deadlineAfter(notice.issued_on, notice.working_days, days);
      if (deadline.provisional) {
        deadlines.stillProvisional++;
        continue;
      }
      await recompute.settleDeadline(notice.id, deadline.date);
      deadlines.decided++;
      if (deadline.date !== notice.deadline) {
        deadlines.moved++;
        deadlines.changes.push({ noticeId: Number(notice.id), from: notice.deadline, to: deadline.date });
      }
    }

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
    });
    return {
      id,
      calendar: { file: days.data.file, version: days.data.version, from, to },
      timeliness,
      deadlines,
    };
  });
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
