import type { RowError } from '../../connectors/row-error.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { keysetPages } from './keyset-pages.ts';
import { type RejectionRow, rejectionsIn } from './rejections-repository.ts';
import { type ReportScope, whereInScope } from './scope-filter.ts';

/** A row of `notices` as stored. */
export interface NoticeRecord {
  id: number;
  provider_code: string;
  scope: ReportScope;
  created_at: Date;
  issued_on: string;
  working_days: number;
  deadline: string;
  provisional: boolean;
}

/** What a new notice records; its rows come from the scope's rejections and conflicts. */
export type NewNotice = Omit<NoticeRecord, 'id' | 'created_at'>;

/** The key a notice row's correction will carry: the full business key, or the usable key parts. */
export interface NoticeRowKey {
  businessKey: string | null;
  keyParts: Record<string, string> | null;
}

const BATCH = 1000;

/** What recording a notice came to: recorded, or refused because the scope already has one or holds nothing. */
export type RecordedNotice =
  | { kind: 'recorded'; id: number; rows: number }
  | { kind: 'duplicate'; existing: NoticeRecord }
  | { kind: 'empty' };

/**
 * Records a notice in one transaction: the provider's rejected rows in the scope (each with the key `keyOf`
 * derives), its conflicting rows, and the `issued` event. Refused, with nothing written, when a notice of the
 * same provider and scope exists (one notice per scope: a re-send is an event of that notice, not a copy) or
 * when the scope holds none of the provider's rows. Issuers of one provider take turns (advisory lock), so two
 * at once cannot both pass the duplicate check.
 */
export async function recordNotice(
  warehouse: Warehouse,
  notice: NewNotice,
  keyOf: (rejection: RejectionRow) => NoticeRowKey,
  operator: string,
): Promise<RecordedNotice> {
  return warehouse.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`credit-etl:notice:${notice.provider_code}`]);
    const existing = await trx('notices')
      .where({ provider_code: notice.provider_code })
      .whereRaw('scope = ?::jsonb', [JSON.stringify(notice.scope)])
      .orderBy('id')
      .first<NoticeRecord | undefined>();
    if (existing) return { kind: 'duplicate', existing };
    // Checked before the insert, so a refused notice does not use up a notice number.
    if (!(await hasNoticeRows(trx, notice))) return { kind: 'empty' };
    const recorded = await insertNotice(trx, notice, keyOf);
    await trx('notice_events').insert({ notice_id: recorded.id, kind: 'issued', operator });
    return { kind: 'recorded', ...recorded };
  });
}

/** Whether the scope holds any of the provider's rejected or conflicting rows (what a notice would cover). */
async function hasNoticeRows(trx: Warehouse, notice: NewNotice): Promise<boolean> {
  const rejected = await whereInScope(
    trx('rejections as r')
      .join('source_files as f', 'f.id', 'r.source_file_id')
      .where('f.provider_code', notice.provider_code)
      .select(trx.raw('1 AS found')),
    notice.scope,
  ).first();
  if (rejected) return true;
  const conflict = await whereInScope(
    trx('record_sources as s')
      .join('source_files as f', 'f.id', 's.source_file_id')
      .where('s.outcome', 'conflict')
      .where('s.provider_code', notice.provider_code)
      .select(trx.raw('1 AS found')),
    notice.scope,
  ).first();
  return Boolean(conflict);
}

