/** PostgreSQL COPY text format: one line per row, tab-separated, `\N` for NULL, backslash escapes. */
export type CopyValue = string | number | boolean | null | undefined;

const SPECIAL_GLOBAL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value !== 'string') return String(value);
  return needsEscape(value) ? value.replace(SPECIAL_GLOBAL, (c) => ESCAPES[c] ?? c) : value;
}

/** Four native searches: about twice as fast as one regex test on the long JSON cells of every row. */
function needsEscape(value: string): boolean {
  return value.includes('\\') || value.includes('\t') || value.includes('\n') || value.includes('\r');
}
