import type { Warehouse } from '../warehouse/connect-warehouse.ts';

export const PROCEDURE_KINDS = ['correct', 'withdraw', 'reattribute', 'supersede'] as const;
export type ProcedureKind = (typeof PROCEDURE_KINDS)[number];

/** A record's state as a procedure saw it before and left it after (012-legal-procedures.ts builds these). */
export interface ProcedureState {
  status?: 'current' | 'withdrawn' | 'superseded';
  subject_code?: string | null;
  version_id?: number;
  version_no?: number;
  content_hash?: string;
  superseded_by?: number;
  superseded_by_subject_code?: string | null;
  superseded_by_version_id?: number;
  /** The fields that changed, with their values on this side. */
  fields?: Record<string, string | number | null>;
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
