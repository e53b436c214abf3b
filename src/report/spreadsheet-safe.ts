import type ExcelJS from 'exceljs';

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * CSV only: a value Excel would run as a formula when it opens the file (`=HYPERLINK(...)`, `+1`, `@SUM`) gets a
 * leading apostrophe, which Excel shows as text. A CSV cell has no type, so this is the only guard there; the
 * warehouse and the JSON keep the value as received. XLSX cells are typed instead (`xlsxText`): an apostrophe
 * there would be part of the value, and came back as data when a template was delivered again (issue #18).
 */
export function spreadsheetSafe(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function csvCell(value: string): string {
  const safe = spreadsheetSafe(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(values: string[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** A cell value as the streaming XLSX writer should store it: text typed as text, numbers as numbers. */
export type XlsxCell = ExcelJS.CellRichTextValue | number | null;

/**
 * Text for exceljs' streaming writer, stored as an inline string (`t="inlineStr"`): Excel never evaluates it,
 * whatever it starts with. A plain string would be written `t="str"`, the type ECMA-376 gives a formula's
 * cached result, and a shared-strings table would hold every text of a large report in memory. Empty text is an
 * empty cell.
 */
export function xlsxText(value: string): XlsxCell {
  return value === '' ? null : { richText: [{ text: value }] };
}

/** Text typed as text and numbers kept as numbers, for rows of mixed cells. */
export function xlsxCell(value: string | number): XlsxCell {
  return typeof value === 'number' ? value : xlsxText(value);
}
