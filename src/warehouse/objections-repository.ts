import type { Knex } from 'knex';
import { AS_OF, AS_OF_RECURSIVE } from './as-of-bound.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { STATE } from './objection-state-sql.ts';
import type { ObjectionChannel, ObjectionResult, ObjectionStage } from './objection-vocabulary.ts';

/**
 * Objections (异议, Art. 18) as they stand (013-objections.ts): each one's state, read from its log as of a day
 * (objection-state-sql.ts), and the marks (异议处理中) they put on records. Registering one and appending its
 * steps is objection-log-repository.ts; what a person is told is src/objections' business.
 */

/** A record currently marked 异议处理中: its objection (or a stage after it) is still open. */
export interface ObjectionMark {
  objectionId: number;
  /** The stage in progress: 'open' (the platform's check), 'appeal', 'review' or 'lawsuit'. */
  stage: ObjectionStage;
  /** YYYY-MM-DD */
  receivedOn: string;
  /**
   * YYYY-MM-DD: the platform's check is due by this day (Art. 18, 3 working days), as settled (DUE,
   * objection-state-sql.ts).
   */
  dueOn: string;
  /** Counted Monday–Friday through a year without calendar data, not yet settled by `calendar recompute`. */
  dueProvisional: boolean;
  /**
   * YYYY-MM-DD: the day the stage in progress began: `receivedOn` for the platform's check; for an appeal, review
   * or lawsuit the day (Asia/Shanghai) its step was recorded, when `dueOn`, the finished check's, is no deadline.
   */
  stageSince: string;
  /**
   * Set when the objection is not on this record but on one it replaced: the record the objection is on, which a
   * `supersede` or `reattribute` (procedure_log, directly or through a chain of them) retired in favour of this
   * one. The same decision shown under the successor stays labelled while the objection is handled (Art. 18 ¶2).
   */
  fromRecordId?: number;
}

export interface ObjectionRow {
  id: number;
  recordId: number;
  catalogCode: string;
  channel: ObjectionChannel;
  providerCode: string | null;
  applicant: string;
  reason: string;
  receivedOn: string;
  /**
   * The due date as settled: `calendar recompute`'s, once it settled a provisional one (DUE,
   * objection-state-sql.ts).
   */
  dueOn: string;
  /**
   * Still counted Monday–Friday through a year without calendar data: raised as overdue only once even the latest
   * day it can be is past (src/objections/objection-due-standing.ts).
   */
  dueProvisional: boolean;
  createdAt: Date;
  /** The stage of the last step (a note aside). */
  stage: ObjectionStage;
  /** Whether that stage is still in progress: the record is marked. */
  inProgress: boolean;
  /**
   * YYYY-MM-DD: the day that stage began: `receivedOn` for the platform's check; for an appeal, review or lawsuit
   * the day (Asia/Shanghai) it was entered, for which `dueOn`, the check's, is no deadline (as ObjectionMark).
   */
  stageSince: string;
  /** The result of the last decided stage, if any. */
  lastResult: ObjectionResult | null;
  /** What carried that result out: the legal procedure (procedure_log id)… */
  lastProcedureId: number | null;
  /** …or the provider's corrected delivery: its version (record_versions id and the record's version number). */
  lastVersionId: number | null;
  lastVersionNo: number | null;
  /** When the platform's check was closed; null while it is open. */
  checkedAt: Date | null;
}

/** What an `objection-check` run counted (runs.counts). */
export interface ObjectionCheckCounts {
  /** Objections whose platform check is still open. */
  checking: number;
  /**
   * Of those, past their due date: the date as settled, or for a provisional one the latest it can be
   * (src/objections/objection-due-standing.ts).
   */
  overdue: number;
  /** Of the overdue, those whose due date is still provisional (surely past, the exact date not known yet). */
  overdueProvisional?: number;
  /** Of those, past a provisional due date but not surely overdue: not counted overdue. */
  provisionalPastDue: number;
}

export interface ObjectionFilter {
  id?: number;
  recordId?: number;
  /** Objections whose provider (asked to verify) is this one. */
  providerCode?: string;
  /** in-progress: marked (any stage open); closed: every stage decided; a stage: that stage in progress. */
  status?: 'in-progress' | 'closed' | ObjectionStage;
  /**
   * Only objections whose platform check is still open after their due date, as of this day (YYYY-MM-DD); a
   * provisional due date is left out (it may move once its year is added): whether one is surely past is the
   * calendar's to say (checkingProvisionalOn, src/objections/overdue-objections.ts).
   */
  overdueOn?: string;
  /**
   * Only objections whose check is still open with a provisional due date, past or not, as of this day (YYYY-MM-DD):
   * whether one is overdue is the calendar's to say (src/objections/objection-due-standing.ts), not SQL's.
   */
  checkingProvisionalOn?: string;
  /**
   * Each objection's state at the end of this day (YYYY-MM-DD, Asia/Shanghai): steps performed later, and
   * objections received later, are left out. Default: now. `overdueOn` implies it.
   */
  asOf?: string;
}

