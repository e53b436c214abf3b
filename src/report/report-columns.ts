import type { RowError } from '../../connectors/row-error.ts';
import { fieldCodes } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { type FieldMasker, fieldMaskerOf, maskPersonalText } from '../log/mask-personal-data.ts';

/** The catalog columns of one entry, in catalog order, with their Chinese titles. */
export interface EntryColumns {
  catalogCode: string;
  /** The entry's Chinese name, e.g. 行政处罚. */
  title: string;
  codes: string[];
  titles: string[];
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
  };
}

/** A field's title for an error line: `（整行）` for whole-row problems. */
export function fieldTitle(columns: EntryColumns, field: string): string {
  if (field === '*') return '（整行）';
  return columns.titles[columns.codes.indexOf(field)] ?? field;
}

/**
 * What leaves the platform: personal fields masked whole, IDs masked wherever else they appear (file names,
 * messages, free text), unless the report is explicitly unmasked (internal use). See mask-personal-data.ts.
 */
export interface ReportMasker {
  readonly unmasked: boolean;
  cell(catalogCode: string, field: string, value: string): string;
  /**
   * An error's message and value; `rows` (the row as received, a conflict's current version) let their personal
   * values be masked where the message quotes them.
   */
  error(
    catalogCode: string,
    error: Pick<RowError, 'field' | 'message' | 'value'>,
    ...rows: Readonly<Record<string, string>>[]
  ): { message: string; value: string };
  /** Any other text shown: a file name, a key, a scope description. */
  text(value: string): string;
}

export function reportMasker(catalog: Catalog, unmasked: boolean): ReportMasker {
  if (unmasked) {
    return {
      unmasked,
      cell: (_catalogCode, _field, value) => value,
      error: (_catalogCode, error) => ({ message: error.message, value: error.value ?? '' }),
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
    cell: (catalogCode, field, value) => maskerOf(catalogCode).cell(field, value),
    error(catalogCode, error, ...rows) {
      const masker = maskerOf(catalogCode);
      const value = error.value ?? '';
      return {
        message: masker.message(error.message, ...rows, { [error.field]: value }),
        value: masker.cell(error.field, value),
      };
    },
    text: maskPersonalText,
  };
}

/** The masking statement every report carries on its first sheet or line. */
export function maskingNote(unmasked: boolean): string {
  return unmasked
    ? '未脱敏：本报告含完整居民身份证号码，仅限平台内部使用，不得对外提供'
    : '已脱敏：居民身份证号码仅显示前4位和后4位';
}
