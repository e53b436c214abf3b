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

/**
 * What recording a notice came to: recorded (its rows, the rows of its scope left out as corrected already, and
 * the valid rows of its files refused whole), or refused because the scope already has one, holds nothing, or
 * holds only rows corrected since.
 */
export type RecordedNotice =
  /** `rows`: its rows, and the `held` valid rows of its files held back whole (counted as noticeTallies counts). */
  | { kind: 'recorded'; id: number; rows: number; alreadyCorrected: number; held: number }
  | { kind: 'duplicate'; existing: NoticeRecord }
  | { kind: 'empty' }
  | { kind: 'all-corrected'; corrected: number };

/** The note of a notice's `issued` event when rows of its scope were corrected before it was issued. */
const ALREADY_CORRECTED_NOTE = (rows: number) => `发出前已更正 ${rows} 行，未列入本通知`;
const ALREADY_CORRECTED_PATTERN = /^发出前已更正 (\d+) 行/;

/**
 * The valid rows of a file held back whole (`failed-threshold`: over its reject threshold, or a full dump taken
 * for truncated): read, not rejected, never applied (reject-threshold.ts). Their keys are not kept: they are
 * counted as the file's summary counts them, and answered by the whole file sent again (HELD_REDELIVERED).
 */
const HELD_ROWS = (f: string) =>
  `greatest(coalesce((${f}.counts->>'read')::bigint, 0) - coalesce((${f}.counts->>'rejected')::bigint, 0), 0)`;

/**
 * Whether a file held back whole was sent again whole: a later file of its provider in its catalog entry was
 * loaded, and it read at least as many rows as the held-back one. Only the whole file answers for the rows held
 * back with it (their keys were never kept): the rejected rows alone, sent again, leave them open.
 */
const HELD_REDELIVERED = (f: string) => `EXISTS (
  SELECT 1 FROM source_files g
  WHERE g.provider_code = ${f}.provider_code AND g.catalog_code = ${f}.catalog_code AND g.status = 'loaded'
    AND g.id > ${f}.id AND coalesce((g.counts->>'read')::bigint, 0) >= coalesce((${f}.counts->>'read')::bigint, 0))`;

/**
 * Records a notice in one transaction: the provider's rejected rows in the scope (each with the key `keyOf`
 * derives), its conflicting rows, and the `issued` event. A row a later delivery corrected already (CORRECTED) is
 * left out, unless its file was held back whole and not sent again whole since: the letter asks for that whole
 * file, its corrected rows included. Refused, with nothing written, when a notice of the same provider and scope
 * exists (one notice per scope: a re-send is an event of that notice, not a copy), when the scope holds none of the
 * provider's rows, or when every one of them is corrected already. Issuers of one provider take turns (advisory
 * lock), so two at once cannot both pass the duplicate check.
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
    // CORRECTED's estimate passes JIT's threshold though it runs in milliseconds (withoutJit).
    await trx.raw('SET LOCAL jit = off');
    const rejected = await openRejectedRows(trx, notice, keyOf);
    const conflicts = await conflictCounts(trx, notice);
    const rows = rejected.rows.length + conflicts.open;
    const alreadyCorrected = rejected.corrected + conflicts.corrected;
    if (rows === 0) return { kind: 'all-corrected', corrected: alreadyCorrected };
    const id = await insertNotice(trx, notice, rejected.rows);
    await trx('notice_events').insert({
      notice_id: id,
      kind: 'issued',
      operator,
      note: alreadyCorrected > 0 ? ALREADY_CORRECTED_NOTE(alreadyCorrected) : null,
    });
    const held = (await noticeHeldFiles(trx, id)).reduce((sum, file) => sum + file.held, 0);
    return { kind: 'recorded', id, rows: rows + held, alreadyCorrected, held };
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

/** A rejected row of the scope as a notice row, without its notice. */
interface OpenRejectedRow {
  kind: 'rejected';
  catalog_code: string;
  source_file_id: number;
  row_number: number;
  rejection_id: number;
  business_key: string | null;
  key_parts: string | null;
}

/**
 * The provider's rejected rows in the scope that still ask for a correction, each with its key, and how many
 * were corrected already. A row of a file held back whole with valid rows, not sent again whole, stays, corrected
 * or not: the notice asks for that file.
 */
