import type { Warehouse } from './connect-warehouse.ts';
import type { FullDumpDecision } from './full-dump-decision.ts';
import type { DeliveryChannel } from './source-files-repository.ts';
import type { UnitSession } from './unit-session.ts';

/**
 * Full dumps (015-provider-withdrawals.ts): which dump came before, what of it a new dump lacks, and the list of
 * records a dump did not hold. A key is "held" when the unit staged a row for it, data or withdrawal; a row
 * rejected before its key was known holds none. What a loaded file delivered is its lineage rows and its run of
 * unchanged rows (delivered_records, 017-compact-lineage.ts).
 */

/** The last complete full dump of this channel before `sourceFileId`, if any. */
export async function previousFullDump(
  session: UnitSession,
  channel: DeliveryChannel,
  sourceFileId: number,
): Promise<number | undefined> {
  const [row] = await session.query<{ id: number }>(
    `SELECT id FROM source_files
     WHERE catalog_code = $1 AND provider_code = $2 AND level = $3 AND status = 'loaded' AND full_dump IS NOT NULL
       AND id < $4
     ORDER BY id DESC LIMIT 1`,
    [channel.catalogCode, channel.providerCode, channel.level, sourceFileId],
  );
  return row?.id;
}

/** Of the current records the previous dump delivered, how many there are and how many the staged unit lacks. */
export async function previousKeysMissing(
  session: UnitSession,
  previousSourceFileId: number,
): Promise<{ previousKeys: number; missing: number }> {
  await session.query('ANALYZE stage (business_key)');
  const [row] = await session.query<{ previous_keys: number; missing: number }>(
    `SELECT count(*)::int AS previous_keys,
            count(*) FILTER (WHERE NOT EXISTS (
              SELECT 1 FROM stage st WHERE st.business_key = r.business_key))::int AS missing
     FROM records r
     WHERE r.status = 'current' AND r.id IN (SELECT delivered_records($1))`,
    [previousSourceFileId],
  );
  return { previousKeys: row?.previous_keys ?? 0, missing: row?.missing ?? 0 };
}

/**
 * Lists, for a dump being applied, every current record of its channel it does not hold: those the previous
 * dump delivered, those already missing from it, and those the channel delivered since. Returns how many.
 */
export async function recordMissingFromDump(
  session: UnitSession,
  channel: DeliveryChannel,
  sourceFileId: number,
  previousSourceFileId: number,
): Promise<number> {
  return session.execute(
    `INSERT INTO full_dump_missing (source_file_id, record_id)
     SELECT $1, r.id FROM records r
     WHERE r.status = 'current' AND r.catalog_code = $2
       AND r.id IN (
         SELECT delivered_records(f.id) FROM source_files f
         WHERE f.catalog_code = $2 AND f.provider_code = $3 AND f.level = $4 AND f.status = 'loaded'
           AND f.id >= $5 AND f.id <> $1
         UNION
         SELECT record_id FROM full_dump_missing WHERE source_file_id = $5)
       AND NOT EXISTS (SELECT 1 FROM stage st WHERE st.business_key = r.business_key)
     ORDER BY r.id`,
    [sourceFileId, channel.catalogCode, channel.providerCode, channel.level, previousSourceFileId],
  );
}

/** Stores a dump's decision with its file (applied or held back). */
export async function storeFullDumpDecision(
  session: UnitSession,
  sourceFileId: number,
  decision: FullDumpDecision,
): Promise<void> {
  await session.execute('UPDATE source_files SET full_dump = $2 WHERE id = $1', [
    sourceFileId,
    JSON.stringify(decision),
  ]);
}

/** A record a full dump did not hold, as reports and `runs show` list it. */
export interface MissingRecordRow {
  sourceFileId: number;
  fileName: string;
  recordId: number;
  catalogCode: string;
  businessKey: string;
  subjectCode: string | null;
  providerCode: string;
}

/** The records the full dumps of a run did not hold, by file and record. */
export async function missingFromDumpsOfRun(
  warehouse: Warehouse,
  runId: number,
): Promise<MissingRecordRow[]> {
  return warehouse('full_dump_missing as m')
    .join('source_files as f', 'f.id', 'm.source_file_id')
    .join('records as r', 'r.id', 'm.record_id')
    .where('f.run_id', runId)
    .orderBy([{ column: 'm.source_file_id' }, { column: 'm.record_id' }])
    .select<MissingRecordRow[]>(
      'm.source_file_id as sourceFileId',
      'f.name as fileName',
      'm.record_id as recordId',
      'r.catalog_code as catalogCode',
      'r.business_key as businessKey',
      'r.subject_code as subjectCode',
      'f.provider_code as providerCode',
    );
}
