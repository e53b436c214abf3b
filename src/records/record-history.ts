import { parseTypedKey } from '../dedupe/business-key.ts';
import type { CellValue } from '../normalize/normalize-value.ts';
import { type ProcedureEntry, procedureEntries } from '../procedures/procedure-entry.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';

/** A stored row: field code → normalized value. */
export type RowData = Record<string, CellValue>;

export interface RecordRow {
  id: number;
  catalogCode: string;
  businessKey: string;
  subjectCode: string | null;
  level: 'province' | 'city' | 'county';
  currentVersionId: number;
  /** `withdrawn` or `superseded` by a legal procedure: kept, no longer current (012-legal-procedures.ts). */
  status: 'current' | 'withdrawn' | 'superseded';
  supersededBy: number | null;
  /** The procedure that withdrew or superseded the record. */
  statusProcedureId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionRow {
  id: number;
  versionNo: number;
  data: RowData;
  contentHash: string;
  catalogVersion: number;
  formationDate: string | null;
  /** The delivery that brought this version; null for a version written by a legal procedure. */
  sourceFileId: number | null;
  fileName: string | null;
  rowNumber: number | null;
  runId: number | null;
  /** The legal procedure (procedure_log entry) that wrote this version; null for a delivered version. */
  procedureId: number | null;
  createdAt: Date;
}

export interface SourceRow {
  id: number;
  versionId: number | null;
  outcome: 'inserted' | 'updated' | 'unchanged' | 'merged' | 'conflict';
  runId: number;
  sourceFileId: number;
  fileName: string;
  rowNumber: number;
  providerCode: string;
  level: 'province' | 'city' | 'county';
  contentHash: string;
  conflictData: RowData | null;
  receivedAt: Date;
  /** Null while pending: no calendar data yet for the year it was received in. */
  late: boolean | null;
  workingDays: number | null;
  createdAt: Date;
}

export interface RecordHistory {
  record: RecordRow;
  /** Oldest first; the last one is the current version. */
  versions: VersionRow[];
  /** Every delivered row of the record, in arrival order. */
  sources: SourceRow[];
  /** Every legal procedure on the record (acted on, or the record that replaced it), oldest first. */
  procedures: ProcedureEntry[];
  /** The record that superseded this one, when one did. */
  supersededBy: RecordRow | undefined;
}

/** Records matching what a person typed: an id, a whole key (`a|b|c`), or one key part (a decision number). */
export async function findRecords(
  warehouse: Warehouse,
  typed: string,
  catalogCode?: string,
): Promise<RecordRow[]> {
  const query = warehouse('records').select(RECORD_COLUMNS).orderBy('id').limit(50);
  if (catalogCode) query.where({ catalog_code: catalogCode });
  const text = typed.trim();
  if (/^\d{1,15}$/.test(text)) {
    const byId = await query.clone().where({ id: Number(text) });
    if (byId.length > 0) return byId;
  }
  const { parts, whole } = parseTypedKey(text);
  if (whole !== undefined) return query.where({ business_key: whole });
  return query.whereRaw(`? = ANY (string_to_array(business_key, E'\\x1f'))`, [parts[0] ?? '']);
}

export async function recordHistory(
  warehouse: Warehouse,
  recordId: number,
): Promise<RecordHistory | undefined> {
  const record = await warehouse('records').select(RECORD_COLUMNS).where({ id: recordId }).first();
  if (!record) return undefined;
  const versions = await warehouse('record_versions as v')
    .leftJoin('source_files as f', 'f.id', 'v.source_file_id')
    .where('v.record_id', recordId)
    .orderBy('v.version_no')
    .select(
      'v.id',
      'v.version_no as versionNo',
      'v.data',
      'v.content_hash as contentHash',
      'v.catalog_version as catalogVersion',
      'v.formation_date as formationDate',
      'v.source_file_id as sourceFileId',
      'f.name as fileName',
      'v.row_number as rowNumber',
      'f.run_id as runId',
      'v.procedure_id as procedureId',
      'v.created_at as createdAt',
    );
  const sources = await warehouse('record_sources as s')
    .join('source_files as f', 'f.id', 's.source_file_id')
    .where('s.record_id', recordId)
    .orderBy('s.id')
    .select(
      's.id',
      's.version_id as versionId',
      's.outcome',
      's.run_id as runId',
      's.source_file_id as sourceFileId',
      'f.name as fileName',
      's.row_number as rowNumber',
      's.provider_code as providerCode',
      's.level',
      's.content_hash as contentHash',
      's.conflict_data as conflictData',
      's.received_at as receivedAt',
      's.late',
      's.working_days as workingDays',
      's.created_at as createdAt',
    );
  const procedures = await procedureEntries(warehouse, { recordId });
  const supersededBy =
    record.supersededBy === null
      ? undefined
      : await warehouse('records').select(RECORD_COLUMNS).where({ id: record.supersededBy }).first();
  return { record, versions, sources, procedures, supersededBy };
}

/** The row data a delivery carried: its conflict data, else the version it was recorded against. */
export function deliveredData(history: RecordHistory, source: SourceRow): RowData | undefined {
  if (source.conflictData) return source.conflictData;
  return history.versions.find((version) => version.id === source.versionId)?.data;
}

const RECORD_COLUMNS = [
  'id',
  'catalog_code as catalogCode',
  'business_key as businessKey',
  'subject_code as subjectCode',
  'level',
  'current_version_id as currentVersionId',
  'status',
  'superseded_by as supersededBy',
  'status_procedure_id as statusProcedureId',
  'created_at as createdAt',
  'updated_at as updatedAt',
];
