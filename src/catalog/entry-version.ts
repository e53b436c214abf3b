import type { CatalogEntry } from './catalog-entry.ts';
import type { Catalog } from './load-catalog.ts';

/**
 * The entry a record was stored under, exactly: that code at that version, else undefined. Never another version:
 * a record is only ever judged (disclosed, repaired, validated by a procedure) by the rules it was stored under,
 * and a version the catalog directory no longer has is said (missingEntryText), not replaced by the newest.
 * Version 0 is a real version (a legacy layout such as the 2016 one).
 */
export function entryVersion(catalog: Catalog, code: string, version: number): CatalogEntry | undefined {
  return catalog.entries.find((entry) => entry.code === code && entry.version === version);
}

/** The newest version of a code: for what no stored version decides (a code's title, masking by field). */
export function newestEntryVersion(catalog: Catalog, code: string): CatalogEntry | undefined {
  return catalog.entries
    .filter((entry) => entry.code === code)
    .reduce<CatalogEntry | undefined>(
      (newest, entry) => (newest === undefined || entry.version > newest.version ? entry : newest),
      undefined,
    );
}

/**
 * For showing a stored record only (its title, field titles, masking, the order of its key's parts): the version
 * it was stored under, else the newest. Never for its rules (disclosure, repair, validation): entryVersion.
 */
export function entryVersionOrNewest(
  catalog: Catalog,
  code: string,
  version: number | null | undefined,
): CatalogEntry | undefined {
  const exact = version === null || version === undefined ? undefined : entryVersion(catalog, code, version);
  return exact ?? newestEntryVersion(catalog, code);
}

/** The file an entry version is read from, as the catalog directory names it: `catalog/xzcf.v3.json`. */
export function entryFileName(code: string, version: number): string {
  return `catalog/${code}.v${version}.json`;
}

/** Why a record stored under a version the catalog directory does not have is not judged: Chinese, then English. */
export function missingEntryText(code: string, version: number): string {
  const file = entryFileName(code, version);
  return (
    `目录条目 ${code} v${version} 不在目录中（缺少 ${file}），不按其他版本判断 / ` +
    `catalog entry ${code} v${version} is not in the catalog directory (${file} missing): not judged by another version`
  );
}
