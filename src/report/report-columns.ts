import type { RowError } from '../../connectors/row-error.ts';
import { type CatalogEntry, type FieldSchema, fieldCodes } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { type FieldMasker, fieldMaskerOf, maskPersonalText } from '../log/mask-personal-data.ts';
import { providerMessage } from './provider-message.ts';
import { fieldSchemaOf } from './template-columns.ts';

/** The catalog columns of one entry, in catalog order, with their Chinese titles. */
export interface EntryColumns {
  catalogCode: string;
  /** The entry's Chinese name, e.g. 行政处罚. */
  title: string;
  codes: string[];
  titles: string[];
  /**
   * The Chinese title of a field the columns do not show (an error on a legacy layout's source column such as
   * `DQZT` 当前状态, or on a field the layout only derives), from the catalog: see catalogFieldTitle.
   */
  titleOf?: (code: string) => string | undefined;
}

/** Columns of the newest version of an entry (a later version only adds fields); the bare code if unknown. */
export function entryColumns(catalog: Catalog, catalogCode: string): EntryColumns {
  const versions = catalog.entries
    .filter((entry) => entry.code === catalogCode)
    .sort((a, b) => b.version - a.version);
  const codes = [...new Set(versions.flatMap((entry) => fieldCodes(entry)))];
  const titleOf = (code: string) =>
    versions.find((entry) => entry.schema.properties[code])?.schema.properties[code]?.title ?? code;
  return {
    catalogCode,
    title: versions[0]?.title ?? catalogCode,
    codes,
    titles: codes.map(titleOf),
    titleOf: (code) => catalogFieldTitle(catalog, catalogCode, code),
  };
}

/**
 * A field's Chinese title from any version of an entry, newest first: a field of the model, else a legacy
 * layout's source column (`DQZT` 当前状态, `CF_CFLB1` 处罚类别1), which only a legacy version declares.
 * `version` first asks that version (a legacy row's field under the title its layout gives it).
 */
export function catalogFieldTitle(
  catalog: Catalog,
  catalogCode: string,
  code: string,
  version?: number,
): string | undefined {
  const versions = catalog.entries
    .filter((entry) => entry.code === catalogCode)
    .sort((a, b) => (a.version === version ? -1 : b.version === version ? 1 : b.version - a.version));
  for (const entry of versions) {
    const title = entry.schema.properties[code]?.title ?? entry.legacyLayout?.sourceFields[code]?.title;
    if (title !== undefined) return title;
  }
  return undefined;
}

/**
 * The columns of a file read by `version` of an entry, as that file had them: for a legacy layout (the 2016
 * 双公示 one), its own columns under their old names — the fields it carries, a joined field as the columns it is
 * joined from (处罚类别1, 处罚类别2), its source columns (当前状态…) — without the fields only derived from them,
 * unless the file carried one (`carried`: the keys of its rows' `raw`); else the entry's current columns
 * (entryColumns). A rejection's `raw` is keyed by these codes, and a sheet under these headers is read back by
 * the same version (pick-version.ts). `layout` is the legacy version, undefined for the current columns.
 */
export function layoutColumns(
  catalog: Catalog,
  catalogCode: string,
  version: number | null | undefined,
  carried: ReadonlySet<string> = new Set(),
): EntryColumns & { layout?: number; fields: (FieldSchema | undefined)[] } {
  const entry = legacyEntry(catalog, catalogCode, version);
  if (!entry?.legacyLayout) {
    const columns = entryColumns(catalog, catalogCode);
    return {
      ...columns,
      fields: columns.codes.map((code) => fieldSchemaOf(catalog.entries, catalogCode, code)),
    };
  }
  const { legacyLayout: layout } = entry;
  const joined = new Map<string, string[]>();
  for (const derivation of layout.derivations)
    if (derivation.derive === 'join') joined.set(derivation.to, derivation.from);
  const derived = new Set(layout.derivations.map((derivation) => derivation.to));
  const codes: string[] = [];
  for (const code of fieldCodes(entry)) {
    codes.push(...(joined.get(code) ?? []));
    if (!derived.has(code) || carried.has(code)) codes.push(code);
  }
  for (const code of Object.keys(layout.sourceFields)) if (!codes.includes(code)) codes.push(code);
  const fields = codes.map((code) => entry.schema.properties[code] ?? layout.sourceFields[code]);
  return {
    catalogCode,
    title: entry.title,
    codes,
    titles: codes.map((code, i) => fields[i]?.title ?? code),
    titleOf: (code) => catalogFieldTitle(catalog, catalogCode, code, entry.version),
    layout: entry.version,
    fields,
  };
}

