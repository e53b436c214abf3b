import crypto from 'node:crypto';
import type { CatalogEntry, FieldSchema } from '../catalog/catalog-entry.ts';
import { normalizeDocumentNumber } from '../normalize/document-number.ts';
import type { CellValue } from '../normalize/normalize-value.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';

/**
 * The hash of a row's content, independent of column order: serialized with sorted keys, absent values left
 * out. Rows reach it normalized already (dates ISO, numbers as numbers, codes canonical); `compileContentHash`
 * adds the comparison-only folding of free text that must not be stored.
 */
export function contentHash(row: NormalizedRow): string {
  return hashCanonicalJson(canonicalJson(row));
}

// One-shot hashing (Node ≥ 20.12) skips a Hash object per row; the digest is the same.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string })
  .hash;

export function hashCanonicalJson(json: string): string {
  return oneShot
    ? oneShot('sha256', json, 'base64url')
    : crypto.createHash('sha256').update(json).digest('base64url');
}

export function canonicalJson(row: NormalizedRow): string {
  return compileCanonicalJson(Object.keys(row))(row);
}

type Fold = (value: string) => string;

/**
 * The canonical JSON of rows with known keys, compiled once: keys sorted, absent values left out. The row
 * loop's serializer (twice a row: stored data and the hash), so it writes the text directly instead of
 * building a sorted copy of each row for JSON.stringify.
 */
export function compileCanonicalJson(
  keys: readonly string[],
  folds: ReadonlyMap<string, Fold> = new Map(),
): (row: NormalizedRow) => string {
  const sorted = [...new Set(keys)].sort();
  const prefixes = sorted.map((key) => `${JSON.stringify(key)}:`);
  const foldOf = sorted.map((key) => folds.get(key));
  return (row) => {
    let json = '';
    for (let i = 0; i < sorted.length; i++) {
      let value: CellValue = row[sorted[i] as string];
      if (value === undefined) continue;
      const fold = foldOf[i];
      if (fold && typeof value === 'string') value = fold(value);
      json += (json === '' ? '{' : ',') + prefixes[i] + JSON.stringify(value);
    }
    return json === '' ? '{}' : `${json}}`;
  };
}

const WHITESPACE = /\s+/g;

/** Free text: full-width/half-width forms, line endings and spaces (insignificant in Chinese text) are not differences of content. */
export const foldText: Fold = (value) => value.normalize('NFKC').replace(WHITESPACE, '');

/** `罚款;警告` and `警告;罚款` name the same penalties. */
const foldList: Fold = (value) =>
  value
    .split(';')
    .map((part) => part.trim())
    .sort()
    .join(';');

function foldFor(field: FieldSchema): Fold | undefined {
  if (field['x-key'] === 'document-number') return normalizeDocumentNumber;
  if (field.type !== 'string' || field.format !== undefined) return undefined;
  if (field['x-codeList']?.multiple) return foldList;
  return foldText;
}

/**
 * The entry's content hash: the stored row keeps text as typed (cleaned), while the hash compares a folded
 * copy, so a re-delivery typed with other brackets, spaces or list order is not taken for a correction.
 */
export function compileContentHash(entry: CatalogEntry): (row: NormalizedRow) => string {
  const folds = new Map<string, Fold>();
  for (const [code, field] of Object.entries(entry.schema.properties)) {
    const fold = foldFor(field);
    if (fold) folds.set(code, fold);
  }
  const folded = compileCanonicalJson(Object.keys(entry.schema.properties), folds);
  return (row) => hashCanonicalJson(folded(row));
}
