import { entryVersion } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { KEY_SEPARATOR, keyParts } from '../dedupe/business-key.ts';
import { fieldMaskerOf, maskPersonalText } from '../log/mask-personal-data.ts';

/**
 * A record's stored business key as verify reports it: each part masked as its field says (a 证件号码 part whole), by
 * the entry version its current version was stored under, whose `businessKey` order the stored key follows; the
 * newest version when the finding names none or the catalog no longer has it; IDs in free text without an entry.
 */
export function shownKey(
  catalog: Catalog,
  catalogCode: string | null,
  catalogVersion: number | null | undefined,
  key: string,
): string {
  if (catalogCode === null) return maskPersonalText(key);
  const entry = entryVersion(catalog, catalogCode, catalogVersion ?? undefined);
  return fieldMaskerOf(entry).key(keyParts(key)).join(KEY_SEPARATOR);
}
