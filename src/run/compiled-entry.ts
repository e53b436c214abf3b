import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { compileBusinessKey } from '../dedupe/business-key.ts';
import { compileCanonicalJson, compileContentHash } from '../dedupe/content-hash.ts';
import { compileLegacyDeriver, type LegacyRowDeriver, type Lookups } from '../normalize/derive-legacy-row.ts';
import { type ValueNormalizer, valueNormalizer } from '../normalize/normalize-value.ts';
import {
  compileDayValidator,
  type DayValidator,
  type NormalizedRow,
  type RowValidator,
  type ValidatorOptions,
  validatorAsOf,
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

/**
 * What is compiled once per entry version, pilot-code choice and lookups: everything but the day. Each `today`
 * given gets its own validator over the same checks (a closure per compile, kept while that `today` lives).
 */
interface CompiledCore {
  checkAsOf: DayValidator;
  byToday: WeakMap<() => string, CompiledEntry>;
  parts: Omit<CompiledEntry, 'validate'>;
}

const cache = new Map<string, CompiledCore>();

export function compileEntry(
  entry: CatalogEntry,
  options: ValidatorOptions = {},
  lookups: Lookups = {},
): CompiledEntry {
  // `today` is a function (JSON leaves it out): it is not part of the key but of the validator made per today.
  const { today = todayInShanghai, ...keyed } = options;
  const cacheKey = `${entry.code}.v${entry.version}:${JSON.stringify(keyed)}:${entry.legacyLayout ? JSON.stringify(lookups) : ''}`;
  let core = cache.get(cacheKey);
  if (!core) {
    core = compileCore(entry, keyed, lookups);
    cache.set(cacheKey, core);
  }
  let compiled = core.byToday.get(today);
  if (!compiled) {
    compiled = { ...core.parts, validate: validatorAsOf(core.checkAsOf, today) };
    core.byToday.set(today, compiled);
  }
  return compiled;
}

function compileCore(entry: CatalogEntry, options: ValidatorOptions, lookups: Lookups): CompiledCore {
  // A legacy layout's source fields are read and normalized like the model's, then taken out by its deriver.
  const fields = { ...entry.legacyLayout?.sourceFields, ...entry.schema.properties };
  const normalizers = new Map(
    Object.entries(fields).map(([code, field]) => [code, valueNormalizer(field)] as const),
  );
  return {
    checkAsOf: compileDayValidator(entry, options),
    byToday: new WeakMap(),
    parts: {
      entry,
      normalizers,
      businessKey: compileBusinessKey(entry),
      contentHash: compileContentHash(entry),
      canonicalJson: compileCanonicalJson(Object.keys(entry.schema.properties)),
      subjectCode: compileSubjectCode(entry),
      deriveLegacy: compileLegacyDeriver(entry, normalizers, lookups),
    },
  };
}
