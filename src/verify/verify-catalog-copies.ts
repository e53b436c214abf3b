import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import { catalogEntryHash } from '../catalog/catalog-entry-hash.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { editedCopies, firstRecordedCopies } from '../warehouse/catalog-entries-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { RecordFinding, VerifyScope } from './integrity-finding.ts';

/**
 * Every entry version of the catalog verify reads whose content differs from the copy the warehouse recorded first
 * (`catalog-copy-edited`): keys, content hashes, subjects and repairs are recomputed from the catalog, so an edited
 * copy makes records look altered that are not, and changes their disclosure. Reported before any record's finding,
 * naming the file to restore. Cheap: content hashes only.
 */
export async function verifyCatalogCopies(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: VerifyScope,
): Promise<RecordFinding[]> {
  const copies = catalog.entries
    .filter((entry) => scope.catalogCode === undefined || entry.code === scope.catalogCode)
    .map((entry) => ({ code: entry.code, version: entry.version, contentHash: catalogEntryHash(entry) }));
  return editedCopies(await firstRecordedCopies(warehouse), copies).map((copy) => ({
    recordId: null,
    catalogCode: copy.code,
    catalogVersion: copy.version,
    businessKey: null,
    versionNo: null,
    problem: 'catalog-copy-edited',
    detail:
      `catalog/${copy.code}.v${copy.version}.json (sha256 ${copy.contentHash.slice(0, 12)}…) differs from the copy the ` +
      `warehouse first recorded for ${copy.code} v${copy.version} on ${shanghaiTime(copy.first.firstSyncedAt)} ` +
      `(sha256 ${copy.first.contentHash.slice(0, 12)}…): findings about its records may be the edit's, not the records'; ` +
      'restore the file (catalog_entries holds the first copy) or publish a new version instead',
  }));
}
