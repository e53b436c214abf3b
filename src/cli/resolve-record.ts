import { entryVersion } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { keyParts } from '../dedupe/business-key.ts';
import { fieldMaskerOf, maskTypedLookup } from '../log/mask-personal-data.ts';
import { findRecords, type RecordRow } from '../records/record-history.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';

/**
 * The one record a person means by what they typed (an id, a whole key, a decision number), as `record`
 * accepts it; undefined after saying on stderr why not (none, or several to choose from by id).
 */
export async function resolveRecord(
  warehouse: Warehouse,
  catalog: Catalog,
  typed: string,
  catalogCode: string | undefined,
): Promise<RecordRow | undefined> {
  const found = await findRecords(warehouse, typed, catalogCode);
  if (found.length === 1) return found[0];
  const what = maskTypedLookup(typed);
  if (found.length === 0) {
    console.error(`no record matches ${what}: give a record id, a whole key (a|b|c) or a decision number`);
    return undefined;
  }
  console.error(`${found.length} records match ${what}; choose one by id:`);
  for (const record of found)
    console.error(
      `  ${record.id}  ${record.catalogCode}  ${shownKey(catalog, record.catalogCode, record.businessKey)}${record.status === 'current' ? '' : `  (${record.status})`}`,
    );
  return undefined;
}

/** A stored key as shown: each part masked as its field says. */
function shownKey(catalog: Catalog, code: string, key: string): string {
  return fieldMaskerOf(entryVersion(catalog, code)).key(keyParts(key)).join('|');
}
