import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../../fixtures/generate/penalty-rows.ts';
import type { Warehouse } from '../../src/warehouse/connect-warehouse.ts';

/** Valid generated penalty rows keyed by header name, so a test can say which cell it changes. */
export type PenaltyRow = Record<string, string>;

export function basePenalties(count: number, seed = 6): PenaltyRow[] {
  return generatePenalties(count, { seed }).rows.map((cells) =>
    Object.fromEntries(PENALTY_HEADER.map((header, i) => [header, cells[i] ?? ''])),
  );
}

/** A copy of `row` with some cells changed. */
export function edit(row: PenaltyRow, changes: Partial<PenaltyRow>): PenaltyRow {
  return { ...row, ...changes } as PenaltyRow;
}

/** Writes rows as a CSV; `columns` reorders (or drops) the columns, as another provider's export would. */
export function writeRows(
  dir: string,
  name: string,
  rows: PenaltyRow[],
  columns: readonly string[] = PENALTY_HEADER,
): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    toCsv(
      [...columns],
      rows.map((row) => columns.map((column) => row[column] ?? '')),
    ),
  );
  return file;
}

export interface CurrentRecord {
  key: string;
  level: string;
  hash: string;
  versions: number;
  data: Record<string, unknown>;
}

/** The warehouse's current state, one line per record, sorted by key: comparable across databases. */
export async function currentState(warehouse: Warehouse): Promise<CurrentRecord[]> {
  const rows = await warehouse.raw(`
    SELECT r.business_key AS key, r.level, v.content_hash AS hash, v.data,
      (SELECT count(*)::int FROM record_versions all_v WHERE all_v.record_id = r.id) AS versions
    FROM records r JOIN record_versions v ON v.id = r.current_version_id
    ORDER BY r.business_key`);
  return rows.rows.map((row: CurrentRecord) => ({ ...row, versions: Number(row.versions) }));
}

/** Lineage as a sorted set of `key|provider|level|hash`: which channel delivered which content. */
export async function lineageSet(warehouse: Warehouse): Promise<string[]> {
  const rows = await warehouse.raw(`
    SELECT r.business_key || '|' || s.provider_code || '|' || s.level || '|' || s.content_hash AS line
    FROM record_sources s JOIN records r ON r.id = s.record_id`);
  return rows.rows.map((row: { line: string }) => row.line).sort();
}