/**
 * The records among `recordIds` marked 异议处理中, with their (oldest open) objection: now, or at the end of the
 * day `asOf` (YYYY-MM-DD, Asia/Shanghai) when it is given: objections received by then whose steps up to then
 * leave them in progress (Art. 18 ¶2: labelled for as long as the objection was being handled).
 *
 * The mark follows the record's predecessors: a record that replaced another by `supersede` or `reattribute`
 * (procedure_log's `other_record_id`, performed by then), directly or through a chain of them, carries the mark of an
 * objection still in progress on any of them, with `fromRecordId` naming the record the objection is on. The
 * record's own objection comes first. Every reader of marks (record, subject, disclosure, notices, the console)
 * takes them from here.
 */
export async function objectionMarks(
  db: Warehouse,
  recordIds: readonly number[],
  asOf: string | null = null,
): Promise<Map<number, ObjectionMark>> {
  const marks = new Map<number, ObjectionMark>();
  if (recordIds.length === 0) return marks;
  const rows: Array<{
    record_id: number;
    source_id: number;
    id: number;
    stage: ObjectionStage;
    received_on: string;
    due_on: string;
    due_provisional: boolean;
    stage_since: string;
  }> = (
    await db.raw(
      `${AS_OF_RECURSIVE}, chain (record_id, source_id) AS (
         SELECT id, id FROM unnest(?::bigint[]) AS asked (id)
         UNION
         SELECT chain.record_id, p.record_id FROM chain
         JOIN procedure_log p ON p.other_record_id = chain.source_id AND p.kind IN ('supersede', 'reattribute')
         CROSS JOIN as_of WHERE as_of.bound IS NULL OR p.performed_at < as_of.bound)
       SELECT DISTINCT ON (chain.record_id) chain.record_id, chain.source_id, state.id, state.stage,
              state.received_on, state.due_on, state.due_provisional, state.stage_since
       FROM chain
       JOIN (${STATE} WHERE o.record_id IN (SELECT source_id FROM chain)
               AND (?::date IS NULL OR o.received_on <= ?::date)) state ON state.record_id = chain.source_id
       WHERE state.in_progress
       ORDER BY chain.record_id, chain.source_id <> chain.record_id, state.id`,
      [asOf, [...recordIds], asOf, asOf],
    )
  ).rows;
  for (const row of rows)
    marks.set(row.record_id, {
      objectionId: row.id,
      stage: row.stage,
      receivedOn: row.received_on,
      dueOn: row.due_on,
      dueProvisional: row.due_provisional,
      stageSince: row.stage_since,
      ...(row.source_id === row.record_id ? {} : { fromRecordId: Number(row.source_id) }),
    });
  return marks;
}

/** Objections with their state, oldest first. */
export async function objectionRows(db: Warehouse, filter: ObjectionFilter = {}): Promise<ObjectionRow[]> {
  const where: string[] = [];
  const params: Knex.RawBinding[] = [];
  const add = (condition: string, ...values: Knex.RawBinding[]) => {
    where.push(condition);
    params.push(...values);
  };
  if (filter.id !== undefined) add('id = ?', filter.id);
  if (filter.recordId !== undefined) add('record_id = ?', filter.recordId);
  if (filter.providerCode !== undefined) add('provider_code = ?', filter.providerCode);
  if (filter.status === 'in-progress') add('in_progress');
  else if (filter.status === 'closed') add('NOT in_progress');
  else if (filter.status !== undefined) add('in_progress AND stage = ?', filter.status);
  if (filter.overdueOn !== undefined)
    add(`in_progress AND stage = 'open' AND due_on < ?::date AND NOT due_provisional`, filter.overdueOn);
  if (filter.checkingProvisionalOn !== undefined) add(`in_progress AND stage = 'open' AND due_provisional`);
  const asOf = filter.asOf ?? filter.overdueOn ?? filter.checkingProvisionalOn;
  if (asOf !== undefined) add('received_on <= ?::date', asOf);
  const rows: Array<Record<string, unknown>> = (
    await db.raw(
      `${AS_OF} SELECT * FROM (${STATE}) state ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`,
      [asOf ?? null, ...params],
    )
  ).rows;
  return rows.map((row) => ({
    id: row.id as number,
    recordId: row.record_id as number,
    catalogCode: row.catalog_code as string,
    channel: row.channel as ObjectionChannel,
    providerCode: row.provider_code as string | null,
    applicant: row.applicant as string,
    reason: row.reason as string,
    receivedOn: row.received_on as string,
    dueOn: row.due_on as string,
    dueProvisional: row.due_provisional as boolean,
    createdAt: row.created_at as Date,
    stage: row.stage as ObjectionStage,
    inProgress: row.in_progress as boolean,
    stageSince: row.stage_since as string,
    lastResult: row.last_result as ObjectionResult | null,
    lastProcedureId: row.last_procedure_id as number | null,
    lastVersionId: row.last_version_id as number | null,
    lastVersionNo: row.last_version_no as number | null,
    checkedAt: row.checked_at as Date | null,
  }));
}
