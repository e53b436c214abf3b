import type { CatalogEntry } from './catalog-entry.ts';
import type { Catalog } from './load-catalog.ts';

/**
 * The entry a record was stored under: that version of the code, else (no version given, or one the catalog no
 * longer has) the newest version of it. Version 0 is a real version (a legacy layout such as the 2016 one).
 */
export function entryVersion(
  catalog: Catalog,
  code: string,
  version?: number | undefined,
): CatalogEntry | undefined {
  const versions = catalog.entries.filter((entry) => entry.code === code);
  return (
    versions.find((entry) => entry.version === version) ?? versions.sort((a, b) => b.version - a.version)[0]
  );
}