async function openRejectedRows(
  trx: Warehouse,
  notice: NewNotice,
  keyOf: (rejection: RejectionRow) => NoticeRowKey,
): Promise<{ rows: OpenRejectedRow[]; corrected: number }> {
  const heldFiles: { id: number }[] = await whereInScope(
    trx('source_files as f')
      .where('f.provider_code', notice.provider_code)
      .where('f.status', 'failed-threshold')
      .whereRaw(`${HELD_ROWS('f')} > 0 AND NOT ${HELD_REDELIVERED('f')}`)
      .select('f.id'),
    notice.scope,
  );
  const heldOpen = new Set(heldFiles.map((file) => Number(file.id)));
  const rows: OpenRejectedRow[] = [];
  let corrected = 0;
  let batch: OpenRejectedRow[] = [];
  const settle = async () => {
    const open = await uncorrected(
      trx,
      notice.provider_code,
      batch.filter((row) => !heldOpen.has(Number(row.source_file_id))),
    );
    for (const row of batch)
      if (heldOpen.has(Number(row.source_file_id)) || open.has(row)) rows.push(row);
      else corrected++;
    batch = [];
  };
  for await (const rejection of rejectionsIn(trx, notice.scope)) {
    if (rejection.providerCode !== notice.provider_code) continue;
    const key = keyOf(rejection);
    batch.push({
      kind: 'rejected',
      catalog_code: rejection.catalogCode,
      source_file_id: rejection.sourceFileId,
      row_number: rejection.rowNumber,
      rejection_id: rejection.id,
      business_key: key.businessKey,
      key_parts: key.keyParts ? JSON.stringify(key.keyParts) : null,
    });
    if (batch.length >= BATCH) await settle();
  }
  if (batch.length > 0) await settle();
  return { rows, corrected };
}

/** Which of the rows are not corrected (CORRECTED, for rows not recorded yet: no log event can resolve them). */
async function uncorrected(
  trx: Warehouse,
  providerCode: string,
  rows: OpenRejectedRow[],
): Promise<Set<OpenRejectedRow>> {
  if (rows.length === 0) return new Set();
  const candidates = rows.map((row, i) => ({
    i,
    catalog_code: row.catalog_code,
    source_file_id: row.source_file_id,
    business_key: row.business_key,
    key_parts: row.key_parts === null ? null : JSON.parse(row.key_parts),
  }));
  const { rows: done } = await trx.raw<{ rows: { i: number }[] }>(
    `SELECT nr.i FROM jsonb_to_recordset(?::jsonb) AS nr(i int, id bigint, catalog_code text,
       source_file_id bigint, business_key text, key_parts jsonb)
     CROSS JOIN (SELECT ?::text AS provider_code) n
     WHERE ${CORRECTED}`,
    [JSON.stringify(candidates), providerCode],
  );
  const corrected = new Set(done.map((row) => row.i));
  return new Set(rows.filter((_, i) => !corrected.has(i)));
}

/** The provider's conflicting rows in the scope, as notice rows would hold them (CORRECTED reads `nr`, `n`). */
function scopeConflicts(trx: Warehouse, notice: NewNotice, noticeId: number | null): string {
  const conflicts = whereInScope(
    trx('record_sources as s')
      .join('source_files as f', 'f.id', 's.source_file_id')
      .join('records as r', 'r.id', 's.record_id')
      .where('s.outcome', 'conflict')
      .where('s.provider_code', notice.provider_code)
      .select(
        trx.raw('?::bigint AS notice_id', [noticeId]),
        trx.raw(`'conflict' AS kind`),
        'r.catalog_code',
        's.source_file_id',
        's.row_number',
        's.id AS record_source_id',
        'r.business_key',
        trx.raw('NULL::bigint AS id'),
        trx.raw('NULL::jsonb AS key_parts'),
        's.provider_code',
      ),
    notice.scope,
  );
  return `(${conflicts.toQuery()}) nr CROSS JOIN LATERAL (SELECT nr.provider_code) n`;
}

/** How many of the provider's conflicting rows in the scope are still open, and how many corrected already. */
async function conflictCounts(
  trx: Warehouse,
  notice: NewNotice,
): Promise<{ open: number; corrected: number }> {
  const { rows } = await trx.raw<{ rows: { open: number; corrected: number }[] }>(
    `SELECT count(*) FILTER (WHERE NOT ${CORRECTED})::int AS open, count(*) FILTER (WHERE ${CORRECTED})::int AS corrected
     FROM ${scopeConflicts(trx, notice, null)}`,
  );
  return rows[0] ?? { open: 0, corrected: 0 };
}

/**
 * Inserts the notice with its rows. Its id is its number (`信用复核〔2026〕5号`, issuer.ts), so it is the next after
 * the last notice recorded, not the column's sequence: a sequence value is used up by a transaction that rolls
 * back (a notice whose workbook could not be written, issueNotice), and the numbers of the letters sent would
 * skip it. Issuers take turns for the number (advisory lock, held until their transaction ends: after the
 * provider's lock, so two issuers never wait for each other); notices are never deleted (010), so no number
 * comes back.
 */
