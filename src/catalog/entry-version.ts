import type { CatalogEntry } from './catalog-entry.ts';
import type { Catalog } from './load-catalog.ts';

/**
 * The entry a record was stored under: that version of the code, else the newest version of it. The same
 * rule as src/records/subject-archive.ts's entryVersion, which the records follow-up of issue 14 makes a
 * re-export of this one (src/procedures may not import src/records: records imports the procedure log).
 */
export function entryVersion(catalog: Catalog, code: string, version: number): CatalogEntry | undefined {
  const versions = catalog.entries.filter((entry) => entry.code === code);
  return (
    versions.find((entry) => entry.version === version) ?? versions.sort((a, b) => b.version - a.version)[0]
  );
}
