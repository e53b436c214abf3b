import type { Warehouse } from './connect-warehouse.ts';

/** An entry version as `catalog_entries` records it (append-only: a changed entry is another row). */
export interface CatalogEntryRecord {
  code: string;
  version: number;
  title: string;
  effectiveFrom: string;
  contentHash: string;
  /** The entry as published, JSON. */
  entry: unknown;
}

/** Each recorded entry version's content hash. */
export async function recordedCatalogEntries(
  warehouse: Warehouse,
): Promise<{ code: string; version: number; content_hash: string }[]> {
  return warehouse('catalog_entries').select<{ code: string; version: number; content_hash: string }[]>(
    'code',
    'version',
    'content_hash',
  );
}

/** Records an entry version's content; the same content recorded before is left as it is. */
export async function recordCatalogEntry(warehouse: Warehouse, record: CatalogEntryRecord): Promise<void> {
  await warehouse('catalog_entries')
    .insert({
      code: record.code,
      version: record.version,
      title: record.title,
      effective_from: record.effectiveFrom,
      content_hash: record.contentHash,
      entry: JSON.stringify(record.entry),
    })
    .onConflict(['code', 'version', 'content_hash'])
    .ignore();
}

/** Whether this content of an entry version is recorded (the same code, version and content hash). */
export async function isCatalogEntryRecorded(
  warehouse: Warehouse,
  entry: { code: string; version: number; contentHash: string },
): Promise<boolean> {
  const found = await warehouse('catalog_entries')
    .where({ code: entry.code, version: entry.version, content_hash: entry.contentHash })
    .first('id');
  return found !== undefined;
}
