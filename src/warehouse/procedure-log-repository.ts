import type { CellValue } from '../normalize/normalize-value.ts';
import type { Warehouse } from './connect-warehouse.ts';

/**
 * The legal procedures' side of the warehouse (012-legal-procedures.ts): their log, the record a procedure
 * acts on, and the call of a procedure function under the officer role. Whether a procedure may be run and
 * what the officer is told are src/procedures' business.
 */

export const PROCEDURE_KINDS = ['correct', 'withdraw', 'reattribute', 'supersede', 'repair'] as const;
export type ProcedureKind = (typeof PROCEDURE_KINDS)[number];

/** A record's state as a procedure saw it before and left it after (012-legal-procedures.ts builds these). */
export interface ProcedureState {
  status?: 'current' | 'withdrawn' | 'superseded';
  subject_code?: string | null;
  version_id?: number;
  version_no?: number;
  content_hash?: string;
  /** correct, reattribute (since 040): the version's catalog entry version and formation date (YYYY-MM-DD). */
  catalog_version?: number;
  formation_date?: string | null;
  superseded_by?: number;
  superseded_by_subject_code?: string | null;
  superseded_by_version_id?: number;
  /** The fields that changed, with their values on this side. */
  fields?: Record<string, string | number | null>;
  /** repair (014-credit-repair.ts): the record's disclosure before (as the engine computed it) and after. */
  disclosure?: Record<string, unknown>;
}

/** One entry of the procedure log: who, when, on what grounds, and the record before and after. */
export interface ProcedureEntry {
  id: number;
  performedAt: Date;
  kind: ProcedureKind;
  recordId: number;
  /** supersede: the record that replaces `recordId`; reattribute: the record created for the right subject. */
  otherRecordId: number | null;
  catalogCode: string;
  basis: string;
  reason: string;
  /** The database session user that ran it. */
  dbUser: string;
  /** The person who ran it (--operator, else the OS user). */
  operator: string;
  before: ProcedureState;
  after: ProcedureState;
  prevHash: string | null;
  hash: string;
}

export interface ProcedureFilter {
  /** Procedures on this record, as the one acted on or the one that replaces it. */
  recordId?: number;
  catalogCode?: string;
  since?: Date;
}

const COLUMNS = [
  'id',
  'performed_at as performedAt',
  'kind',
  'record_id as recordId',
  'other_record_id as otherRecordId',
  'catalog_code as catalogCode',
  'basis',
  'reason',
  'db_user as dbUser',
  'operator',
  'before',
  'after',
  'prev_hash as prevHash',
  'hash',
];

/** The procedure log, oldest first. */
export async function procedureEntries(
  warehouse: Warehouse,
  filter: ProcedureFilter = {},
): Promise<ProcedureEntry[]> {
  const query = warehouse('procedure_log').select(COLUMNS).orderBy('id');
  const { recordId, catalogCode, since } = filter;
  if (recordId !== undefined)
    query.where((where) => where.where('record_id', recordId).orWhere('other_record_id', recordId));
  if (catalogCode) query.where('catalog_code', catalogCode);
  if (since) query.where('performed_at', '>=', since);
  return query;
}

/** The record a reattribute created for the right subject (its entry's other_record_id). */
export async function createdRecordId(
  warehouse: Warehouse,
  procedureId: number,
): Promise<number | undefined> {
  const created: { other_record_id: number | null } | undefined = await warehouse('procedure_log')
    .where({ id: procedureId })
    .first('other_record_id');
  return created?.other_record_id ?? undefined;
}

/** A stored row: field code → normalized value. */
export type VersionData = Record<string, CellValue>;

/** A record's current version, as a procedure starts from it. */
export interface CurrentVersionRow {
  /** The current version's id: a procedure that writes a row built on it hands it back (040). */
  versionId: number;
  catalogCode: string;
  catalogVersion: number;
  subjectCode: string | null;
  data: VersionData;
  status: 'current' | 'withdrawn' | 'superseded';
  statusProcedureId: number | null;
  formationDate: string | null;
}

export async function currentVersion(
  warehouse: Warehouse,
  recordId: number,
): Promise<CurrentVersionRow | undefined> {
  return warehouse('records as r')
    .join('record_versions as v', 'v.id', 'r.current_version_id')
    .where('r.id', recordId)
    .first(
      'r.current_version_id as versionId',
      'r.catalog_code as catalogCode',
      'r.subject_code as subjectCode',
      'v.data',
      'v.catalog_version as catalogVersion',
      'r.status',
      'r.status_procedure_id as statusProcedureId',
      'v.formation_date as formationDate',
    );
}

/**
 * The procedure functions 012-legal-procedures.ts defines, each returning its procedure_log id. Since 040,
 * correct and reattribute take the id of the version their row was built on second, and refuse when it is no
 * longer current.
 */
export type ProcedureFunction =
  | 'procedure_correct'
  | 'procedure_withdraw'
  | 'procedure_supersede'
  | 'procedure_reattribute'
  | 'procedure_repair';

/**
 * Calls one procedure function as `role`, in a transaction of its own, and returns the id of the
 * procedure_log entry it wrote. The role is taken with SET LOCAL, so it ends with the transaction. The
 * database's errors are thrown as they are.
 */
export async function callProcedure(
  warehouse: Warehouse,
  role: string,
  fn: ProcedureFunction,
  args: ReadonlyArray<string | number | null>,
): Promise<number> {
  return warehouse.transaction(async (trx) => {
    await trx.raw(`SET LOCAL ROLE ${role}`);
    const placeholders = args.map(() => '?').join(', ');
    const result = await trx.raw<{ rows: { id: number }[] }>(`SELECT ${fn}(${placeholders}) AS id`, [
      ...args,
    ]);
    const id = result.rows[0]?.id;
    if (typeof id !== 'number') throw new Error(`${fn} returned no procedure id`);
    return id;
  });
}

/** Whether the connecting (session) user is a member of `role`. */
export async function sessionUserIsMember(warehouse: Warehouse, role: string): Promise<boolean> {
  const result = await warehouse.raw<{ rows: { member: boolean }[] }>(
    `SELECT pg_has_role(session_user, ?, 'MEMBER') AS member`,
    [role],
  );
  return result.rows[0]?.member === true;
}

/** The database user the warehouse connection logged in as. */
export async function sessionUser(warehouse: Warehouse): Promise<string> {
  const result = await warehouse.raw<{ rows: { user: string }[] }>('SELECT session_user AS user');
  return result.rows[0]?.user ?? '?';
}
