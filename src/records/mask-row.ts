import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { maskPersonalData } from '../log/mask-personal-data.ts';
import type { CellValue } from '../normalize/normalize-value.ts';

export type RowData = Record<string, CellValue>;

/** Masks a personal number of any shape to its first and last characters (passports are not resident IDs). */
export function maskIdentifier(value: string): string {
  if (value.length <= 4) return '*'.repeat(value.length);
  const keep = value.length >= 12 ? 4 : 2;
  return `${value.slice(0, keep)}${'*'.repeat(value.length - 2 * keep)}${value.slice(-keep)}`;
}

/** A copy of a row with the entry's personal fields (`x-personal`) and any resident ID in text masked. */
export function maskRow(entry: CatalogEntry | undefined, row: RowData): RowData {
  const masked: RowData = {};
  for (const [field, value] of Object.entries(row)) {
    if (typeof value !== 'string') masked[field] = value;
    else if (entry?.schema.properties[field]?.['x-personal']) masked[field] = maskIdentifier(value);
    else masked[field] = maskPersonalData(value);
  }
  return masked;
}
