import type { RowError } from '../../connectors/row-error.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { compileEntry } from '../run/compiled-entry.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';

/** How a notice row is recognised in a later delivery. */
export interface NoticeRowKey {
  /** The full business key, when every key field of the rejected row was usable. */
  businessKey: string | null;
  /** Otherwise the usable key fields by 1-based key position (empty ones included: they must stay empty). */
  keyParts: Record<string, string> | null;
}

const KEY_SEPARATOR = '\u001f';
const NO_KEY: NoticeRowKey = { businessKey: null, keyParts: null };

/**
 * The key a correction will carry. A key field is usable when no error names it; a whole-row problem other
 * than an in-file duplicate (whose key is known) makes no field usable. With every key field usable the row
 * is matched on its full key; with some usable and at least one of those non-empty, on those fields alone
 * (the bad field is the one the provider will change); with none, the row cannot be matched automatically
 * and stays open on its notice (README "Reports").
 */
export function rejectedRowKey(
  catalog: Catalog,
  catalogCode: string,
  raw: Record<string, string>,
  errors: RowError[],
): NoticeRowKey {
  const entry = catalog.entries
    .filter((candidate) => candidate.code === catalogCode)
    .sort((a, b) => b.version - a.version)[0];
  if (!entry) return NO_KEY;
  const bad = new Set(errors.map((error) => error.field));
  if (bad.has('*') && !errors.some((error) => error.code === 'duplicate-key-in-batch')) return NO_KEY;
  const compiled = compileEntry(entry);
  const data: NormalizedRow = {};
  for (const field of entry.businessKey) {
    const normalize = compiled.normalizers.get(field);
    const value = raw[field];
    if (normalize && value !== undefined) {
      const normalized = normalize(String(value));
      if (normalized !== undefined) data[field] = normalized;
    }
  }
  const parts = compiled.businessKey(data).split(KEY_SEPARATOR);
  const usable = entry.businessKey.map((field) => !bad.has(field));
  if (usable.every(Boolean)) return { businessKey: parts.join(KEY_SEPARATOR), keyParts: null };
  const keyParts: Record<string, string> = {};
  usable.forEach((ok, i) => {
    if (ok) keyParts[String(i + 1)] = parts[i] ?? '';
  });
  return Object.values(keyParts).some((value) => value !== '') ? { businessKey: null, keyParts } : NO_KEY;
}
