import { isWarning, type RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { fieldMaskerOf, maskTypedLookup } from '../log/mask-personal-data.ts';
import { isRealIsoDate } from '../normalize/parse-date.ts';
import type { CompiledEntry } from '../run/compiled-entry.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';
import type { VersionData } from '../warehouse/procedure-log-repository.ts';

/** One `--set 字段=值`: the field by its code or its Chinese title, the value as typed. */
export interface FieldSetting {
  field: string;
  value: string;
}

/** A row a procedure will store, in the exact form a delivery's row is stored in. */
export interface ProcedureRow {
  data: VersionData;
  /** Canonical JSON, as the merge stores a delivered row. */
  json: string;
  contentHash: string;
  businessKey: string;
  subjectCode: string | null;
  formationDate: string | null;
  catalogVersion: number;
}

export type CorrectedRow =
  | { ok: true; row: ProcedureRow; warnings: RowError[] }
  | { ok: false; errors: RowError[] };

/** `字段=值` → a setting; the field resolved against the entry (code, or title as in a file's header). */
export function parseSetting(entry: CatalogEntry, text: string): FieldSetting | string {
  const at = text.indexOf('=');
  if (at <= 0) return `--set ${text}: write 字段=值, e.g. --set CF_NR=警告 or --set 处罚内容=警告`;
  const name = text.slice(0, at).trim();
  const value = text.slice(at + 1);
  const properties = entry.schema.properties;
  if (properties[name]) return { field: name, value };
  const byTitle = Object.entries(properties).find(([, field]) => field.title === name);
  if (byTitle) return { field: byTitle[0], value };
  return `--set ${name}: ${entry.code} v${entry.version} has no field ${name} (see credit-etl catalog show ${entry.code})`;
}

/**
 * The current row with the settings applied, normalized and validated exactly as a delivered row is (the
 * same normalizers, validator and cross-field rules, the same Chinese messages); an empty value clears a field.
 */
export function correctedRow(
  compiled: CompiledEntry,
  current: VersionData,
  settings: readonly FieldSetting[],
): CorrectedRow {
  const data: NormalizedRow = { ...current };
  const typed = new Map<string, string>();
  for (const { field, value } of settings) {
    const normalize = compiled.normalizers.get(field);
    const normalized = normalize ? normalize(value) : value;
    if (normalized === undefined) delete data[field];
    else data[field] = normalized;
    typed.set(field, value);
  }
  const problems = compiled.validate(data);
  // As for a delivered row, a problem names the value as it was typed, not as normalized.
  for (const problem of problems) problem.value = typed.get(problem.field) ?? problem.value;
  const errors = problems.filter((problem) => !isWarning(problem));
  if (errors.length > 0) return { ok: false, errors };
  const formation = data[compiled.entry.formationDateField];
  return {
    ok: true,
    warnings: problems,
    row: {
      data: JSON.parse(compiled.canonicalJson(data)) as VersionData,
      json: compiled.canonicalJson(data),
      contentHash: compiled.contentHash(data),
      businessKey: compiled.businessKey(data),
      subjectCode: compiled.subjectCode(data) ?? null,
      formationDate: typeof formation === 'string' && isRealIsoDate(formation) ? formation : null,
      catalogVersion: compiled.entry.version,
    },
  };
}

/**
 * The errors as an officer reads them: one line per problem, field title and code, value, message. Masked as
 * every output is (a personal field's value whole, wherever the message quotes it): the refusal is printed and
 * logged. The values are what the officer typed (`--set 发证日期=…`): one shaped like an ID number is masked in any
 * field, whatever its check character, as every echo of what was typed.
 */
export function describeErrors(entry: CatalogEntry, errors: readonly RowError[]): string[] {
  const masker = fieldMaskerOf(entry);
  return errors.map((error) => {
    const title = entry.schema.properties[error.field]?.title;
    const name = title ? `${title}(${error.field})` : error.field;
    const typed = error.value === undefined ? undefined : String(error.value);
    const value = typed === undefined ? '' : ` 值"${maskTypedLookup(masker.cell(error.field, typed))}"`;
    return `  ${name}${value}: ${maskTypedLookup(masker.message(error.message, { [error.field]: typed }))}`;
  });
}
