import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';

/**
 * The catalog entry a version was stored under, exactly: that code at that version. Unlike entryVersion()
 * (which falls back to the newest version for display), verify never judges a record by rules it was not stored
 * under: a version the catalog directory no longer has leaves the record unchecked, and verify says so.
 */
export function storedEntry(
  catalog: Catalog,
  code: string,
  version: number | null,
): CatalogEntry | undefined {
  return catalog.entries.find((entry) => entry.code === code && entry.version === version);
}

/** What could not be recomputed, by entry version (`xzcf v3`): told in the log, counted in the run. */
export class UncheckedEntries {
  readonly byEntry = new Map<string, { records: number; repairs: number }>();

  add(code: string, version: number | null, what: 'records' | 'repairs'): void {
    const label = `${code} v${version ?? '?'}`;
    const counts = this.byEntry.get(label) ?? { records: 0, repairs: 0 };
    counts[what] += 1;
    this.byEntry.set(label, counts);
  }

  get total(): number {
    let total = 0;
    for (const counts of this.byEntry.values()) total += counts.records + counts.repairs;
    return total;
  }
}
