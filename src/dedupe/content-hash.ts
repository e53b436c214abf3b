import { createHash } from 'node:crypto';
import type { CatalogEntry, FieldSchema } from '../catalog/catalog-entry.ts';
import type { CellValue } from '../normalize/normalize-value.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';
import { normalizeDocumentNumber } from './business-key.ts';

/**
 * The hash of a row's content, independent of column order: serialized with sorted keys, absent values left
 * out. Rows reach it normalized already (dates ISO, numbers as numbers, codes canonical); `compileContentHash`
 * adds the comparison-only folding of free text that must not be stored.
 */
export function contentHash(row: NormalizedRow): string {
  return hashCanonicalJson(canonicalJson(row));
}

export function hashCanonicalJson(json: string): string {
  return createHash('sha256').update(json).digest('base64url');
}

export function canonicalJson(row: NormalizedRow): string {
  const keys = Object.keys(row)
    .filter((key) => row[key] !== undefined)
    .sort();
  return JSON.stringify(Object.fromEntries(keys.map((key) => [key, row[key]])));
}

type Fold = (value: string) => string;

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
  return (row) => {
    const folded: Record<string, CellValue> = {};
    for (const key of Object.keys(row)) {
      const value = row[key];
      const fold = folds.get(key);
      folded[key] = fold && typeof value === 'string' ? fold(value) : value;
    }
    return contentHash(folded);
  };
}
