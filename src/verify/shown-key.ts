import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { entryVersionOrNewest } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { keyParts } from '../dedupe/business-key.ts';
import { fieldMaskerOf } from '../log/mask-personal-data.ts';

/**
 * A record's stored business key as verify reports it: its parts joined by `|`, as `record` shows a key and takes
 * one (record-view.ts), never by the stored separator (U+001F, which a terminal does not show), each part masked as
 * its field says (a 证件号码 part whole), by the entry version its current version was stored under, whose
 * `businessKey` order the stored key follows; the newest version when the finding names none or the catalog no
 * longer has it; each part as free text (IDs masked, USCCs shown) without an entry.
 */
export function shownKey(
  catalog: Catalog,
  catalogCode: string | null,
  catalogVersion: number | null | undefined,
  key: string,
): string {
  const entry = catalogCode === null ? undefined : entryVersionOrNewest(catalog, catalogCode, catalogVersion);
  return keyShownBy(entry, key);
}

/**
 * A stored business key as shownKey shows it, by an entry version already in hand (verify-keys.ts: the one the
 * record's current version was stored under); each part as free text without one.
 */
export function keyShownBy(entry: CatalogEntry | undefined, key: string): string {
  return fieldMaskerOf(entry).key(keyParts(key)).join('|');
}
