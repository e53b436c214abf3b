import type { UnitSession } from './unit-session.ts';

/**
 * Merging while reading: the new records of a unit, written while its later rows are still being read.
 *
 * A unit reads (the client's core) and then merges (one backend), and nothing overlapped the two: a million-row
 * first load read for 36–51 s while the server idled at a third of a core, then merged for 40–56 s while the client
 * waited (docs/performance.md). Most of a first load's merge is writing new records and their first versions, and
 * that part of a row's outcome is final as soon as the rows before it are staged: a valid row whose key the entry
 * does not hold and no earlier row of the file carried is `inserted`, whatever follows it. So every N rows the
 * staged range's new keys are written (records and versions, ids drawn in row order) on the unit's connection once
 * the COPY that staged them ends, while the client reads on into the next COPY, held back until they are done
 * (copy-writer.ts, early-merges.ts); everything else, the lineage, every other outcome,
 * the rejections and the counts, stays with the merge at the end (merge-staged.ts), which takes these rows as
 * `inserted` from `early_inserted`.
 *
 * Only for a unit whose merge decides nothing from the whole file before it writes new records: no withdrawal
 * signals, no full-dump check, no legacy layout, no fast path (stage-unit-rows.ts, row-fingerprints.ts). A unit
 * its thresholds refuse is read again without it (the new records cannot be taken back but by rolling the unit
 * back).
 */

/** `CREDIT_ETL_MERGE_WHILE_READING`: rows staged between two early merges; `0` merges only at the end. */
export function mergeWhileReadingRows(env: NodeJS.ProcessEnv = process.env): number {
  const setting = env.CREDIT_ETL_MERGE_WHILE_READING?.trim();
  if (setting === undefined || setting === '') return DEFAULT_ROWS;
  const rows = Number(setting);
  if (!Number.isSafeInteger(rows) || rows < 0)
    throw new Error(
      `CREDIT_ETL_MERGE_WHILE_READING must be a whole number of rows (0: off), not '${setting}'`,
    );
  return rows;
}

/**
 * Off unless set: on two cores the reader and the server share the CPU, and merging while reading bought a
 * million-row first load 4–9% of its time for 40–100 MB more RSS (docs/performance.md). Where the server has
 * cores to spare, 20,000: big enough that a range's statements cost little more than their rows (~0.6 s of server
 * time), small enough that the reader, reading on meanwhile, stays within what the COPY behind them may hold
 * (early-merges.ts).
 */
const DEFAULT_ROWS = 0;

/** Before the first range: the range's table, and an index of staged row numbers to find each range's rows by. */
export async function prepareEarlyMerge(session: UnitSession): Promise<void> {
  // As for the final merge (merge-staged.ts): no JIT for these mid-sized statements, sorts kept in memory.
  await session.query(`SET LOCAL work_mem = '256MB'`);
  await session.query('SET LOCAL jit = off');
  await session.query(
    `CREATE TEMP TABLE early_range (row_number integer, business_key text, subject_code text, content_hash text,
                                    formation_date date, record_id bigint, version_id bigint) ON COMMIT DROP`,
  );
  // Each range reads its own rows, not the whole staged file again. A b-tree, not a BRIN: pages staged after a BRIN
  // was made are not summarized, so its scans return them all, and the planner chose to scan the table instead
  // (400,000 rows: finding a range's new keys grew from 0.1 to 0.2 s, a range later at a million). Row numbers
  // only grow, so each entry goes to the rightmost leaf.
  await session.query('CREATE INDEX ON stage (row_number)');
}

export interface EarlyRange {
  catalogCode: string;
  catalogVersion: number;
  level: string;
  sourceFileId: number;
  /** Staged rows with `after < row_number <= through`. */
  after: number;
  through: number;
}

/**
 * The range's statements, run on the unit's connection once the COPY that staged it has ended; the reader reads on
 * meanwhile (early-merges.ts). The caller holds the entry's merge lock. Resolves to the rows merged.
 */
export async function mergeEarly(session: UnitSession, range: EarlyRange): Promise<number> {
  const { catalogCode, catalogVersion, level, sourceFileId, after, through } = range;
  const statements: [string, unknown[]][] = [
    ['TRUNCATE early_range', []],
    // A key is new when the entry holds no record of it: an earlier row of the file that carried it was either
    // merged early (its record is there now) or names a record that was there already.
    [
      `INSERT INTO early_range
       SELECT n.*, nextval('records_id_seq'), nextval('record_versions_id_seq')
       FROM (
         SELECT f.* FROM (
           SELECT DISTINCT ON (business_key) row_number, business_key, subject_code, content_hash, formation_date
           FROM stage
           WHERE row_number > $1 AND row_number <= $2 AND errors IS NULL AND withdrawal IS NULL
           ORDER BY business_key, row_number
         ) f
         WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.catalog_code = $3 AND r.business_key = f.business_key)
         ORDER BY f.row_number
       ) n`,
      [after, through, catalogCode],
    ],
    [
      `INSERT INTO records (id, catalog_code, business_key, subject_code, level, current_version_id)
       SELECT record_id, $1, business_key, subject_code, $2, version_id FROM early_range`,
      [catalogCode, level],
    ],
    [
      `INSERT INTO record_versions (id, record_id, version_no, data, content_hash, catalog_version, formation_date,
                                    source_file_id, row_number, subject_code)
       SELECT e.version_id, e.record_id, 1, s.data, e.content_hash, $1, e.formation_date, $2, e.row_number,
              e.subject_code
       FROM early_range e JOIN stage s USING (row_number)
       WHERE s.row_number > $3 AND s.row_number <= $4`,
      [catalogVersion, sourceFileId, after, through],
    ],
    ['INSERT INTO early_inserted SELECT row_number, record_id, version_id FROM early_range', []],
  ];
  // One after another: nobody waits for them but the COPY queued behind them (early-merges.ts).
  const counts: number[] = [];
  for (const [sql, params] of statements) counts.push(await session.execute(sql, params));
  const [, rows = 0, records, versions, kept] = counts;
  // Each statement must write exactly the range's new keys (as merge-staged.ts checks its own).
  if (records !== rows || versions !== rows || kept !== rows)
    throw new Error(
      `early merge: ${rows} new keys, but ${records} records, ${versions} versions, ${kept} kept`,
    );
  return rows;
}
