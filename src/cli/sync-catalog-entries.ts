/**
 * The catalog directory recorded into the warehouse's `catalog_entries`: above both src/catalog and
 * src/warehouse, so the catalog stays a leaf the warehouse and the masker can import.
 */

import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { catalogEntryHash } from '../catalog/catalog-entry-hash.ts';
import { loadCatalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import { recordCatalogEntry, recordedCatalogEntries } from '../warehouse/catalog-entries-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';

export interface CatalogSyncResult {
  /** `code vN` of each entry version (or new content of one) recorded by this sync. */
  added: string[];
  /** `code vN` whose content differs from what was recorded before: a published version was edited. */
  changed: string[];
}

/** Records every entry version not yet in `catalog_entries` (by content hash). Existing rows are never changed. */
export async function syncCatalogEntries(
  warehouse: Warehouse,
  entries: readonly CatalogEntry[],
): Promise<CatalogSyncResult> {
  const known = await recordedCatalogEntries(warehouse);
  const hashes = new Set(known.map((row) => `${row.code}\u001f${row.version}\u001f${row.content_hash}`));
  const versions = new Set(known.map((row) => `${row.code}\u001f${row.version}`));
  const result: CatalogSyncResult = { added: [], changed: [] };
  for (const entry of entries) {
    const hash = catalogEntryHash(entry);
    if (hashes.has(`${entry.code}\u001f${entry.version}\u001f${hash}`)) continue;
    await recordCatalogEntry(warehouse, {
      code: entry.code,
      version: entry.version,
      title: entry.title,
      effectiveFrom: entry.effectiveFrom,
      contentHash: hash,
      entry,
    });
    const label = `${entry.code} v${entry.version}`;
    result.added.push(label);
    if (versions.has(`${entry.code}\u001f${entry.version}`)) result.changed.push(label);
  }
  return result;
}

/**
 * Records the catalog directory into `catalog_entries` when a command opens the warehouse. A broken catalog
 * is logged, not fatal: `runs list` must still work; `ingest` fails on it by itself.
 */
export async function syncCatalogDirectory(
  warehouse: Warehouse,
  directory: string,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<void> {
  try {
    const catalog = await loadCatalog(directory);
    const { added, changed } = await syncCatalogEntries(warehouse, catalog.entries);
    if (added.length > 0) logger.info(`catalog entries recorded: ${added.join(', ')}`);
    for (const label of changed) {
      logger.warn(
        `catalog entry ${label} differs from the copy recorded earlier: publish a new version instead of editing one`,
      );
    }
  } catch (error) {
    logger.warn(`catalog not synced: ${(error as Error).message}`);
  }
}
