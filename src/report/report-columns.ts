import type { RowError } from '../../connectors/row-error.ts';
import { fieldCodes } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { maskIf, personalFieldsOf } from './rejection-rows.ts';

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

/** What leaves the platform: personal fields masked unless the report is explicitly unmasked (internal use). */
export interface ReportMasker {
  readonly unmasked: boolean;
  cell(catalogCode: string, field: string, value: string): string;
  error(catalogCode: string, error: RowError): { message: string; value: string };
}

export function reportMasker(catalog: Catalog, unmasked: boolean): ReportMasker {
  const isPersonal = personalFieldsOf(catalog);
  const mask = (catalogCode: string, field: string) => !unmasked && isPersonal(catalogCode, field);
  return {
    unmasked,
    cell: (catalogCode, field, value) => maskIf(mask(catalogCode, field), value),
    error: (catalogCode, error) => ({
      message: maskIf(mask(catalogCode, error.field), error.message),
      value: maskIf(mask(catalogCode, error.field), error.value ?? ''),
    }),
  };
}

/** The masking statement every report carries on its first sheet or line. */
export function maskingNote(unmasked: boolean): string {
  return unmasked
    ? '未脱敏：本报告含完整居民身份证号码，仅限平台内部使用，不得对外提供'
    : '已脱敏：居民身份证号码仅显示前4位和后4位';
}
