import type { RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { derivationSources } from '../catalog/legacy-layout.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { KEY_SEPARATOR } from '../dedupe/business-key.ts';
import type { Lookups } from '../normalize/derive-legacy-row.ts';
import { compileEntry } from '../run/compiled-entry.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';

/** How a notice row is recognised in a later delivery. */
export interface NoticeRowKey {
  /** The full business key, when every key field of the rejected row was usable. */
  businessKey: string | null;
  /** Otherwise the usable key fields by 1-based key position (empty ones included: they must stay empty). */
  keyParts: Record<string, string> | null;
}

/** How the rejected row's file was read: its `raw` is keyed by that version's fields. */
export interface RejectedRowReading {
  /** The entry version the file was read by (`source_files.catalog_version`); the newest when unknown. */
  version?: number | null | undefined;
  /**
   * The tables a legacy layout's `lookup` derivations read (处罚机关 → its USCC), as the load had them (kept with
   * its run, migration 047). `'not-kept'`: the load's tables are not known (a run loaded before 047, or one
   * loaded without tables): a key field the load looked up cannot be known, and the row is matched on none.
   */
  lookups?: Lookups | 'not-kept' | undefined;
}

const NO_KEY: NoticeRowKey = { businessKey: null, keyParts: null };

/**
 * Whole-row problems of a row whose key is sound: the same key again in its file, with other content
 * (`duplicate-key-in-batch`) or naming another subject (`subject-differs-in-batch`, merge-staged.ts).
 */
export const IN_BATCH_REPEATS: ReadonlySet<string> = new Set([
  'duplicate-key-in-batch',
  'subject-differs-in-batch',
]);

/**
 * The key a correction will carry, built as the loader builds a record's: the row's cells normalized by the
 * version its file was read by and, for a legacy layout (the 2016 双公示 layouts), mapped onto the current model
 * by that version's own deriver (src/normalize/derive-legacy-row.ts), so that 处罚机关统一社会信用代码 is looked
 * up from 处罚机关 as it was for the rows that loaded. A key field is usable when no error names it nor a field it
 * is derived from, and the derivation could fill it (a lookup without an entry, or no lookups given, leaves it
 * unknown; when the load's tables were not kept, a key field the load did fill makes the row unmatchable, as
 * below); a whole-row problem other than an in-file duplicate (whose key is known) makes no field usable. With
 * every key field usable the row is matched on its full key; with some usable and at least one of those
 * non-empty, on those fields alone (the bad field is the one the provider will change); with none, the row
 * cannot be matched automatically and stays open on its notice (README "Reports").
 */
export function rejectedRowKey(
  catalog: Catalog,
  catalogCode: string,
  raw: Record<string, string>,
  errors: RowError[],
  reading: RejectedRowReading = {},
): NoticeRowKey {
  const versions = catalog.entries
    .filter((candidate) => candidate.code === catalogCode)
    .sort((a, b) => b.version - a.version);
  const entry = versions.find((candidate) => candidate.version === reading.version) ?? versions[0];
  if (!entry) return NO_KEY;
  const bad = new Set(errors.map((error) => error.field));
  if (bad.has('*') && !errors.some((error) => IN_BATCH_REPEATS.has(error.code))) return NO_KEY;
  const notKept = reading.lookups === 'not-kept';
  const compiled = compileEntry(entry, {}, reading.lookups === 'not-kept' ? undefined : reading.lookups);
  const data: NormalizedRow = {};
  for (const [field, value] of Object.entries(raw)) {
    const normalize = compiled.normalizers.get(field);
    if (!normalize || value === undefined) continue;
    const normalized = normalize(String(value));
    if (normalized !== undefined) data[field] = normalized;
  }
  const sent = new Set(Object.keys(data));
  const derived = compiled.deriveLegacy?.(data);
  // Unresolved here while the load resolved it (no error of the row names its source): the load had tables not
  // kept, the value the record carries is unknown, and matching on the other key fields would take another
  // authority's decision of the same 文号 and subject for this row's correction. Left open instead.
  if (notKept && derived && [...derived.unresolved].some((field) => resolvedByTheLoad(entry, field, bad)))
    return NO_KEY;
  for (const field of derived?.unresolved ?? []) bad.add(field);
  // A value derived from a bad cell changes when the provider corrects that cell (another 处罚机关, another code).
  for (const derivation of entry.legacyLayout?.derivations ?? [])
    if (!sent.has(derivation.to) && derivationSources(derivation).some((source) => bad.has(source)))
      bad.add(derivation.to);
  const parts = compiled.businessKey(data).split(KEY_SEPARATOR);
  const usable = entry.businessKey.map((field) => !bad.has(field));
  if (usable.every(Boolean)) return { businessKey: parts.join(KEY_SEPARATOR), keyParts: null };
  const keyParts: Record<string, string> = {};
  usable.forEach((ok, i) => {
    if (ok) keyParts[String(i + 1)] = parts[i] ?? '';
  });
  return Object.values(keyParts).some((value) => value !== '') ? { businessKey: null, keyParts } : NO_KEY;
}

/** A key field the load filled by its lookups: no error of the row names a field it is derived from. */
function resolvedByTheLoad(entry: CatalogEntry, field: string, named: ReadonlySet<string>): boolean {
  return (
    entry.businessKey.includes(field) &&
    !(entry.legacyLayout?.derivations ?? []).some(
      (derivation) =>
        derivation.to === field && derivationSources(derivation).some((source) => named.has(source)),
    )
  );
}
