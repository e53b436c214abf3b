import type { Knex } from 'knex';
import type { Warehouse } from './connect-warehouse.ts';
import { appendObjectionStep } from './objection-log-repository.ts';

/** Pending lineage rows (`late` NULL) sharing one formation date and one received day. */
export interface PendingPair {
  formation: string;
  received: string;
  rows: number;
}

/** The timeliness now decided for one pending pair. */
export interface DecidedPair {
  formation: string;
  received: string;
  late: boolean;
  working_days: number | null;
}

export interface ProvisionalNotice {
  id: number;
  issued_on: string;
  working_days: number;
  deadline: string;
}

/** An objection whose due date is provisional and not yet settled (038). */
export interface ProvisionalObjection {
  id: number;
  received_on: string;
  due_on: string;
}

/** A provisional due date settled: the objection log's note step that says so (038). */
export interface DueSettlement {
  dueOn: string;
  /** The `calendar_recomputes` row of this transaction: the step must name it. */
  recomputeId: number;
  operator: string;
  basis: string;
  note: string;
}

/** A `calendar_recomputes` row: who ran it, with which calendar, and what it settled. */
export interface RecomputeLog {
  ran_by: string;
  calendar_file: string;
  calendar_version: string;
  calendar_years: string;
  timeliness_decided: number;
  timeliness_late: number;
  timeliness_still_pending: number;
  deadlines_decided: number;
  deadlines_moved: number;
  deadlines_still_provisional: number;
  objection_dues_decided: number;
  objection_dues_moved: number;
  objection_dues_still_provisional: number;
}

/** What a recompute does in its one transaction. */
export interface RecomputeTransaction {
  /** Pending rows share few (formation, received) pairs: each is counted once. */
  pendingPairs(): Promise<PendingPair[]>;
  /** Writes the decided pairs set-based; returns how many lineage rows changed. */
  decidePending(decided: DecidedPair[]): Promise<number>;
  /** Notices with a provisional deadline, locked until the transaction ends. */
  provisionalNotices(): Promise<ProvisionalNotice[]>;
  settleDeadline(noticeId: number, deadline: string): Promise<void>;
  /**
   * Objections with a provisional due date not yet settled. Takes the objection log's lock (its trigger's) until the
   * transaction ends, so two recomputes do not settle one twice.
   */
  provisionalObjections(): Promise<ProvisionalObjection[]>;
  /** Appends the step that settles an objection's due date (the objection row never changes). */
  settleObjectionDue(objectionId: number, settlement: DueSettlement): Promise<void>;
  /** Logs the recompute; returns its id. Written before what it settles: an objection's step names it. */
  logRecompute(log: RecomputeLog): Promise<number>;
}

/**
 * Runs a recompute in one transaction. Lineage changes only as migration 008's trigger allows (a pending flag
 * becoming decided), and only inside a transaction that says it is a recompute.
 */
export async function withRecomputeTransaction<T>(
  warehouse: Warehouse,
  work: (transaction: RecomputeTransaction) => Promise<T>,
): Promise<T> {
  return warehouse.transaction(async (trx) => {
    await trx.raw(`SET LOCAL credit_etl.timeliness_recompute = 'on'`);
    return work(recomputeTransaction(trx));
  });
}

function recomputeTransaction(trx: Knex.Transaction): RecomputeTransaction {
  return {
    async pendingPairs() {
      const { rows } = await trx.raw<{ rows: PendingPair[] }>(
        `SELECT pending_formation_date AS formation, (received_at AT TIME ZONE 'Asia/Shanghai')::date AS received,
                count(*)::int AS rows
         FROM record_sources WHERE late IS NULL GROUP BY 1, 2`,
      );
      return rows;
    },
    async decidePending(decided) {
      const updated = await trx.raw<{ rowCount: number | null }>(
        `UPDATE record_sources s SET late = v.late, working_days = v.working_days
         FROM jsonb_to_recordset(?::jsonb) AS v(formation date, received date, late boolean, working_days int)
         WHERE s.late IS NULL AND s.pending_formation_date = v.formation
           AND (s.received_at AT TIME ZONE 'Asia/Shanghai')::date = v.received`,
        [JSON.stringify(decided)],
      );
      return updated.rowCount ?? 0;
    },
    async provisionalNotices() {
      return trx('notices')
        .where({ provisional: true })
        .orderBy('id')
        .forUpdate()
        .select<ProvisionalNotice[]>('id', 'issued_on', 'working_days', 'deadline');
    },
    async settleDeadline(noticeId, deadline) {
      await trx('notices').where({ id: noticeId }).update({ deadline, provisional: false });
    },
    async provisionalObjections() {
      await trx.raw(`SELECT pg_advisory_xact_lock(hashtext('credit-etl:objection-log'))`);
      const { rows } = await trx.raw<{ rows: ProvisionalObjection[] }>(
        `SELECT o.id, o.received_on, o.due_on FROM objections o
         WHERE o.due_provisional AND NOT EXISTS (
           SELECT 1 FROM objection_log l WHERE l.objection_id = o.id AND l.action = 'note' AND l.detail->>'due' = 'settled')
         ORDER BY o.id`,
      );
      return rows;
    },
    async settleObjectionDue(objectionId, settlement) {
      await appendObjectionStep(trx, objectionId, {
        action: 'note',
        basis: settlement.basis,
        note: settlement.note,
        operator: settlement.operator,
        detail: { due: 'settled', dueOn: settlement.dueOn, recomputeId: settlement.recomputeId },
      });
    },
    async logRecompute(log) {
      const [logged] = await trx('calendar_recomputes').insert(log).returning<{ id: number }[]>('id');
      return Number(logged!.id);
    },
  };
}
