const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A value Excel would run as a formula (`=HYPERLINK(...)`, `+1`, `@SUM`) gets a leading apostrophe, which
 * Excel shows as text. Only reports are changed: the warehouse keeps the value as received.
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
