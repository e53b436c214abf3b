/**
 * The catalog directory recorded into the warehouse's `catalog_entries`: above both src/catalog and
 * src/warehouse, so the catalog stays a leaf the warehouse and the masker can import.
 */

import path from 'node:path';
import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { catalogEntryHash } from '../catalog/catalog-entry-hash.ts';
import { entryVersion } from '../catalog/entry-version.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { ConfigError } from '../config/config.ts';
import type { Logger } from '../log/logger.ts';
import {
  type EditedCopy,
  editedCopies,
  firstRecordedCopies,
  isCatalogEntryRecorded,
  recordCatalogEntry,
  recordedCatalogEntries,
} from '../warehouse/catalog-entries-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { currentVersion } from '../warehouse/procedure-log-repository.ts';

export interface CatalogSyncResult {
  /** `code vN` of each entry version (or new content of one) recorded by this sync. */
  added: string[];
  /**
   * `code vN` recorded beside an earlier copy: only the project's own correction of a copy it shipped before a
   * recorded version became immutable (CORRECTED_IN_PLACE); any other difference is refused.
   */
  changed: string[];
}

/**
 * A catalog directory holding an entry version whose content differs from the copy the warehouse recorded first:
 * a ConfigError (exit 2), so no command loads, decides or discloses by rules other than those rows were stored
 * under.
 */
export class CatalogCopyEditedError extends ConfigError {}

/**
 * Records every entry version not yet in `catalog_entries` (by content hash). Existing rows are never changed. A
 * version recorded before whose content differs now is refused (CatalogCopyEditedError) before anything is recorded.
 */
export async function syncCatalogEntries(
  warehouse: Warehouse,
  entries: readonly CatalogEntry[],
  directory?: string,
): Promise<CatalogSyncResult> {
  const edited = editedCopies(
    await firstRecordedCopies(warehouse),
    entries.map((entry) => ({
      code: entry.code,
      version: entry.version,
      contentHash: catalogEntryHash(entry),
    })),
  );
  if (edited.length > 0) throw new CatalogCopyEditedError(editedCopyRefusal(edited, directory));
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

/** What an engineer reads: each edited file, its version, when its first copy was recorded, and what to do. */
export function editedCopyRefusal(edited: readonly EditedCopy[], directory?: string): string {
  const files = edited.map((copy) => {
    const name = `${copy.code}.v${copy.version}.json`;
    return {
      file: directory ? path.join(directory, name) : name,
      label: `${copy.code} v${copy.version}`,
      since: shanghaiTime(copy.first.firstSyncedAt),
    };
  });
  const chinese = files
    .map(({ file, label, since }) => `${file}（目录条目 ${label}，${since} 首次登记）`)
    .join('；');
  const english = files
    .map(({ file, label, since }) => `${file} (catalog entry ${label}, first recorded ${since})`)
    .join('; ');
  return (
    `目录文件与数据仓库首次登记的该版本内容不同：${chinese}。已登记的目录版本不得原地修改（已入库记录按原内容校验、公示）：` +
    '请恢复该文件为首次登记的内容（catalog_entries 保存该内容），或另行发布新版本（新文件 <code>.v<n+1>.json，' +
    `effectiveFrom 晚于现行版本） / catalog file differs from the copy the warehouse first recorded for its version: ${english}. ` +
    'A recorded catalog version is immutable (rows stored under it were validated and are disclosed by that copy): ' +
    'restore the file to the first recorded copy (catalog_entries holds it), or publish a new version ' +
    '(<code>.v<n+1>.json with a later effectiveFrom) instead'
  );
}

/**
 * Records the catalog directory into `catalog_entries` when a command opens the warehouse. A broken catalog
 * is logged, not fatal: `runs list` must still work; `ingest` fails on it by itself. An entry version edited
 * since the warehouse recorded it is fatal (CatalogCopyEditedError, exit 2): every command would read other rules
 * than those its records were stored under.
 */
export async function syncCatalogDirectory(
  warehouse: Warehouse,
  directory: string,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<void> {
  let catalog: Catalog;
  try {
    catalog = await loadCatalog(directory);
  } catch (error) {
    logger.warn(`catalog not synced: ${(error as Error).message}`);
    return;
  }
  const { added, changed } = await syncCatalogEntries(warehouse, catalog.entries, directory);
  if (added.length > 0) logger.info(`catalog entries recorded: ${added.join(', ')}`);
  for (const label of changed) {
    logger.info(
      `catalog entry ${label}: the project's correction of a copy recorded earlier recorded beside it (docs/catalog.md)`,
    );
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
