import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';
import { compactUnchangedRuns } from './compact-unchanged-runs.ts';
import { type CacheStamp, keepFingerprintCache } from './fingerprint-cache-repository.ts';
import { mergeWithdrawals } from './merge-withdrawals.ts';

export interface MergeContext {
  runId: number;
  sourceFileId: number;
  catalogCode: string;
  catalogVersion: number;
  providerCode: string;
  level: ChannelLevel;
  /** Channel precedence of the entry, highest first. */
  precedence: readonly ChannelLevel[];
  /** The unit's received time, for rows without a time of their own. */
  receivedAt: Date;
  /** The pipeline declares withdrawal signals: the unit may hold withdrawal requests (merge-withdrawals.ts). */
  withdrawals?: boolean;
  /** The business key's decision-number field (`CF_WSH`): the value a rejected withdrawal names. */
  numberField?: string | undefined;
  /** Write a lineage row for every delivered row: no compact runs (compact-unchanged-runs.ts). */
  fullLineage?: boolean;
  /** Rows the fast path of a re-delivery took (src/run/fast-redelivery.ts): `unchanged`, compacted. */
  fast?: FastRows;
  /** The shape of the unit's row fingerprints: the channel's fingerprint cache is kept after the merge. */
  fingerprintShape?: string;
  /** Rows merged while the unit was read (merge-while-reading.ts), listed in `early_inserted`. */
  mergedWhileReading?: number;
}

/** What the fast path took: counted, never staged; the channel's cache they were recognised by. */
export interface FastRows {
  rows: number;
  late: number;
  channelId: number;
  /** The cache as it was read: the merge takes the fast rows only if the channel still has that one. */
  stamp: CacheStamp;
  /** The cache's fingerprinted records no fast row took: still standing for compaction. */
  notTaken: readonly number[];
}

/** One merge per catalog entry at a time: two units delivering the same key cannot race. */
export async function lockEntryForMerge(session: UnitSession, catalogCode: string): Promise<void> {
  await session.query(`SELECT pg_advisory_xact_lock(${MERGE_LOCK})`, [catalogCode]);
}

/** The same lock when no other unit holds it: whether it is now held (to the end of the transaction). */
export async function tryLockEntryForMerge(session: UnitSession, catalogCode: string): Promise<boolean> {
  const [row] = await session.query<{ locked: boolean }>(
    `SELECT pg_try_advisory_xact_lock(${MERGE_LOCK}) AS locked`,
    [catalogCode],
  );
  return row?.locked === true;
}

const MERGE_LOCK = `hashtext('credit-etl:merge:' || $1)`;

/**
 * After rows were merged while the unit was read, only the keys not merged early are looked up among the records:
 * a first load of 1M rows would otherwise join back the ~1M records it has just written (classify 5 → 16 s). Only
 * then: as a semi-join it cost a 400,000-row night on the full path 0.7 s more than the plain join (2.5 → 3.3 s).
 */
const EXCEPT_MERGED_EARLY =
  'AND r.business_key IN (SELECT business_key FROM valid WHERE row_number = first_row AND early_record_id IS NULL)';

export interface MergeCounts {
  inserted: number;
  updated: number;
  unchanged: number;
  merged: number;
  conflict: number;
  /** Withdrawal requests (a source row's soft-delete flag or 当前状态 撤销): merge-withdrawals.ts. */
  withdrawn: number;
  rejected: number;
  late: number;
  /** Rows whose timeliness waits for calendar data (late unknown): `credit-etl calendar recompute`. */
  pending: number;
  warned: number;
}

/** Staged rows that failed validation become rejections, each with every error found. */
export async function storeStagedRejections(
  session: UnitSession,
  context: Pick<MergeContext, 'runId' | 'sourceFileId' | 'catalogCode' | 'providerCode'>,
): Promise<void> {
  await session.query(
    `INSERT INTO rejections (run_id, source_file_id, row_number, catalog_code, provider_code, raw, errors)
     SELECT $1, $2, row_number, $3, $4, raw::jsonb, errors::jsonb FROM stage WHERE errors IS NOT NULL`,
    [context.runId, context.sourceFileId, context.catalogCode, context.providerCode],
  );
}

