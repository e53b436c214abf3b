import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import { AS_OF, STATUS_THEN, VERSION_THEN } from './as-of-bound.ts';
import type { Warehouse } from './connect-warehouse.ts';

/**
 * A stored row: field code → normalized value (src/normalize/normalize-value.ts CellValue, spelled out here so
 * the warehouse does not import the normalizer: the engine imports the warehouse, not the other way round).
 */
export type RowData = Record<string, string | number | undefined>;

export interface RecordRow {
  id: number;
  catalogCode: string;
  businessKey: string;
  subjectCode: string | null;
  level: ChannelLevel;
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
  outcome: 'inserted' | 'updated' | 'unchanged' | 'merged' | 'conflict' | 'withdrawn';
  runId: number;
  sourceFileId: number;
  fileName: string;
  rowNumber: number;
  providerCode: string;
  level: ChannelLevel;
  contentHash: string;
  conflictData: RowData | null;
  receivedAt: Date;
  /** Null while pending: no calendar data yet for the year it was received in. */
  late: boolean | null;
  workingDays: number | null;
  createdAt: Date;
}

/** How a person's typed text is matched: a record id, a whole business key, one part of a key, a subject. */
export type RecordMatch =
  | { id: number }
  | { businessKey: string }
  | { keyPart: string }
  | { subjectCode: string };

/** A stored key's parts, and the parts the GIN index records_key_parts holds (029-key-parts-beside-subject.ts). */
const KEY_PARTS = `string_to_array(business_key, E'\\x1f')`;
const KEY_PARTS_BESIDE_SUBJECT = `array_remove(array_remove(${KEY_PARTS}, subject_code), '')`;

/** At most this many records answer a lookup: it is a person reading a list, not an export. */
const FOUND_LIMIT = 50;

/** Records matching one way of reading what was typed, by id, optionally of one catalog entry. */
export async function findRecordRows(
  warehouse: Warehouse,
  match: RecordMatch,
  catalogCode?: string,
): Promise<RecordRow[]> {
  const query = warehouse('records').select<RecordRow[]>(RECORD_COLUMNS).limit(FOUND_LIMIT);
  if (catalogCode) query.where({ catalog_code: catalogCode });
  if ('id' in match) return query.where({ id: match.id }).orderBy('id');
  if ('businessKey' in match) return query.where({ business_key: match.businessKey }).orderBy('id');
  if ('subjectCode' in match) return query.where({ subject_code: match.subjectCode }).orderBy('id');
  // The stored key joins its parts with the unit separator (src/dedupe/business-key.ts). The GIN index
  // records_key_parts (029) holds each record's parts but its subject code and the empty ones: a part that is the
  // subject code is found through records_subject and checked against the key; an empty part finds nothing.
  // Containment, not `= ANY`, so the GIN answers it; and ordered by an expression of the id, or the planner walks
  // the primary key hoping for 50 early matches and reads every record (2.1 s on a million records for one
  // decision number, 3.4 ms through the indexes: bench/console-queries.ts).
  const part = match.keyPart;
  return query
    .where((either) =>
      either
        .whereRaw(`${KEY_PARTS_BESIDE_SUBJECT} @> ARRAY[?]::text[]`, [part])
        .orWhere((bySubject) =>
          bySubject.where({ subject_code: part }).whereRaw(`${KEY_PARTS} @> ARRAY[?]::text[]`, [part]),
        ),
    )
    .orderByRaw('id + 0');
}

export async function recordById(warehouse: Warehouse, recordId: number): Promise<RecordRow | undefined> {
  return warehouse('records').select(RECORD_COLUMNS).where({ id: recordId }).first<RecordRow | undefined>();
}

