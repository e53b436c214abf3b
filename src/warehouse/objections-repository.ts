import type { Knex } from 'knex';
import { AS_OF } from './as-of-bound.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { WAREHOUSE_ROLES } from './warehouse-roles.ts';

/**
 * Objections (异议, Art. 18) in the warehouse (013-objections.ts): an objection as received, its append-only,
 * hash-chained log of steps, and the marks (异议处理中) they put on records. Whether a step may be taken is
 * checked by the database (the log's trigger); what a person is told is src/objections' business.
 */

export const OBJECTION_CHANNELS = ['platform', 'provider'] as const;
export type ObjectionChannel = (typeof OBJECTION_CHANNELS)[number];

/** open: the platform's check (核查); appeal: 申诉; review: 行政复议; lawsuit: 行政诉讼. */
export const OBJECTION_STAGES = ['open', 'appeal', 'review', 'lawsuit'] as const;
export type ObjectionStage = (typeof OBJECTION_STAGES)[number];

/** The stages that follow the platform's result (`objection appeal`, `objection outcome`). */
export const APPEAL_STAGES = ['appeal', 'review', 'lawsuit'] as const;
export type AppealStage = (typeof APPEAL_STAGES)[number];

export const OBJECTION_RESULTS = ['upheld', 'rejected', 'partly'] as const;
export type ObjectionResult = (typeof OBJECTION_RESULTS)[number];

export type ObjectionAction = 'open' | 'close' | 'appeal' | 'outcome' | 'note';

/** A record currently marked 异议处理中: its objection (or a stage after it) is still open. */
export interface ObjectionMark {
  objectionId: number;
  /** The stage in progress: 'open' (the platform's check), 'appeal', 'review' or 'lawsuit'. */
  stage: ObjectionStage;
  /** YYYY-MM-DD */
  receivedOn: string;
  /** YYYY-MM-DD: the platform's check is due by this day (Art. 18, 3 working days), as settled (DUE). */
  dueOn: string;
  /** Counted Monday–Friday through a year without calendar data, not yet settled by `calendar recompute`. */
  dueProvisional: boolean;
}

/** The objection as received; what `objection open` and a provider's 当前状态=异议 row give. */
export interface NewObjection {
  recordId: number;
  applicant: string;
  reason: string;
  /** YYYY-MM-DD */
  receivedOn: string;
  /** YYYY-MM-DD (src/calendar/objection-due.ts computes it). */
  dueOn: string;
  /** The due date was counted Monday–Friday through a year without calendar data. */
  dueProvisional?: boolean;
  channel: ObjectionChannel;
  /** Who registers it (--operator, else the OS user; the engine: its pipeline or run). */
  operator: string;
  basis?: string;
  note?: string;
  /** The provider asked to verify; default the one that delivered the record's current version. */
  providerCode?: string;
  /** Logged with the open step (e.g. the source file and row a provider's objection came from). */
  detail?: Record<string, unknown>;
}