/** The version `version` of an entry when it is a legacy layout. */
function legacyEntry(
  catalog: Catalog,
  catalogCode: string,
  version: number | null | undefined,
): CatalogEntry | undefined {
  if (version === null || version === undefined) return undefined;
  const entry = catalog.entries.find((one) => one.code === catalogCode && one.version === version);
  return entry?.legacyLayout ? entry : undefined;
}

/** The legacy version whose layout a file read by `version` is in; undefined for the current columns. */
export function legacyLayoutOf(
  catalog: Catalog,
  catalogCode: string,
  version: number | null | undefined,
): number | undefined {
  return legacyEntry(catalog, catalogCode, version)?.version;
}

/** A field's title for an error line: `（整行）` for whole-row problems; a field off the columns by the catalog. */
export function fieldTitle(columns: EntryColumns, field: string): string {
  if (field === '*') return '（整行）';
  return columns.titles[columns.codes.indexOf(field)] ?? columns.titleOf?.(field) ?? field;
}

/**
 * Who reads a report's messages: the platform's operators (the CLI, the staff's pages), the message whole; or a
 * provider (the report downloaded from the direct-report page, a review notice), without the operators' remarks
 * naming an option or a setting it cannot use (provider-message.ts).
 */
export type MessageReader = 'operator' | 'provider';

/**
 * What leaves the platform: personal fields masked whole, IDs masked wherever else they appear (file names,
 * messages, free text), unless the report is explicitly unmasked (internal use). See mask-personal-data.ts.
 */
export interface ReportMasker {
  readonly unmasked: boolean;
  readonly reader: MessageReader;
  cell(catalogCode: string, field: string, value: string): string;
  /**
   * A row's cells as shown: each masked as its field says, and the row's own personal values (a person's ID, also
   * mistyped by a character) wherever its other cells quote them — what masking cell by cell cannot know.
   */
  row(catalogCode: string, row: Readonly<Record<string, unknown>>): Record<string, string>;
  /**
   * An error's message and value; `rows` (the row as received, a conflict's current version) let their personal
   * values be masked where the message quotes them. A provider's message is without the operators' remarks.
   */
  error(
    catalogCode: string,
    error: Pick<RowError, 'field' | 'message' | 'value'>,
    ...rows: Readonly<Record<string, string>>[]
  ): { message: string; value: string };
  /** Any other text shown: a file name, a key, a scope description. */
  text(value: string): string;
}

export function reportMasker(
  catalog: Catalog,
  unmasked: boolean,
  reader: MessageReader = 'operator',
): ReportMasker {
  const messageOf = reader === 'provider' ? providerMessage : (message: string) => message;
  if (unmasked) {
    return {
      unmasked,
      reader,
      cell: (_catalogCode, _field, value) => value,
      row: (_catalogCode, row) => textCells(row),
      error: (_catalogCode, error) => ({ message: messageOf(error.message), value: error.value ?? '' }),
      text: (value) => value,
    };
  }
  const maskers = new Map<string, FieldMasker>();
  const maskerOf = (catalogCode: string): FieldMasker => {
    let masker = maskers.get(catalogCode);
    if (!masker) {
      // The newest version: a later version only adds fields, so it declares every personal field.
      const newest = catalog.entries
        .filter((entry) => entry.code === catalogCode)
        .sort((a, b) => b.version - a.version)[0];
      masker = fieldMaskerOf(newest);
      maskers.set(catalogCode, masker);
    }
    return masker;
  };
  return {
    unmasked,
    reader,
    cell: (catalogCode, field, value) => maskerOf(catalogCode).cell(field, value),
    row: (catalogCode, row) => maskerOf(catalogCode).row(textCells(row)),
    error(catalogCode, error, ...rows) {
      const masker = maskerOf(catalogCode);
      const value = error.value ?? '';
      return {
        message: masker.message(messageOf(error.message), ...rows, { [error.field]: value }),
        value: masker.cell(error.field, value),
      };
    },
    text: maskPersonalText,
  };
}

/** A stored row's cells as text: a rejected row keeps the numbers it could read as numbers; an empty cell is ''. */
function textCells(row: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(Object.entries(row).map(([field, value]) => [field, String(value ?? '')]));
}

/** The masking statement every report carries on its first sheet or line. */
export function maskingNote(unmasked: boolean): string {
  return unmasked
    ? '未脱敏：本报告含完整居民身份证号码，仅限平台内部使用，不得对外提供'
    : '已脱敏：居民身份证号码仅显示前4位和后4位';
}