/**
 * Merges the staged unit into the warehouse, set-based, in the caller's transaction. Each staged row gets
 * exactly one outcome (DESIGN.md "Outcomes"): validation rejects and in-file duplicates become rejections;
 * the first row of each key is compared with the record's current version and the channel precedence.
 */
export async function mergeStaged(session: UnitSession, context: MergeContext): Promise<MergeCounts> {
  const { runId, sourceFileId, catalogCode, catalogVersion, providerCode, level, precedence, receivedAt } =
    context;
  await lockEntryForMerge(session, catalogCode);
  // The temp tables have no statistics until analyzed: without them the planner guesses ~1,000 rows, picks
  // sorts that spill to disk and switches JIT on (bench: ~0.5 s of JIT per query at 50k rows).
  await session.query(`SET LOCAL work_mem = '256MB'`);
  await session.query('SET LOCAL jit = off');
  await session.query('ANALYZE stage (row_number, business_key, errors, withdrawal)');
  await session.query('ANALYZE early_inserted');
  await storeStagedRejections(session, context);
  const mergedEarly = (context.mergedWhileReading ?? 0) > 0;
  // Ids are drawn here, in row order, so every later statement writes straight from this table: no
  // RETURNING joins back by key, and lineage never looks a record up in the (large) records table.
  await session.query(
    `CREATE TEMP TABLE classified ON COMMIT DROP AS
     WITH valid AS (
       -- No row data: it is joined back from stage only for rows that are stored (a re-delivery stores none).
       -- Each row carries its key's first row in the file, and the record and version that first row was given while
       -- the unit was read (merge-while-reading.ts: its key is new, its record this unit's own): one sort by key,
       -- where a list of first rows joined back by key took a second pass and a hash of them all (1M rows: 7.3 →
       -- 5.9–6.7 s for a first load, 14.7 → 9.1–10.6 s for a night on the full path).
       SELECT s.row_number, s.business_key, s.subject_code, s.content_hash, s.formation_date, s.late, s.working_days,
              s.received_at, s.warnings,
              first_value(s.row_number) OVER keyed AS first_row, first_value(s.content_hash) OVER keyed AS first_hash,
              first_value(s.subject_code) OVER keyed AS first_subject,
              first_value(e.record_id) OVER keyed AS early_record_id,
              first_value(e.version_id) OVER keyed AS early_version_id
       -- A withdrawal request is never data: merge-withdrawals.ts takes it after the data rows.
       FROM stage s LEFT JOIN early_inserted e USING (row_number)
       WHERE s.errors IS NULL AND s.withdrawal IS NULL
       WINDOW keyed AS (PARTITION BY s.business_key ORDER BY s.row_number)
     ),
     known AS (
       SELECT r.business_key, r.id, r.level, r.status, r.subject_code, r.current_version_id, cv.version_no,
              cv.content_hash,
              cv.procedure_id IS NOT NULL AS corrected
       FROM records r LEFT JOIN record_versions cv ON cv.id = r.current_version_id
       WHERE r.catalog_code = $3 ${mergedEarly ? EXCEPT_MERGED_EARLY : ''}
     ),
     judged AS (
       SELECT v.row_number, v.business_key, v.subject_code, v.content_hash, v.formation_date, v.late, v.working_days,
         v.received_at, v.warnings, v.first_row, v.first_subject, COALESCE(k.id, v.early_record_id) AS known_record_id,
         k.current_version_id, k.version_no AS current_version_no,
         CASE WHEN v.row_number = v.first_row THEN v.early_version_id END AS early_version_id,
         CASE
           WHEN v.row_number <> v.first_row AND v.content_hash <> v.first_hash THEN 'duplicate'
           WHEN v.row_number <> v.first_row THEN 'repeat'
           WHEN v.early_record_id IS NOT NULL OR k.id IS NULL THEN 'inserted'
           -- A record a legal procedure (or its provider's withdrawal request) withdrew or superseded is never brought
           -- back by a delivery, and a delivery of it is never a silent re-delivery either: whatever it carries, even
           -- the very content it was withdrawn with, it is a conflict (lineage, review notices and the quality
           -- bulletin show it), not applied. Before the equal-content branches, which would count it 'unchanged'.
           WHEN k.status <> 'current' THEN 'conflict'
           -- The record's level is always a channel that delivered its current content (inserted, updated or
           -- merged it): when it is this channel, no lineage lookup is needed (a nightly full dump: most rows).
           WHEN k.content_hash = v.content_hash AND (k.level = $1 OR EXISTS (
             SELECT 1 FROM record_sources s
             -- A delivery of the content: not a conflict, nor a withdrawal request (which names the record, and
             -- carries its content, without delivering it). A version: warehouses loaded before repeats of
             -- conflicts were conflicts hold such repeats as 'unchanged' rows without one.
             WHERE s.record_id = k.id AND s.level = $1 AND s.content_hash = v.content_hash
               AND s.outcome IN ('inserted', 'updated', 'unchanged', 'merged') AND s.version_id IS NOT NULL
           )) THEN 'unchanged'
           WHEN k.content_hash = v.content_hash THEN 'merged'
           -- Nor does a delivery move a record to another subject (a key without the code that tells two subjects
           -- apart: a 个体工商户 behind the placeholder USCC is told by its 工商注册号, which is not in xzcf's key): from
           -- any channel, a row filing the key under another subject is a conflict, kept and reported, for the officers
           -- to weigh (a real correction of the subject is a legal procedure: correct, reattribute).
           WHEN k.subject_code IS DISTINCT FROM v.subject_code THEN 'conflict'
           -- Nor is a legal procedure's correction (Art. 17, 18: an upheld objection) undone by the provider's next
           -- dump, still carrying what was corrected: other content is a conflict, for the officers to weigh.
           WHEN k.corrected THEN 'conflict'
           WHEN array_position($2::text[], $1) < array_position($2::text[], k.level) THEN 'updated'
           -- At the record's own level only the provider holding it there corrects it: the first to deliver its
           -- current version at that level (inserted or updated it, merged it raising the level, or re-delivered
           -- a version a procedure wrote; records/disagreements.ts and 039's withdrawal rule read it the same way). Other content from another department of the level (two
           -- cities; a provider's direct report naming a key it does not hold) is a conflict, kept and reported,
           -- never a silent overwrite of its record. Only corrections reach this lookup: a handful of rows a file.
           WHEN array_position($2::text[], $1) = array_position($2::text[], k.level) AND $4 = (
             SELECT s.provider_code FROM record_sources s
             WHERE s.record_id = k.id AND s.version_id = k.current_version_id AND s.level = k.level
               AND s.outcome IN ('inserted', 'updated', 'merged', 'unchanged')
             ORDER BY s.id LIMIT 1
           ) THEN 'updated'
           ELSE 'conflict'
         END AS outcome
       FROM valid v
       LEFT JOIN known k USING (business_key)
       ORDER BY v.row_number
     )
     -- The serial columns' own sequences (001-warehouse), named as literals: resolved once when the statement is
     -- planned, where pg_get_serial_sequence() would look the sequence up again for every row (bench: 0.4 s/100k).
     SELECT judged.*,
       COALESCE(known_record_id, CASE WHEN outcome = 'inserted' THEN nextval('records_id_seq') END) AS record_id,
       CASE WHEN outcome IN ('inserted', 'updated')
         THEN COALESCE(early_version_id, nextval('record_versions_id_seq')) END AS new_version_id
     FROM judged`,
    [level, precedence, catalogCode, providerCode],
  );
  await session.query('ANALYZE classified');
  // An exact repeat is judged as its first row was: the same again after an accepted row (`unchanged`), but after
  // a conflict it is that conflict again, not applied. Counted and kept as one (with its data), it can never pass
  // for a delivery the channel made of that content (the `unchanged` test above, notices, quality, lineage). After
  // the statistics, so the planner knows how few repeats and conflicts a file has.
  await session.query(
    `UPDATE classified c SET outcome = 'conflict'
     FROM classified f WHERE c.outcome = 'repeat' AND f.row_number = c.first_row AND f.outcome = 'conflict'`,
  );
  const { compacted, summarized } = await compactUnchangedRuns(session, context);
  const [expected] = await session.query<Record<'toInsert' | 'updated' | 'duplicate' | 'lineage', number>>(
    `SELECT -- Rows merged while reading are written already: they count as inserted, below, but are not written again.
            count(*) FILTER (WHERE outcome = 'inserted' AND early_version_id IS NULL)::int AS "toInsert",
            count(*) FILTER (WHERE outcome = 'updated')::int AS updated,
            count(*) FILTER (WHERE outcome = 'duplicate')::int AS duplicate,
            count(*) FILTER (WHERE outcome <> 'duplicate')::int - $1 AS lineage
     FROM classified`,
    [compacted],
  );
  if (!expected) throw new Error('merge: classification returned no counts');
  // Each statement must write exactly the rows the classification gave it (the bulk tables keep no per-row
  // foreign keys: 007-bulk-integrity.ts). A mismatch fails the unit and rolls everything back.
  const wrote = async (what: string, want: number, sql: string, params: unknown[]) => {
    const got = await session.execute(sql, params);
    if (got !== want) throw new Error(`merge: ${what} wrote ${got} rows, expected ${want}`);
  };
  // A repeated key with other content: rejected, naming the row that came first. When the two rows name different
  // subjects, deleting one would be no fix: the provider must find out whose decision it is (a key without the code
  // that tells them apart, as a 个体工商户's 工商注册号 behind the placeholder USCC), so the message says so.
  await wrote(
    'in-file duplicate rejections',
    expected.duplicate,
    `INSERT INTO rejections (run_id, source_file_id, row_number, catalog_code, provider_code, raw, errors)
     SELECT $1, $2, c.row_number, $3, $4, s.data, jsonb_build_array(CASE
       WHEN c.subject_code IS DISTINCT FROM c.first_subject THEN jsonb_build_object(
         'field', '*', 'code', 'subject-differs-in-batch', 'value', c.first_row::text,
         'message', '与第' || c.first_row || '行的业务主键相同，但行政相对人不同：本行的主体代码为"'
           || COALESCE(c.subject_code, '（无）') || '"，第' || c.first_row || '行的主体代码为"'
           || COALESCE(c.first_subject, '（无）') || '"。同一决定文书号在该业务主键下不能同时归属两个主体，'
           || '本行未入库（第' || c.first_row || '行按正常规则处理）：请勿直接删除，请与平台联系，核实该文书号应归属的主体')
       ELSE jsonb_build_object(
         'field', '*', 'code', 'duplicate-key-in-batch', 'value', c.first_row::text,
         'message', '与第' || c.first_row || '行的业务主键相同但内容不同：同一文件中同一条记录只能出现一次，请合并或删除重复行')
     END)
     FROM classified c JOIN stage s USING (row_number) WHERE c.outcome = 'duplicate'`,
    [runId, sourceFileId, catalogCode, providerCode],
  );
  await wrote(
    'new records',
    expected.toInsert,
    `INSERT INTO records (id, catalog_code, business_key, subject_code, level, current_version_id)
     SELECT record_id, $1, business_key, subject_code, $2, new_version_id
     FROM classified WHERE outcome = 'inserted' AND early_version_id IS NULL`,
    [catalogCode, level],
  );
  await wrote(
    'versions',
    expected.toInsert + expected.updated,
    `INSERT INTO record_versions (id, record_id, version_no, data, content_hash, catalog_version, formation_date,
                                  source_file_id, row_number, subject_code)
     SELECT c.new_version_id, c.record_id, COALESCE(c.current_version_no, 0) + 1, s.data, c.content_hash, $1,
            c.formation_date, $2, c.row_number, c.subject_code
     FROM classified c JOIN stage s USING (row_number)
     WHERE c.outcome IN ('inserted', 'updated') AND c.early_version_id IS NULL`,
    [catalogVersion, sourceFileId],
  );
  await wrote(
    'corrected records',
    expected.updated,
    // The subject stays: an `updated` row files the record under the subject it has (a row naming another subject
    // is a conflict, above).
    `UPDATE records r SET current_version_id = c.new_version_id, level = $1, updated_at = now()
     FROM classified c WHERE c.outcome = 'updated' AND r.id = c.record_id`,
    [level],
  );
  // In row order, so lineage ids follow the file (an in-file repeat comes after the row it repeats). A row's
  // version is the one current after this merge: its own new version, else the one it matched. Rows that
  // continue an unchanged run are counted in the file's summary instead (compact-unchanged-runs.ts).
  await wrote(
    'lineage',
    expected.lineage,
    `INSERT INTO record_sources (record_id, version_id, outcome, run_id, source_file_id, row_number, provider_code,
                                 level, content_hash, conflict_data, received_at, late, working_days, warnings,
                                 pending_formation_date)
     SELECT COALESCE(c.record_id, first.record_id),
       CASE WHEN c.outcome = 'conflict' THEN NULL
            WHEN c.outcome = 'repeat' THEN COALESCE(first.new_version_id, first.current_version_id)
            ELSE COALESCE(c.new_version_id, c.current_version_id) END,
       CASE c.outcome WHEN 'repeat' THEN 'unchanged' ELSE c.outcome END,
       $1, $2, c.row_number, $3, $4, c.content_hash,
       conflicted.data,
       COALESCE(c.received_at, $5), c.late, c.working_days, c.warnings::jsonb,
       -- Kept only while timeliness is pending: what the calendar recompute counts from (008-pending-timeliness).
       CASE WHEN c.late IS NULL THEN c.formation_date END
     FROM classified c
     -- Each side joined holds only the rows it can give: the firsts of repeated rows, and the staged data of
     -- conflicts. Whole, both were hashed for every row of the file (at a million rows 2–3 s of a
     -- statement whose rows a first load never needs).
     LEFT JOIN (
       SELECT * FROM classified WHERE row_number IN (SELECT first_row FROM classified WHERE outcome = 'repeat')
     ) first ON c.outcome = 'repeat' AND first.row_number = c.first_row
     -- Row data only for deliveries kept as conflicts (their exact in-file repeats are conflicts too).
     LEFT JOIN (
       SELECT row_number, data FROM stage
       WHERE row_number IN (SELECT row_number FROM classified WHERE outcome = 'conflict')
     ) conflicted ON conflicted.row_number = c.row_number
     WHERE c.outcome <> 'duplicate'
       AND NOT EXISTS (SELECT 1 FROM unchanged_run u WHERE u.row_number = c.row_number)
     ORDER BY c.row_number`,
    [runId, sourceFileId, providerCode, level, receivedAt],
  );
  // Equal content from a higher channel raises the level that vouches for the current version. After the
  // lineage: the database lets a level rise only to a channel that delivered the current version (010-roles).
  await session.execute(
    `UPDATE records r SET level = $1, updated_at = now()
     FROM classified c
     WHERE c.outcome = 'merged' AND r.id = c.record_id
       AND array_position($2::text[], $1) < array_position($2::text[], r.level)`,
    [level, precedence],
  );
  const withdrawals = context.withdrawals
    ? await mergeWithdrawals(session, context)
    : { withdrawn: 0, rejected: 0 };
  if (context.fingerprintShape !== undefined && !context.fullLineage)
    await keepFingerprintCache(session, {
      channel: { catalogCode, providerCode, level },
      sourceFileId,
      shape: context.fingerprintShape,
      summarized,
      usedChannelId: context.fast?.channelId,
    });
  const [counts] = await session.query<MergeCounts>(
    `SELECT
       count(*) FILTER (WHERE outcome = 'inserted')::int AS inserted,
       count(*) FILTER (WHERE outcome = 'updated')::int AS updated,
       count(*) FILTER (WHERE outcome IN ('unchanged', 'repeat'))::int AS unchanged,
       count(*) FILTER (WHERE outcome = 'merged')::int AS merged,
       count(*) FILTER (WHERE outcome = 'conflict')::int AS conflict,
       0 AS withdrawn,
       (SELECT count(*) FROM stage WHERE errors IS NOT NULL)::int
         + count(*) FILTER (WHERE outcome = 'duplicate')::int AS rejected,
       count(*) FILTER (WHERE outcome <> 'duplicate' AND late)::int AS late,
       count(*) FILTER (WHERE outcome <> 'duplicate' AND late IS NULL)::int AS pending,
       count(*) FILTER (WHERE outcome <> 'duplicate' AND warnings IS NOT NULL)::int AS warned
     FROM classified`,
  );
  if (!counts) throw new Error('merge returned no counts');
  return {
    ...counts,
    unchanged: counts.unchanged + (context.fast?.rows ?? 0),
    late: counts.late + (context.fast?.late ?? 0),
    withdrawn: withdrawals.withdrawn,
    rejected: counts.rejected + withdrawals.rejected,
  };
}