/** One step after the opening. The database refuses a step out of order. */
export interface NewObjectionStep {
  action: Exclude<ObjectionAction, 'open'>;
  /** appeal, outcome: the stage opened or decided; others: taken from the objection. */
  stage?: ObjectionStage;
  result?: ObjectionResult;
  /** upheld, partly: the legal procedure that carried the result out (procedure_log id). */
  procedureId?: number;
  /**
   * upheld, partly, instead of a procedure: the delivered version (record_versions id) that carried the result out,
   * the provider's corrected re-delivery (037-objection-remedies.ts).
   */
  versionId?: number;
  basis?: string;
  note?: string;
  operator: string;
  detail?: Record<string, unknown>;
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
  /** The due date as settled: `calendar recompute`'s, once it settled a provisional one (DUE). */
  dueOn: string;
  /** Still counted Monday–Friday through a year without calendar data: not raised as overdue. */
  dueProvisional: boolean;
  createdAt: Date;
  /** The stage of the last step (a note aside). */
  stage: ObjectionStage;
  /** Whether that stage is still in progress: the record is marked. */
  inProgress: boolean;
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

export interface ObjectionStep {
  id: number;
  objectionId: number;
  performedAt: Date;
  action: ObjectionAction;
  stage: ObjectionStage;
  result: ObjectionResult | null;
  procedureId: number | null;
  /** The delivered version that carried the result out (record_versions id), and its number on the record. */
  versionId: number | null;
  versionNo: number | null;
  basis: string | null;
  note: string | null;
  detail: Record<string, unknown>;
  dbUser: string;
  operator: string;
  prevHash: string | null;
  hash: string;
}

/** What an `objection-check` run counted (runs.counts). */
export interface ObjectionCheckCounts {
  /** Objections whose platform check is still open. */
  checking: number;
  /** Of those, past their due date. */
  overdue: number;
  /** Of those, past a provisional due date (a year without calendar data): not counted overdue. */
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
   * provisional due date is not overdue (it may move once its year is added).
   */
  overdueOn?: string;
  /** Only objections whose check is still open after a provisional due date, as of this day (YYYY-MM-DD). */
  provisionalPastDueOn?: string;
  /**
   * Each objection's state at the end of this day (YYYY-MM-DD, Asia/Shanghai): steps performed later, and
   * objections received later, are left out. Default: now. `overdueOn` implies it.
   */
  asOf?: string;
}

/**
 * A day's state is read at the end of the day given (AS_OF; now when it is null). Steps are stamped with the
 * clock (033), so the state of a past day is the steps performed before its end; but an objection is open from
 * its receipt (`received_on`), however late it was registered: its opening step counts whenever it was performed.
 */
const BEFORE_BOUND = (step: string) =>
  `(as_of.bound IS NULL OR ${step}.action = 'open' OR ${step}.performed_at < as_of.bound)`;

/**
 * The due date as settled (038): `calendar recompute`'s note step (`detail.due = 'settled'`) replaces a
 * provisional `due_on`; the objection row itself never changes. It is the law's date, only known later, so it
 * counts on any day, whenever the recompute ran. `o` is the objection.
 */
const DUE = `LEFT JOIN LATERAL (SELECT (l.detail->>'dueOn')::date AS due_on FROM objection_log l
                     WHERE l.objection_id = o.id AND l.action = 'note' AND l.detail->>'due' = 'settled'
                     ORDER BY l.id LIMIT 1) settled ON true`;

/**
 * The last step of each objection that is not a note: its stage, whether it is in progress; the last decided
 * step: its result and what carried it out; its due date as settled (DUE); as of `as_of` (the query starts with
 * AS_OF).
 */
const STATE = `
  SELECT o.id, o.record_id, o.catalog_code, o.channel, o.provider_code, o.applicant, o.reason, o.received_on,
         coalesce(settled.due_on, o.due_on) AS due_on, o.due_provisional AND settled.due_on IS NULL AS due_provisional,
         o.created_at, s.stage, s.action IN ('open', 'appeal') AS in_progress, d.result AS last_result,
         d.procedure_id AS last_procedure_id, d.version_id AS last_version_id, d.version_no AS last_version_no,
         (SELECT c.performed_at FROM objection_log c WHERE c.objection_id = o.id AND c.action = 'close'
            AND ${BEFORE_BOUND('c')}) AS checked_at
  FROM objections o
  CROSS JOIN as_of
  JOIN LATERAL (SELECT l.action, l.stage FROM objection_log l WHERE l.objection_id = o.id AND l.action <> 'note'
                  AND ${BEFORE_BOUND('l')} ORDER BY l.id DESC LIMIT 1) s ON true
  LEFT JOIN LATERAL (SELECT l.result, l.procedure_id, l.version_id, v.version_no
                     FROM objection_log l LEFT JOIN record_versions v ON v.id = l.version_id
                     WHERE l.objection_id = o.id AND l.result IS NOT NULL AND ${BEFORE_BOUND('l')}
                     ORDER BY l.id DESC LIMIT 1) d ON true
  ${DUE}`;

/**
 * The records among `recordIds` marked 异议处理中, with their (oldest open) objection: now, or at the end of the
 * day `asOf` (YYYY-MM-DD, Asia/Shanghai) when it is given: objections received by then whose steps up to then
 * leave them in progress (Art. 18 ¶2: labelled for as long as the objection was being handled).
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
    id: number;
    stage: ObjectionStage;
    received_on: string;
    due_on: string;
    due_provisional: boolean;
  }> = (
    await db.raw(
      `${AS_OF} SELECT DISTINCT ON (record_id) record_id, id, stage, received_on, due_on, due_provisional
       FROM (${STATE} WHERE o.record_id = ANY (?::bigint[])
               AND (?::date IS NULL OR o.received_on <= ?::date)) state
       WHERE in_progress ORDER BY record_id, id`,
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
    });
  return marks;
}

/**
 * Registers an objection and its opening step in one transaction; the record is marked from then on. Runs as
 * whatever role `db` has: the officer may open any, the engine (loader) only a provider's. Returns its id.
 */
export async function insertObjection(db: Warehouse, objection: NewObjection): Promise<number> {
  return db.transaction(async (trx) => {
    const providerCode = objection.providerCode ?? (await currentProvider(trx, objection.recordId)) ?? null;
    const inserted: { rows: { id: number }[] } = await trx.raw(
      `INSERT INTO objections (record_id, catalog_code, channel, provider_code, applicant, reason, received_on,
                               due_on, due_provisional)
       SELECT r.id, r.catalog_code, ?, ?, ?, ?, ?, ?, ? FROM records r WHERE r.id = ?
       RETURNING id`,
      [
        objection.channel,
        providerCode,
        objection.applicant.trim(),
        objection.reason.trim(),
        objection.receivedOn,
        objection.dueOn,
        objection.dueProvisional ?? false,
        objection.recordId,
      ],
    );
    const id = inserted.rows[0]?.id;
    if (id === undefined) throw new ObjectionRecordMissing(objection.recordId);
    await trx('objection_log').insert({
      objection_id: id,
      action: 'open',
      basis: objection.basis?.trim() || null,
      note: objection.note?.trim() || null,
      detail: objection.detail ? { ...objection.detail } : {},
      operator: objection.operator.trim(),
      // set by the log's trigger
      stage: 'open',
      db_user: '',
      hash: '',
    });
    return id;
  });
}

/** The decision (formation) date of a record's current version: null when it has none, undefined: no record. */
export async function recordFormationDate(
  db: Warehouse,
  recordId: number,
): Promise<string | null | undefined> {
  const row: { formation_date: string | null } | undefined = await db('records as r')
    .leftJoin('record_versions as v', 'v.id', 'r.current_version_id')
    .where('r.id', recordId)
    .first(db.raw(`to_char(v.formation_date, 'YYYY-MM-DD') AS formation_date`));
  return row === undefined ? undefined : row.formation_date;
}

/** One version of a record, by its number (`v2` in `record`). */
export interface NumberedVersion {
  id: number;
  versionNo: number;
}

export async function versionOfRecord(
  db: Warehouse,
  recordId: number,
  versionNo: number,
): Promise<NumberedVersion | undefined> {
  return db('record_versions')
    .where({ record_id: recordId, version_no: versionNo })
    .first<NumberedVersion | undefined>('id', 'version_no as versionNo');
}

/** The record an objection was to be opened on does not exist. */
export class ObjectionRecordMissing extends Error {
  override readonly name = 'ObjectionRecordMissing';
  constructor(readonly recordId: number) {
    super(`记录 ${recordId} 不存在`);
  }
}

/** Appends one step to an objection's log; returns the step's id. */
export async function appendObjectionStep(
  db: Warehouse,
  objectionId: number,
  step: NewObjectionStep,
): Promise<number> {
  const [row] = await db('objection_log')
    .insert({
      objection_id: objectionId,
      action: step.action,
      stage: step.stage ?? 'open',
      result: step.result ?? null,
      procedure_id: step.procedureId ?? null,
      version_id: step.versionId ?? null,
      basis: step.basis?.trim() || null,
      note: step.note?.trim() || null,
      detail: step.detail ? { ...step.detail } : {},
      operator: step.operator.trim(),
      db_user: '',
      hash: '',
    })
    .returning('id');
  return (row as { id: number }).id;
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
  if (filter.provisionalPastDueOn !== undefined)
    add(
      `in_progress AND stage = 'open' AND due_on < ?::date AND due_provisional`,
      filter.provisionalPastDueOn,
    );
  const asOf = filter.asOf ?? filter.overdueOn ?? filter.provisionalPastDueOn;
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
    lastResult: row.last_result as ObjectionResult | null,
    lastProcedureId: row.last_procedure_id as number | null,
    lastVersionId: row.last_version_id as number | null,
    lastVersionNo: row.last_version_no as number | null,
    checkedAt: row.checked_at as Date | null,
  }));
}

