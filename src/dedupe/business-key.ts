import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { normalizeDocumentNumber } from '../normalize/document-number.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';

/** Between the parts of a stored business key. */
export const KEY_SEPARATOR = '\u001f';

/** Builds the key function of an entry once: the normalized business-key values joined by a unit separator. */
export function compileBusinessKey(entry: CatalogEntry): (row: NormalizedRow) => string {
  const parts = entry.businessKey.map((field) => {
    const normalize =
      entry.schema.properties[field]?.['x-key'] === 'document-number' ? normalizeDocumentNumber : String;
    return (row: NormalizedRow) => {
      const value = row[field];
      return value === undefined ? '' : normalize(String(value));
    };
  });
  return (row) => {
    let key = parts[0]?.(row) ?? '';
    for (let i = 1; i < parts.length; i++) key += KEY_SEPARATOR + parts[i]!(row);
    return key;
  };
}

/** The stored key's parts, in the entry's `businessKey` field order. */
export function keyParts(key: string): string[] {
  return key.split(KEY_SEPARATOR);
}

/**
 * What a person types for a key — the whole key with `|` between parts, or one part such as a decision
 * number — normalized the way keys are stored (document-number folding also canonicalizes codes).
 */
export function parseTypedKey(text: string): { parts: string[]; whole: string | undefined } {
  const parts = text.split('|').map(normalizeDocumentNumber);
  return { parts, whole: parts.length > 1 ? parts.join(KEY_SEPARATOR) : undefined };
}
