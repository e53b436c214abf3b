import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';

/**
 * The catalog entry a version was stored under, exactly: that code at that version. Like entryVersion()
 * (catalog/entry-version.ts; entryVersionOrNewest is for display only), verify never judges a record by rules it was not stored
 * under: a record whose current version is under a version the catalog directory does not have is a finding
 * (`catalog-version-unknown`), a credit repair of such a version is left unchecked, and verify says so.
 */
export function storedEntry(
  catalog: Catalog,
  code: string,
  version: number | null,
): CatalogEntry | undefined {
  return catalog.entries.find((entry) => entry.code === code && entry.version === version);
}

/** Credit repairs that could not be recomputed, by entry version (`xzcf v3`): told in the log, counted in the run. */
export class UncheckedEntries {
  readonly byEntry = new Map<string, { repairs: number }>();

  add(code: string, version: number | null): void {
    const label = `${code} v${version ?? '?'}`;
    const counts = this.byEntry.get(label) ?? { repairs: 0 };
    counts.repairs += 1;
    this.byEntry.set(label, counts);
  }

  get total(): number {
    let total = 0;
    for (const counts of this.byEntry.values()) total += counts.repairs;
    return total;
  }
}
