import type { Knex } from 'knex';
import type { Warehouse } from './connect-warehouse.ts';
import type {
  ObjectionAction,
  ObjectionChannel,
  ObjectionResult,
  ObjectionStage,
} from './objection-vocabulary.ts';
import { type StatementSession, transactionSession } from './unit-session.ts';
import { WAREHOUSE_ROLES } from './warehouse-roles.ts';

/**
 * An objection (异议, Art. 18) as received and its append-only, hash-chained log of steps (013-objections.ts):
 * registering one marks its record (异议处理中) from then on. Whether a step may be taken is checked by the
 * database (the log's trigger); what a person is told is src/objections' business.
 */

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

/**
 * Registers an objection and its opening step in one transaction; the record is marked from then on. Runs as
 * whatever role `db` has: the officer may open any, the engine (loader) only a provider's. Returns its id.
 */
export async function insertObjection(db: Warehouse, objection: NewObjection): Promise<number> {
  return db.transaction(async (trx) => {
    const providerCode = objection.providerCode ?? (await currentProvider(trx, objection.recordId)) ?? null;
    return openObjectionOn(await transactionSession(trx), objection, providerCode);
  });
}

/**
 * The objection's row and its open step, in the caller's transaction (insertObjection's; a load unit's for a
 * provider's objection, openProviderObjection): the one place the SQL of opening an objection is written. The
 * log's trigger takes the objection log's lock, held until that transaction ends. `providerCode`: the provider
 * asked to verify, as the caller settled it.
 */
export async function openObjectionOn(
  session: StatementSession,
  objection: NewObjection,
  providerCode: string | null,
): Promise<number> {
  const [inserted] = await session.query<{ id: string | number }>(
    `INSERT INTO objections (record_id, catalog_code, channel, provider_code, applicant, reason, received_on,
                             due_on, due_provisional)
     SELECT r.id, r.catalog_code, $1, $2, $3, $4, $5, $6, $7 FROM records r WHERE r.id = $8
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
  if (inserted === undefined) throw new ObjectionRecordMissing(objection.recordId);
  const id = Number(inserted.id);
  // stage, db_user, hash: set by the log's trigger
  await session.execute(
    `INSERT INTO objection_log (objection_id, action, basis, note, detail, operator, stage, db_user, hash)
     VALUES ($1, 'open', $2, $3, $4::jsonb, $5, 'open', '', '')`,
    [
      id,
      objection.basis?.trim() || null,
      objection.note?.trim() || null,
      JSON.stringify(objection.detail ?? {}),
      objection.operator.trim(),
    ],
  );
  return id;
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