/**
 * A record as it stood at the end of a past `day` (YYYY-MM-DD, Asia/Shanghai), as every as-of query reads it (AS_OF,
 * STATUS_THEN, VERSION_THEN): `bound`, the day's end; its status then and the version current then, under the subject
 * that version was filed under; `versionId` null when it had no version yet (it was not in the warehouse that day),
 * `firstVersionAt` when its first version was written. Undefined when there is no such record.
 */
export interface RecordThen {
  bound: Date;
  status: RecordRow['status'];
  versionId: number | null;
  subjectCode: string | null;
  firstVersionAt: Date;
}

export async function recordThen(
  warehouse: Warehouse,
  recordId: number,
  day: string,
): Promise<RecordThen | undefined> {
  const { rows } = await warehouse.raw<{ rows: RecordThen[] }>(
    `${AS_OF}
     SELECT as_of.bound, ${STATUS_THEN} AS status, v.id AS "versionId",
            COALESCE(v.subject_code, r.subject_code) AS "subjectCode",
            (SELECT min(f.created_at) FROM record_versions f WHERE f.record_id = r.id) AS "firstVersionAt"
     FROM records r
     CROSS JOIN as_of
     LEFT JOIN ${VERSION_THEN} ON true
     WHERE r.id = ?`,
    [day, recordId],
  );
  return rows[0];
}

