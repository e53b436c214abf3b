import type { RowError } from '../../connectors/row-error.ts';
import type { CatalogEntry, FieldSchema } from '../catalog/catalog-entry.ts';
import type { Derivation } from '../catalog/legacy-layout.ts';
import type { CellValue, ValueNormalizer } from './normalize-value.ts';

type Row = Record<string, CellValue>;

/** Tables a pipeline declares for `lookup` derivations: table → source value → derived value. */
export type Lookups = Readonly<Record<string, Readonly<Record<string, string>>>>;

/**
 * Applies a legacy layout's derivations to a normalized row, in place: the model's fields are filled from the old
 * columns, the source fields are taken out of the row (they are no part of the record's content) and returned
 * as the row's source values (当前状态 for the withdrawals, 数据更新时间戳). Problems a derivation finds (a
 * lookup with no entry, a source value outside its code list) are returned as row errors.
 */
export type LegacyRowDeriver = (row: Row) => DerivedRow;

export interface DerivedRow {
  /** The old columns that are no field of the model, as normalized. */
  source: Row;
  errors: RowError[];
  /** Fields a derivation could not fill (a lookup without an entry): its error says why, not a missing-value. */
  unresolved: ReadonlySet<string>;
}

export function compileLegacyDeriver(
  entry: CatalogEntry,
  normalizers: ReadonlyMap<string, ValueNormalizer>,
  lookups: Lookups = {},
): LegacyRowDeriver | undefined {
  const layout = entry.legacyLayout;
  if (!layout) return undefined;
  const titleOf = (code: string) =>
    entry.schema.properties[code]?.title ?? layout.sourceFields[code]?.title ?? code;
  const steps = layout.derivations.map((derivation) =>
    compileStep(derivation, normalizers, lookups, titleOf),
  );
  const sourceCodes = Object.keys(layout.sourceFields);
  const targetOf = new Map(
    layout.derivations.flatMap((derivation) =>
      derivation.derive === 'lookup' ? [[derivation.from, derivation.to] as const] : [],
    ),
  );
  const codeListChecks = Object.entries(layout.sourceFields).flatMap(([code, field]) =>
    field['x-codeList'] ? [codeListCheck(code, field)] : [],
  );
  return (row) => {
    const errors: RowError[] = [];
    for (const check of codeListChecks) check(row, errors);
    for (const step of steps) step(row, errors);
    const source: Row = {};
    for (const code of sourceCodes) {
      if (row[code] !== undefined) source[code] = row[code];
      delete row[code];
    }
    const unresolved = new Set(
      errors.flatMap((error) => (error.code === 'lookup-missing' ? [targetOf.get(error.field)!] : [])),
    );
    return { source, errors, unresolved };
  };
}

type Step = (row: Row, errors: RowError[]) => void;

function compileStep(
  derivation: Derivation,
  normalizers: ReadonlyMap<string, ValueNormalizer>,
  lookups: Lookups,
  titleOf: (code: string) => string,
): Step {
  const { to } = derivation;
  // A derived value goes through the target's own normalizer: code-list aliases, canonical lists, code forms.
  const normalize = normalizers.get(to) ?? ((text: string) => (text === '' ? undefined : text));
  const set = (row: Row, text: string) => {
    const value = normalize(text);
    if (value === undefined) delete row[to];
    else row[to] = value;
  };
  switch (derivation.derive) {
    case 'join':
      return (row) => {
        const parts = derivation.from.flatMap((code) => (row[code] === undefined ? [] : [String(row[code])]));
        set(row, parts.join(';'));
      };
    case 'value-when-filled':
      return (row) => {
        if (row[to] === undefined && row[derivation.when] !== undefined) set(row, derivation.value);
      };
    case 'subject-type':
      return (row) => {
        if (row[to] !== undefined) return;
        const uscc = row[derivation.uscc];
        if (row[derivation.residentId] !== undefined) set(row, derivation.natural);
        else if (
          typeof uscc === 'string' &&
          derivation.individualCategories.some((category) => uscc.startsWith(category))
        )
          set(row, derivation.individual);
        else set(row, derivation.other);
      };
    case 'lookup': {
      const table = lookups[derivation.table] ?? {};
      return (row, errors) => {
        const key = row[derivation.from];
        if (row[to] !== undefined || key === undefined) return;
        const found = table[String(key)];
        if (found !== undefined) {
          set(row, found);
          return;
        }
        errors.push({
          field: derivation.from,
          code: 'lookup-missing',
          message: `无法确定“${titleOf(to)}”：${titleOf(derivation.from)}“${key}”不在管道的对照表 lookups.${derivation.table} 中，请在对照表中补充，或在文件中增加“${titleOf(to)}”列`,
          value: String(key),
        });
      };
    }
  }
}

function codeListCheck(code: string, field: FieldSchema): Step {
  const codeList = field['x-codeList']!;
  const allowed = new Set(codeList.values);
  return (row, errors) => {
    const value = row[code];
    if (value === undefined || allowed.has(String(value))) return;
    errors.push({
      field: code,
      code: 'not-in-code-list',
      message: `${field.title}“${value}”不在代码表中，应为：${codeList.values.join('、')}`,
      value: String(value),
    });
  };
}