async function insertNotice(trx: Warehouse, notice: NewNotice, rejected: OpenRejectedRow[]): Promise<number> {
  await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', ['credit-etl:notice-number']);
  const [inserted] = await trx('notices')
    .insert({
      id: trx.raw('(SELECT coalesce(max(id), 0) + 1 FROM notices)'),
      ...notice,
      scope: JSON.stringify(notice.scope),
    })
    .returning<{ id: number }[]>('id');
  const noticeId = Number(inserted!.id);
  for (let at = 0; at < rejected.length; at += BATCH)
    await trx('notice_rows').insert(
      rejected.slice(at, at + BATCH).map((row) => ({ ...row, notice_id: noticeId })),
    );
  await trx.raw(
    `INSERT INTO notice_rows (notice_id, kind, catalog_code, source_file_id, row_number, record_source_id,
       business_key)
     SELECT nr.notice_id, nr.kind, nr.catalog_code, nr.source_file_id, nr.row_number, nr.record_source_id,
       nr.business_key
     FROM ${scopeConflicts(trx, notice, noticeId)} WHERE NOT ${CORRECTED} ORDER BY nr.record_source_id`,
  );
  return noticeId;
}

/** A file of a notice held back whole: its valid rows were never loaded, and the notice asks for them. */
export interface NoticeHeldFile {
  source_file_id: number;
  name: string;
  catalog_code: string;
  /** `reject-threshold-exceeded`, or `truncated-dump` (a full dump taken for truncated). */
  error_code: string | null;
  read: number;
  rejected: number;
  held: number;
  /** The whole file was sent again and loaded since (HELD_REDELIVERED). */
  redelivered: boolean;
}

/** The files of a notice's rows held back whole (`failed-threshold`), in file order. */
export async function noticeHeldFiles(warehouse: Warehouse, noticeId: number): Promise<NoticeHeldFile[]> {
  const { rows } = await warehouse.raw<{ rows: NoticeHeldFile[] }>(
    `SELECT f.id AS source_file_id, f.name, f.catalog_code, f.error_code,
       coalesce((f.counts->>'read')::int, 0) AS read, coalesce((f.counts->>'rejected')::int, 0) AS rejected,
       ${HELD_ROWS('f')}::int AS held, ${HELD_REDELIVERED('f')} AS redelivered
     FROM (SELECT DISTINCT nr.source_file_id FROM notice_rows nr WHERE nr.notice_id = ?) nr
     JOIN source_files f ON f.id = nr.source_file_id
     WHERE f.status = 'failed-threshold'
     ORDER BY f.id`,
    [noticeId],
  );
  return rows;
}

/** How many rows of a notice's scope were corrected before it was issued and left out of it (its `issued` note). */
export async function correctedBeforeIssue(warehouse: Warehouse, noticeId: number): Promise<number> {
  const issued = await warehouse('notice_events')
    .where({ notice_id: noticeId, kind: 'issued' })
    .orderBy('id')
    .first<{ note: string | null } | undefined>('note');
  const match = ALREADY_CORRECTED_PATTERN.exec(issued?.note ?? '');
  return match ? Number(match[1]) : 0;
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

/**
 * A notice with how many rows it covers and how many of them were corrected. Both count the valid rows of its
 * files held back whole (HELD_ROWS), corrected when the whole file was sent again (HELD_REDELIVERED): a notice
 * answered by its rejected rows alone stays open, the rows held back with them still missing.
 */
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
       (count(nr.id) + held.rows)::int AS rows,
       (count(nr.id) FILTER (WHERE ${CORRECTED}) + held.redelivered)::int AS corrected,
       count(nr.id) FILTER (WHERE EXISTS (
         SELECT 1 FROM notice_events e WHERE e.notice_row_id = nr.id AND e.kind = 'escalated') AND NOT ${CORRECTED})::int AS escalated,
       closed.closed_how, closed.basis AS closed_basis
     FROM notices n LEFT JOIN notice_rows nr ON nr.notice_id = n.id
     LEFT JOIN LATERAL (SELECT e.closed_how, e.basis FROM notice_events e
       WHERE e.notice_id = n.id AND e.kind = 'closed' ORDER BY e.id LIMIT 1) closed ON true
     CROSS JOIN LATERAL (SELECT coalesce(sum(${HELD_ROWS('f')}), 0) AS rows,
         coalesce(sum(${HELD_ROWS('f')}) FILTER (WHERE ${HELD_REDELIVERED('f')}), 0) AS redelivered
       FROM (SELECT DISTINCT x.source_file_id FROM notice_rows x WHERE x.notice_id = n.id) x
       JOIN source_files f ON f.id = x.source_file_id WHERE f.status = 'failed-threshold') held
     WHERE (?::text IS NULL OR n.provider_code = ?) AND (?::bigint IS NULL OR n.id = ?)
     GROUP BY n.id, closed.closed_how, closed.basis, held.rows, held.redelivered ORDER BY n.id DESC`,
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
  /** The record's subject: a delivery naming another one is a conflict (merge-staged.ts). */
  record_subject_code: string | null;
  /** The catalog entry version the row's file was read by. */
  catalog_version: number | null;
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
        'r.subject_code as record_subject_code',
        'f.catalog_version',
      );
    if (catalogCode) query.where('nr.catalog_code', catalogCode);
    return query;
  });
}
