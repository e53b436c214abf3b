import type { CatalogEntry } from './catalog-entry.ts';
import type { Catalog } from './load-catalog.ts';

/** The entry a record was stored under: that version of the code, else the newest version of it. */
export function entryVersion(catalog: Catalog, code: string, version: number): CatalogEntry | undefined {
  const versions = catalog.entries.filter((entry) => entry.code === code);
  return (
    versions.find((entry) => entry.version === version) ?? versions.sort((a, b) => b.version - a.version)[0]
  );
}
