/**
 * The catalog directory recorded into the warehouse's `catalog_entries`: above both src/catalog and
 * src/warehouse, so the catalog stays a leaf the warehouse and the masker can import.
 */

import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { catalogEntryHash } from '../catalog/catalog-entry-hash.ts';
import { entryVersion } from '../catalog/entry-version.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import {
  isCatalogEntryRecorded,
  recordCatalogEntry,
  recordedCatalogEntries,
} from '../warehouse/catalog-entries-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { currentVersion } from '../warehouse/procedure-log-repository.ts';

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

/**
 * Why a legal procedure may not use the catalog entry of a record's current version yet (undefined: it may).
 * correct and reattribute validate the new version by that entry and store it under that entry version; repair
 * decides by its disclosure rules. The warehouse must hold that content (002: the exact rules behind a version;
 * 036: the precedence a later level change is judged by). Every command run by the engine's login records the
 * catalog at start; an officer's login may not write `catalog_entries`, so an entry added or edited in catalog/
 * since the engine last ran is refused, naming what to run. A record or entry not found is left to the procedure.
 */
export async function unrecordedEntry(
  warehouse: Warehouse,
  catalog: Catalog,
  recordId: number,
): Promise<string | undefined> {
  const current = await currentVersion(warehouse, recordId);
  const entry = current && entryVersion(catalog, current.catalogCode, current.catalogVersion);
  if (!entry) return undefined;
  const contentHash = catalogEntryHash(entry);
  if (await isCatalogEntryRecorded(warehouse, { code: entry.code, version: entry.version, contentHash }))
    return undefined;
  const label = `${entry.code} v${entry.version}`;
  return (
    `目录条目 ${label}（${entry.title}）尚未按 catalog/ 中的内容登记到数据仓库，不能据以办理：` +
    '请先以引擎账户（credit_etl_loader 的成员）运行任一命令（如 `credit-etl runs list`）登记目录 / ' +
    `catalog entry ${label} as in catalog/ is not recorded in the warehouse yet: run any command with the ` +
    "engine's login (a member of credit_etl_loader), e.g. `credit-etl runs list`, which records the catalog, then again"
  );
}