/** A record's versions, oldest first (the last one is the current version), with the file that brought each. */
export async function versionsOfRecord(warehouse: Warehouse, recordId: number): Promise<VersionRow[]> {
  return warehouse('record_versions as v')
    .leftJoin('source_files as f', 'f.id', 'v.source_file_id')
    .where('v.record_id', recordId)
    .orderBy('v.version_no')
    .select<VersionRow[]>(
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
}

/** Every delivered row of a record (its lineage), in arrival order. */
export async function sourcesOfRecord(warehouse: Warehouse, recordId: number): Promise<SourceRow[]> {
  return warehouse('record_sources as s')
    .join('source_files as f', 'f.id', 's.source_file_id')
    .where('s.record_id', recordId)
    .orderBy('s.id')
    .select<SourceRow[]>(
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

/** A subject's current record with its current version, as the subject archive lists it (Art. 9). */
export interface CurrentRecordRow {
  recordId: number;
  catalogCode: string;
  businessKey: string;
  level: ChannelLevel;
  updatedAt: Date;
  versionNo: number;
  data: RowData;
  contentHash: string;
  catalogVersion: number;
  formationDate: string | null;
  /** The current version was written by a legal procedure (a correction), not delivered. */
  corrected: boolean;
  currentVersionId: number;
}

/** One delivered row of a record, as much as timeliness and pending disagreements need. */
export interface LineageFactRow {
  id: number;
  recordId: number;
  outcome: SourceRow['outcome'];
  providerCode: string;
  level: ChannelLevel;
  contentHash: string;
  /** The version the row delivered or matched (null for a conflict). */
  versionId: number | null;
  late: boolean | null;
  receivedAt: Date;
}

/** A record of the subject a legal procedure withdrew or superseded, with the procedure that did it. */
export interface RetiredRecordRow {
  recordId: number;
  catalogCode: string;
  businessKey: string;
  status: 'withdrawn' | 'superseded';
  supersededBy: number | null;
  /** Subject of the record that superseded it (a reattribution moves a record to another subject). */
  supersededBySubject: string | null;
  procedureId: number;
  basis: string;
  performedAt: Date;
  /** The catalog version of its current version: which entry's fields its key has. */
  catalogVersion: number;
  /** Its current version's data: whose record it is (a person's or an organization's: subject-kind.ts). */
  data: RowData;
}

/** Every current record of one subject, newest formation date first (undated last), then newest record. */
export async function currentRecordsOfSubject(
  warehouse: Warehouse,
  subjectCode: string,
): Promise<CurrentRecordRow[]> {
  return warehouse('records as r')
    .join('record_versions as v', 'v.id', 'r.current_version_id')
    .where('r.subject_code', subjectCode)
    .where('r.status', 'current')
    .orderBy([
      { column: 'v.formation_date', order: 'desc', nulls: 'last' },
      { column: 'r.id', order: 'desc' },
    ])
    .select<CurrentRecordRow[]>(
      'r.id as recordId',
      'r.catalog_code as catalogCode',
      'r.business_key as businessKey',
      'r.level',
      'r.updated_at as updatedAt',
      'v.version_no as versionNo',
      'v.data',
      'v.content_hash as contentHash',
      'v.catalog_version as catalogVersion',
      'v.formation_date as formationDate',
      warehouse.raw('v.procedure_id IS NOT NULL AS corrected'),
      'r.current_version_id as currentVersionId',
    );
}

/**
 * Every record of one subject current at the end of a past `day` (YYYY-MM-DD, Asia/Shanghai), with the version
 * current then, ordered as currentRecordsOfSubject: the subject's records as that day's disclosure saw them
 * (STATUS_THEN, VERSION_THEN). A record withdrawn, superseded or reattributed later is here under the subject it had
 * then; one delivered or made by a procedure later is not. A record's subject is the one its version of then was
 * filed under; found among the records under the subject now, and those with it as another part of their key
 * (records_key_parts: a subject moved to another part of the key by a newer version). Its `updatedAt` is as of then.
 */
export async function currentRecordsOfSubjectAsOf(
  warehouse: Warehouse,
  subjectCode: string,
  day: string,
): Promise<CurrentRecordRow[]> {
  const keyParts = `array_remove(array_remove(string_to_array(r.business_key, E'\\x1f'), r.subject_code), '')`;
  return (
    await warehouse.raw(
      `${AS_OF}
       SELECT r.id AS "recordId", r.catalog_code AS "catalogCode", r.business_key AS "businessKey", r.level,
              CASE WHEN r.updated_at < as_of.bound THEN r.updated_at ELSE v.created_at END AS "updatedAt",
              v.version_no AS "versionNo", v.data, v.content_hash AS "contentHash",
              v.catalog_version AS "catalogVersion", v.formation_date AS "formationDate",
              v.procedure_id IS NOT NULL AS corrected, v.id AS "currentVersionId"
       FROM records r
       CROSS JOIN as_of
       JOIN ${VERSION_THEN} ON true
       WHERE (r.subject_code = ? OR ${keyParts} @> ARRAY[?]::text[])
         AND COALESCE(v.subject_code, r.subject_code) = ?
         AND ${STATUS_THEN} = 'current'
       ORDER BY v.formation_date DESC NULLS LAST, r.id DESC`,
      [day, subjectCode, subjectCode, subjectCode],
    )
  ).rows;
}

/** One version of a record with the record's subject: what masking a text about the record needs of it. */
export interface RecordVersionDataRow {
  recordId: number;
  catalogCode: string;
  subjectCode: string | null;
  catalogVersion: number;
  data: RowData;
}

/** Every version of the given records, oldest first, in one query. */
export async function versionDataOfRecords(
  warehouse: Warehouse,
  recordIds: readonly number[],
): Promise<RecordVersionDataRow[]> {
  if (recordIds.length === 0) return [];
  return warehouse('record_versions as v')
    .join('records as r', 'r.id', 'v.record_id')
    .whereIn('v.record_id', [...new Set(recordIds)])
    .orderBy([
      { column: 'v.record_id', order: 'asc' },
      { column: 'v.version_no', order: 'asc' },
    ])
    .select<RecordVersionDataRow[]>(
      'v.record_id as recordId',
      'r.catalog_code as catalogCode',
      'r.subject_code as subjectCode',
      'v.catalog_version as catalogVersion',
      'v.data',
    );
}

/** The lineage of the given records in one query, in arrival order. */
export async function lineageFactsOf(
  warehouse: Warehouse,
  recordIds: readonly number[],
): Promise<LineageFactRow[]> {
  if (recordIds.length === 0) return [];
  return warehouse('record_sources')
    .whereIn('record_id', recordIds)
    .orderBy('id')
    .select<LineageFactRow[]>(
      'id',
      'record_id as recordId',
      'outcome',
      'provider_code as providerCode',
      'level',
      'content_hash as contentHash',
      'version_id as versionId',
      'late',
      'received_at as receivedAt',
    );
}

/**
 * The subject's withdrawn or superseded records, newest procedure first: now, or those a procedure had retired by
 * the end of a past `day` (YYYY-MM-DD, Asia/Shanghai).
 */
export async function retiredRecordsOfSubject(
  warehouse: Warehouse,
  subjectCode: string,
  day: string | null = null,
): Promise<RetiredRecordRow[]> {
  const query = warehouse('records as r')
    .join('procedure_log as p', 'p.id', 'r.status_procedure_id')
    .join('record_versions as v', 'v.id', 'r.current_version_id')
    .leftJoin('records as n', 'n.id', 'r.superseded_by')
    .where('r.subject_code', subjectCode)
    .whereNot('r.status', 'current');
  if (day !== null) {
    query.whereRaw(`p.performed_at < (?::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'`, [day]);
  }
  return query
    .orderBy('p.id', 'desc')
    .select<RetiredRecordRow[]>(
      'r.id as recordId',
      'r.catalog_code as catalogCode',
      'r.business_key as businessKey',
      'r.status',
      'r.superseded_by as supersededBy',
      'n.subject_code as supersededBySubject',
      'p.id as procedureId',
      'p.basis',
      'p.performed_at as performedAt',
      'v.catalog_version as catalogVersion',
      'v.data',
    );
}

/** A loaded file of a channel that delivered a record, as the walk over its unchanged runs needs it. */
export interface ChannelFileRow {
  providerCode: string;
  level: ChannelLevel;
  sourceFileId: number;
  fileName: string;
  runId: number;
  receivedAt: Date;
  /**
   * When the warehouse loaded it (its `finished_at`, the database's stamp): what `record --as-of` bounds; null while
   * it is still being loaded (or its run was cut off before it ended).
   */
  loadedAt: Date | null;
  /** The file counted its unchanged rows in a summary (017-compact-lineage) instead of lineage rows. */
  summarized: boolean;
  /** The file had a summary and did not hold this record: the record's run ends there. */
  absent: boolean;
}

/**
 * Every loaded file of each channel that has delivered the record, after the channel's first lineage row of
 * it, in file order: what src/records/unchanged-runs.ts walks to find the re-deliveries counted compactly.
 */
export async function channelFilesOfRecord(
  warehouse: Warehouse,
  recordId: number,
): Promise<ChannelFileRow[]> {
  const { rows } = await warehouse.raw<{ rows: ChannelFileRow[] }>(
    `WITH channels AS (
       SELECT provider_code, level, min(source_file_id) AS first_file
       FROM record_sources WHERE record_id = :recordId GROUP BY 1, 2)
     SELECT c.provider_code AS "providerCode", c.level, f.id::int AS "sourceFileId", f.name AS "fileName",
       f.run_id::int AS "runId", f.received_at AS "receivedAt", f.finished_at AS "loadedAt",
       u.source_file_id IS NOT NULL AS summarized,
       EXISTS (SELECT 1 FROM unchanged_delivery_absences a
               WHERE a.source_file_id = f.id AND a.record_id = :recordId) AS absent
     FROM channels c
     JOIN records r ON r.id = :recordId
     JOIN source_files f ON f.catalog_code = r.catalog_code AND f.provider_code = c.provider_code
       AND f.level = c.level AND f.status = 'loaded' AND f.id > c.first_file
     LEFT JOIN unchanged_deliveries u ON u.source_file_id = f.id
     ORDER BY 1, 2, 3`,
    { recordId },
  );
  return rows;
}