/** Every step of one objection, oldest first. */
export async function objectionSteps(db: Warehouse, objectionId: number): Promise<ObjectionStep[]> {
  return db('objection_log as l')
    .leftJoin('record_versions as v', 'v.id', 'l.version_id')
    .where('l.objection_id', objectionId)
    .orderBy('l.id')
    .select(
      'l.id',
      'l.objection_id as objectionId',
      'l.performed_at as performedAt',
      'l.action',
      'l.stage',
      'l.result',
      'l.procedure_id as procedureId',
      'l.version_id as versionId',
      'v.version_no as versionNo',
      'l.basis',
      'l.note',
      'l.detail',
      'l.db_user as dbUser',
      'l.operator',
      'l.prev_hash as prevHash',
      'l.hash',
    );
}

/**
 * Runs `work` in one transaction as the officer role (SET LOCAL: it ends with the transaction), so a decision
 * and the legal procedure carrying it out are written together or not at all.
 */
export async function asOfficer<T>(db: Warehouse, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw(`SET LOCAL ROLE ${WAREHOUSE_ROLES.officer}`);
    return work(trx);
  });
}

/** The provider that delivered the record's current version (else the last that delivered it at all). */
async function currentProvider(db: Knex.Transaction, recordId: number): Promise<string | undefined> {
  const row: { provider_code: string } | undefined = await db('record_sources as s')
    .join('records as r', 'r.id', 's.record_id')
    .where('s.record_id', recordId)
    .orderByRaw('(s.version_id = r.current_version_id) DESC NULLS LAST, s.id DESC')
    .first('s.provider_code');
  return row?.provider_code;
}
