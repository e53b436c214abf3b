import type { Lookups } from '../normalize/derive-legacy-row.ts';
import type { Warehouse } from './connect-warehouse.ts';

/**
 * Keeps the lookup tables a run is loaded with (migration 047): a review notice keys a legacy-layout row's
 * looked-up key field (处罚机关统一社会信用代码) with them, as the loader keyed the row's record. Only in the
 * transaction that records the run (the database refuses it after); the database sets the sha256.
 */
export async function recordRunLookups(warehouse: Warehouse, runId: number, lookups: Lookups): Promise<void> {
  await warehouse('run_lookups').insert({ run_id: runId, tables: JSON.stringify(lookups) });
}

/** The stored lookups of each given file's run; a file whose run has none stored (no tables, or before 047) is absent. */
export async function lookupsOfFileRuns(
  warehouse: Warehouse,
  sourceFileIds: readonly number[],
): Promise<Map<number, Lookups>> {
  if (sourceFileIds.length === 0) return new Map();
  const rows: { id: string | number; tables: Lookups }[] = await warehouse('source_files as f')
    .join('run_lookups as l', 'l.run_id', 'f.run_id')
    .whereIn('f.id', sourceFileIds)
    .select('f.id', 'l.tables');
  return new Map(rows.map((row) => [Number(row.id), row.tables]));
}
