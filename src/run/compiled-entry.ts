import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { compileBusinessKey } from '../dedupe/business-key.ts';
import { compileCanonicalJson, compileContentHash } from '../dedupe/content-hash.ts';
import { compileLegacyDeriver, type LegacyRowDeriver, type Lookups } from '../normalize/derive-legacy-row.ts';
import { type ValueNormalizer, valueNormalizer } from '../normalize/normalize-value.ts';
import {
  compileValidator,
  type NormalizedRow,
  type RowValidator,
  type ValidatorOptions,
} from '../validate/compile-validator.ts';
import { compileSubjectCode } from './subject-code.ts';

/** Everything the row loop needs from one catalog entry version, built once per process. */
export interface CompiledEntry {
  entry: CatalogEntry;
  normalizers: Map<string, ValueNormalizer>;
  validate: RowValidator;
  businessKey: (row: NormalizedRow) => string;
  /** Hash of the row's content for comparison (folds what must not count as a difference). */
  contentHash: (row: NormalizedRow) => string;
  /** The row as stored: canonical JSON (sorted keys, absent values left out). */
  canonicalJson: (row: NormalizedRow) => string;
  subjectCode: (row: NormalizedRow) => string | undefined;
  /** A legacy layout's mapping onto the current model (undefined for a current-layout version). */
  deriveLegacy: LegacyRowDeriver | undefined;
}

const cache = new Map<string, CompiledEntry>();

export function compileEntry(
  entry: CatalogEntry,
  options: ValidatorOptions = {},
  lookups: Lookups = {},
): CompiledEntry {
  const cacheKey = `${entry.code}.v${entry.version}:${JSON.stringify(options)}:${entry.legacyLayout ? JSON.stringify(lookups) : ''}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  // A legacy layout's source fields are read and normalized like the model's, then taken out by its deriver.
  const fields = { ...entry.legacyLayout?.sourceFields, ...entry.schema.properties };
  const normalizers = new Map(
    Object.entries(fields).map(([code, field]) => [code, valueNormalizer(field)] as const),
  );
  const compiled: CompiledEntry = {
    entry,
    normalizers,
    validate: compileValidator(entry, options),
    businessKey: compileBusinessKey(entry),
    contentHash: compileContentHash(entry),
    canonicalJson: compileCanonicalJson(Object.keys(entry.schema.properties)),
    subjectCode: compileSubjectCode(entry),
    deriveLegacy: compileLegacyDeriver(entry, normalizers, lookups),
  };
  cache.set(cacheKey, compiled);
  return compiled;
}
