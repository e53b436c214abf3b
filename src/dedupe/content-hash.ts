import { createHash } from 'node:crypto';
import type { NormalizedRow } from '../validate/compile-validator.ts';

/**
 * The hash of a row's content, independent of column order and of how values were typed: rows are normalized
 * first (dates ISO, numbers as numbers, codes canonical), then serialized with sorted keys, absent values left out.
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
