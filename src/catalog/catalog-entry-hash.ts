import { createHash } from 'node:crypto';
import type { CatalogEntry } from './catalog-entry.ts';

/** sha256 of an entry's JSON with sorted keys at every level: formatting changes do not change it. */
export function catalogEntryHash(entry: CatalogEntry): string {
  return createHash('sha256').update(sortedJson(entry)).digest('hex');
}

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${sortedJson(object[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
