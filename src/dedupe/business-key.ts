import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';

const KEY_SEPARATOR = '\u001f';
const OPENING = /[〔［[（(【〖]/g;
const CLOSING = /[〕］\]）)】〗]/g;
const CANONICAL_DOCUMENT_NUMBER = /^[\u4E00-\u9FFF0-9A-Z〔〕]*$/;

/**
 * Decision numbers typed any which way are one number: `鲁市监罚【2026】12号`, `鲁市监罚(2026)12号` and
 * `鲁市监罚 〔2026〕 12 号` all become `鲁市监罚〔2026〕12号`.
 */
export function normalizeDocumentNumber(text: string): string {
  // Called up to three times per row (normalizer, key, hash fold), nearly always on a number already in its
  // canonical form: CJK unified ideographs, ASCII digits and capitals and 〔〕 are left as they are by every step.
  if (CANONICAL_DOCUMENT_NUMBER.test(text)) return text;
  return text
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(OPENING, '〔')
    .replace(CLOSING, '〕')
    .toUpperCase();
}

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

/** The key in a form people can read: `|` between parts. */
export function displayKey(key: string): string {
  return keyParts(key).join('|');
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