async function insertNotice(
  trx: Warehouse,
  notice: NewNotice,
  keyOf: (rejection: RejectionRow) => NoticeRowKey,
): Promise<{ id: number; rows: number }> {
  const [inserted] = await trx('notices')
    .insert({ ...notice, scope: JSON.stringify(notice.scope) })
    .returning<{ id: number }[]>('id');
  const noticeId = Number(inserted!.id);
  let batch: Record<string, unknown>[] = [];
  let rows = 0;
  for await (const rejection of rejectionsIn(trx, notice.scope)) {
    if (rejection.providerCode !== notice.provider_code) continue;
    const key = keyOf(rejection);
    batch.push({
      notice_id: noticeId,
      kind: 'rejected',
      catalog_code: rejection.catalogCode,
      source_file_id: rejection.sourceFileId,
      row_number: rejection.rowNumber,
      rejection_id: rejection.id,
      business_key: key.businessKey,
      key_parts: key.keyParts ? JSON.stringify(key.keyParts) : null,
    });
    if (batch.length >= BATCH) {
      rows += batch.length;
      await trx('notice_rows').insert(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await trx('notice_rows').insert(batch);
  rows += batch.length;
  const conflicts = whereInScope(
    trx('record_sources as s')
      .join('source_files as f', 'f.id', 's.source_file_id')
      .join('records as r', 'r.id', 's.record_id')
      .where('s.outcome', 'conflict')
      .where('s.provider_code', notice.provider_code)
      .select(
        trx.raw('? AS notice_id', [noticeId]),
        trx.raw(`'conflict' AS kind`),
        'r.catalog_code',
        's.source_file_id',
        's.row_number',
        's.id AS record_source_id',
        'r.business_key',
      ),
    notice.scope,
  );
  const insertedConflicts = await trx.raw(
    `INSERT INTO notice_rows (notice_id, kind, catalog_code, source_file_id, row_number, record_source_id,
       business_key) ${conflicts.toQuery()}`,
  );
  rows += insertedConflicts.rowCount ?? 0;
  return { id: noticeId, rows };
}

/** One notice as stored, or undefined when there is no such notice. */
export async function findNotice(warehouse: Warehouse, noticeId: number): Promise<NoticeRecord | undefined> {
  return warehouse('notices').where({ id: noticeId }).first<NoticeRecord | undefined>();
}

/** Whether record `r` holds the usable key fields of a notice row without a full key. */
const HOLDS_KEY_PARTS = `nr.key_parts IS NOT NULL AND NOT EXISTS (
  SELECT 1 FROM jsonb_each_text(nr.key_parts) AS part
  WHERE split_part(r.business_key, chr(31), part.key::int) <> part.value)`;

/** The non-empty key parts of a notice row without a full key. */
const KEY_PART_VALUES = `ARRAY(SELECT part.value FROM jsonb_each_text(nr.key_parts) AS part WHERE part.value <> '')`;

/**
 * A LIKE pattern every business key holding a notice row's key parts matches: the parts at their positions, any
 * text for the others. Only a narrowing, cheap to test on every record of a catalog entry: HOLDS_KEY_PARTS decides.
 */
const KEY_PARTS_PATTERN = `(SELECT string_agg(COALESCE(
    replace(replace(replace(nr.key_parts ->> g::text, '\\', '\\\\'), '%', '\\%'), '_', '\\_'), '%'),
    chr(31) ORDER BY g) || '%'
  FROM generate_series(1, (SELECT max(k::int) FROM jsonb_object_keys(nr.key_parts) AS k)) AS g)`;

/**
 * Whether a later file of the notice's provider re-delivered record `r` unchanged and counted it in its summary
 * instead of a lineage row: a file that delivered the record as delivered_records counts it and has no lineage row
 * of it (that is the branch that reads lineage, where a conflict is no correction). record_delivered_unchanged
 * (048-record-delivered-unchanged.ts) answers it for all the provider's later files in one call, from the
 * record's own events: asking record_delivered_by (045) per later summarized file was 365 calls a row after a
 * year of nightly dumps (12–14 s for a notice of 1,000 rows whose records stand in another channel).
 */
const COMPACTED = `EXISTS (SELECT 1 FROM record_delivered_unchanged(r.id, n.provider_code, nr.source_file_id))`;

/**
 * A notice row is corrected when a later accepted delivery (any outcome but `conflict`, in a source file
 * loaded after the row's own) from the notice's provider carries the row's business key in the same catalog
 * entry; a row without a full key matches on its usable key fields (src/report/notice-key.ts). A delivery is
 * what the rest of the warehouse counts as one (delivered_records, 017-compact-lineage.ts): a lineage row, or a
 * re-delivery of the record unchanged that its file counted in its summary instead (the compact and fast paths
 * write no lineage row for it, e.g. the key sent once again after a file that repeated it). A conflict row
 * resolved in the notice log ("确认以省级数据为准", 016) is done as well.
 */
const CORRECTED = `(EXISTS (
  SELECT 1 FROM notice_events e WHERE e.notice_row_id = nr.id AND e.kind = 'resolved'
) OR EXISTS (
  SELECT 1 FROM records r JOIN record_sources s ON s.record_id = r.id
  WHERE r.catalog_code = nr.catalog_code AND r.business_key = nr.business_key
    AND s.provider_code = n.provider_code AND s.outcome <> 'conflict' AND s.source_file_id > nr.source_file_id
) OR EXISTS (
  -- OFFSET 0: the later files' lineage rows first, their records after (never every record of the entry).
  SELECT 1 FROM (
    SELECT s.record_id FROM record_sources s
    WHERE nr.business_key IS NULL AND s.source_file_id > nr.source_file_id
      AND s.provider_code = n.provider_code AND s.outcome <> 'conflict' OFFSET 0) s
  JOIN records r ON r.id = s.record_id
  WHERE r.catalog_code = nr.catalog_code AND ${HOLDS_KEY_PARTS}
) OR EXISTS (
  SELECT 1 FROM unchanged_deliveries u
  WHERE u.provider_code = n.provider_code AND u.catalog_code = nr.catalog_code AND u.source_file_id > nr.source_file_id
) AND (EXISTS (
  SELECT 1 FROM records r WHERE r.catalog_code = nr.catalog_code AND r.business_key = nr.business_key AND ${COMPACTED}
) OR EXISTS (
  -- A row without a full key: the records holding its parts, looked up by index. Each non-empty part of such a
  -- record is its subject code (records_subject) or in the GIN of its other parts (029-key-parts-beside-subject).
  SELECT 1 FROM records r
  WHERE nr.business_key IS NULL AND r.subject_code = ANY (${KEY_PART_VALUES}) AND r.catalog_code = nr.catalog_code
    AND ${HOLDS_KEY_PARTS} AND ${COMPACTED}
) OR EXISTS (
  SELECT 1 FROM records r
  WHERE nr.business_key IS NULL AND r.business_key LIKE ${KEY_PARTS_PATTERN}
    AND array_remove(array_remove(string_to_array(r.business_key, E'\\x1f'), r.subject_code), '') @> ${KEY_PART_VALUES}
    AND r.catalog_code = nr.catalog_code AND ${HOLDS_KEY_PARTS} AND ${COMPACTED})))`;

/**
 * Runs a query that reads CORRECTED without JIT: its estimate (a subquery per branch per row) passes JIT's
 * threshold though it runs in milliseconds, and compiling took longer than the query (~0.2–0.3 s a call, as for
 * merge-staged.ts). SET LOCAL ends with the transaction (a savepoint when `warehouse` is one already).
 */
function withoutJit<T>(warehouse: Warehouse, run: (trx: Warehouse) => Promise<T>): Promise<T> {
  return warehouse.transaction(async (trx) => {
    await trx.raw('SET LOCAL jit = off');
    return run(trx);
  });
}

/** Every notice row with whether it has been corrected, in row order. */
export async function noticeRowStates(warehouse: Warehouse, noticeId: number): Promise<Map<number, boolean>> {
  const { rows } = await withoutJit(warehouse, (trx) =>
    trx.raw<{ rows: { id: number; corrected: boolean }[] }>(
      `SELECT nr.id, ${CORRECTED} AS corrected
       FROM notice_rows nr JOIN notices n ON n.id = nr.notice_id WHERE nr.notice_id = ? ORDER BY nr.id`,
      [noticeId],
    ),
  );
  return new Map(rows.map((row) => [row.id, row.corrected]));
}

/** A notice with how many rows it covers and how many of them were corrected. */
export interface NoticeTally {
  id: number;
  provider_code: string;
  issued_on: string;
  deadline: string;
  provisional: boolean;
  rows: number;
  corrected: number;
  /** Rows escalated in the notice log and not done since. */
  escalated: number;
  /** The notice log's `closed` event, if any (how, and the basis when closed by hand). */
  closed_how: 'redelivery' | 'conflicts-resolved' | 'by-hand' | null;
  closed_basis: string | null;
}

/** Notices with their rows counted, newest first; optionally one provider's or one notice. */
export async function noticeTallies(
  warehouse: Warehouse,
  filter: { providerCode?: string; noticeId?: number } = {},
): Promise<NoticeTally[]> {
  const { rows } = await withoutJit(warehouse, (trx) =>
    trx.raw<{ rows: NoticeTally[] }>(
      `SELECT n.id, n.provider_code, n.issued_on, n.deadline, n.provisional,
       count(nr.id)::int AS rows, count(nr.id) FILTER (WHERE ${CORRECTED})::int AS corrected,
       count(nr.id) FILTER (WHERE EXISTS (
         SELECT 1 FROM notice_events e WHERE e.notice_row_id = nr.id AND e.kind = 'escalated') AND NOT ${CORRECTED})::int AS escalated,
       closed.closed_how, closed.basis AS closed_basis
     FROM notices n LEFT JOIN notice_rows nr ON nr.notice_id = n.id
     LEFT JOIN LATERAL (SELECT e.closed_how, e.basis FROM notice_events e
       WHERE e.notice_id = n.id AND e.kind = 'closed' ORDER BY e.id LIMIT 1) closed ON true
     WHERE (?::text IS NULL OR n.provider_code = ?) AND (?::bigint IS NULL OR n.id = ?)
     GROUP BY n.id, closed.closed_how, closed.basis ORDER BY n.id DESC`,
      [
        filter.providerCode ?? null,
        filter.providerCode ?? null,
        filter.noticeId ?? null,
        filter.noticeId ?? null,
      ],
    ),
  );
  return rows;
}

/** How many of a notice's rows are of each kind. */
export async function noticeRowKinds(
  warehouse: Warehouse,
  noticeId: number,
): Promise<{ kind: string; count: number }[]> {
  return warehouse('notice_rows')
    .where({ notice_id: noticeId })
    .groupBy('kind')
    .select<{ kind: string; count: number }[]>('kind', warehouse.raw('count(*)::int AS count'));
}

/** The catalog entries a notice's rows belong to, in code order. */
export async function noticeCatalogCodes(warehouse: Warehouse, noticeId: number): Promise<string[]> {
  const rows = await warehouse('notice_rows')
    .where({ notice_id: noticeId })
    .distinct<{ catalog_code: string }[]>('catalog_code')
    .orderBy('catalog_code');
  return rows.map((row) => row.catalog_code);
}

/** A notice row joined to its file and to its rejection or its conflicting lineage (snake_case columns). */
export interface NoticeRowRecord {
  id: number;
  kind: 'rejected' | 'conflict';
  catalog_code: string;
  source_file_id: number;
  row_number: number;
  business_key: string | null;
  key_parts: Record<string, string> | null;
  file: string;
  run_id: number;
  provider_code: string;
  raw: Record<string, string>;
  errors: RowError[];
  conflict_data: Record<string, unknown> | null;
  current_data: Record<string, unknown> | null;
  /** The conflicting row's record state: a retired record's later delivery is not applied (012). */
  status: 'current' | 'withdrawn' | 'superseded' | null;
  superseded_by: number | null;
  /** The legal basis of the procedure that retired the record. */
  basis: string | null;
  /** The procedure that wrote the record's current version, and its basis: a correction stands (031). */
  corrected_by: number | null;
  correction_basis: string | null;
  /** The conflicting delivery's channel level, and the record's: equal when another provider of the level holds it. */
  delivered_level: string | null;
  record_level: string | null;
}

const PAGE = 2000;

/** The rows of a notice in order (keyset paging), optionally of one catalog entry. */
export function noticeRowRecords(
  warehouse: Warehouse,
  noticeId: number,
  catalogCode?: string,
): AsyncGenerator<NoticeRowRecord> {
  return keysetPages<NoticeRowRecord>(PAGE, (after) => {
    const query = warehouse('notice_rows as nr')
      .join('source_files as f', 'f.id', 'nr.source_file_id')
      .leftJoin('rejections as rj', 'rj.id', 'nr.rejection_id')
      .leftJoin('record_sources as s', 's.id', 'nr.record_source_id')
      .leftJoin('records as r', 'r.id', 's.record_id')
      .leftJoin('record_versions as cv', 'cv.id', 'r.current_version_id')
      .leftJoin('procedure_log as p', 'p.id', 'r.status_procedure_id')
      .leftJoin('procedure_log as cp', 'cp.id', 'cv.procedure_id')
      .where('nr.notice_id', noticeId)
      .andWhere('nr.id', '>', after)
      .orderBy('nr.id')
      .limit(PAGE)
      .select(
        'nr.id',
        'nr.kind',
        'nr.catalog_code',
        'nr.source_file_id',
        'nr.row_number',
        'nr.business_key',
        'nr.key_parts',
        'f.name as file',
        'f.run_id',
        'f.provider_code',
        'rj.raw',
        'rj.errors',
        's.conflict_data',
        'cv.data as current_data',
        'r.status',
        'r.superseded_by',
        'p.basis',
        'cv.procedure_id as corrected_by',
        'cp.basis as correction_basis',
        's.level as delivered_level',
        'r.level as record_level',
      );
    if (catalogCode) query.where('nr.catalog_code', catalogCode);
    return query;
  });
}
