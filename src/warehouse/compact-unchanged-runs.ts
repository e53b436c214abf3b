import { onOffSetting } from '../../connectors/on-off-setting.ts';
import { createStandingFromCache, FastPathUnusable } from './fingerprint-cache-repository.ts';
import type { MergeContext } from './merge-staged.ts';
import type { UnitSession } from './unit-session.ts';

/**
 * `CREDIT_ETL_FULL_LINEAGE=1` writes one lineage row for every delivered row, as before 017: for an audit that
 * wants every night's rows listed one by one, and for the tests that compare both paths.
 */
export const fullLineageForced = (env: NodeJS.ProcessEnv = process.env): boolean =>
  onOffSetting('CREDIT_ETL_FULL_LINEAGE', env) === true;

/**
 * The compact path of a re-delivery (017-compact-lineage.ts), inside the merge, after the classification: of
 * the rows the full classification judged `unchanged`, those that continue their channel's run (the record
 * stands in the channel with exactly this content) are counted in the file's `unchanged_deliveries` row instead
 * of one lineage row each. Their outcome is the full path's own: nothing here decides an outcome, it only
 * decides how an `unchanged` row is recorded, so the two paths cannot disagree.
 *
 * A row keeps its own lineage row when it says more than "the same again": pending or warned timeliness
 * (the calendar recompute and the warnings read them per row), a time of its own, or a key repeated in the
 * file. The file is compacted only when the records of the run it did not hold are no more than the rows it
 * saves (a full dump: near none; an incremental file: most of the channel, so it is written out whole and ends
 * every run). Rows the fast path took (`context.fast`) are such rows already, counted without a row here; the
 * channel's standing records are then read from the cache they were recognised by, less theirs.
 * Leaves the temp tables `unchanged_run` (row numbers), `standing` and `absent` (when it compared), and returns
 * how many staged rows it compacted and whether the file got a summary.
 */
export async function compactUnchangedRuns(
  session: UnitSession,
  context: MergeContext,
): Promise<{ compacted: number; summarized: boolean }> {
  const none = { compacted: 0, summarized: false };
  await session.query(
    'CREATE TEMP TABLE unchanged_run (row_number integer PRIMARY KEY, late boolean) ON COMMIT DROP',
  );
  if (context.fullLineage) return none;
  const { fast } = context;
  const [candidates] = await session.query<{ unchanged: number }>(
    `SELECT count(*)::int AS unchanged FROM classified WHERE outcome = 'unchanged'`,
  );
  if ((!candidates || candidates.unchanged === 0) && !fast?.rows) return none;
  if (fast) await createStandingFromCache(session, fast.channelId, fast.notTaken);
  else {
    await session.query('CREATE TEMP TABLE standing ON COMMIT DROP AS SELECT * FROM feed_standing($1)', [
      context.sourceFileId,
    ]);
    await session.query('ANALYZE standing');
  }
  await session.query(
    `INSERT INTO unchanged_run (row_number, late)
     SELECT c.row_number, c.late
     FROM classified c
     JOIN standing st ON st.record_id = c.record_id AND st.content_hash = c.content_hash
     WHERE c.outcome = 'unchanged' AND c.late IS NOT NULL AND c.warnings IS NULL AND c.received_at IS NULL
       -- No other row of the file for the key: an unchanged row is its key's first, so another row is one that is
       -- not a first. Not a NOT EXISTS over classified: the planner reads that self anti-join as keeping ~1 row and
       -- nests the join to standing under it (measured: after a correction file, a 1M-row full dump spent 20
       -- minutes in this one statement before it was stopped).
       AND c.business_key NOT IN (SELECT o.business_key FROM classified o WHERE o.row_number <> o.first_row)`,
  );
  // The lineage statement (merge-staged.ts) keeps the rows not in here: unanalyzed, the planner took a night's
  // few such rows for one and nested the rest of that statement under it, scanning the staged file once per kept
  // row (a 1%-changed night of 100,000 rows on the full path: 37 s for that statement; 400,000: over 5 minutes).
  await session.query('ANALYZE unchanged_run');
  // Held: a data row of any outcome, or a withdrawal request, reached the record. A rejected row holds nothing.
  await session.query(
    `CREATE TEMP TABLE absent ON COMMIT DROP AS
     SELECT st.record_id FROM standing st
     WHERE NOT EXISTS (SELECT 1 FROM classified c WHERE c.record_id = st.record_id)
       AND st.record_id NOT IN (
         SELECT r.id FROM stage s JOIN records r ON r.catalog_code = $1 AND r.business_key = s.business_key
         WHERE s.withdrawal IS NOT NULL AND s.errors IS NULL)`,
    [context.catalogCode],
  );
  const [sizes] = await session.query<{ rows: number; late: number; absent: number }>(
    `SELECT count(*)::int AS rows, count(*) FILTER (WHERE late)::int AS late,
            (SELECT count(*) FROM absent)::int AS absent
     FROM unchanged_run`,
  );
  if (!sizes) throw new Error('compaction returned no sizes');
  const compacted = sizes.rows;
  sizes.rows += fast?.rows ?? 0;
  sizes.late += fast?.late ?? 0;
  if (sizes.rows === 0 || sizes.absent > sizes.rows) {
    // Fast rows are compacted or nothing: a file without a summary must list them one by one.
    if (fast?.rows) throw new FastPathUnusable('fast re-delivery rows in a file without a summary');
    await session.query('TRUNCATE unchanged_run');
    return none;
  }
  await session.execute(
    `INSERT INTO unchanged_deliveries (source_file_id, run_id, catalog_code, provider_code, level, rows, late, absent)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      context.sourceFileId,
      context.runId,
      context.catalogCode,
      context.providerCode,
      context.level,
      sizes.rows,
      sizes.late,
      sizes.absent,
    ],
  );
  await session.execute(
    `INSERT INTO unchanged_delivery_absences (source_file_id, record_id)
     SELECT $1, record_id FROM absent ORDER BY record_id`,
    [context.sourceFileId],
  );
  return { compacted, summarized: true };
}
