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

/**
 * What PostgreSQL cannot store: U+0000 (text refuses the byte, jsonb its `\u0000` escape) and a lone UTF-16
 * surrogate (not a character: UTF-8 cannot encode it, so it would silently become U+FFFD in text, and jsonb
 * refuses its escape). With the `u` flag a well-formed surrogate pair is one code point and does not match.
 */
const UNSTORABLE = /[\0\p{Cs}]/u;
const UNSTORABLE_GLOBAL = /[\0\p{Cs}]/gu;

/** Index of the first character PostgreSQL cannot store, or -1 (the common case: one native scan). */
export function unstorableAt(text: string): number {
  return text.search(UNSTORABLE);
}

/**
 * Whether JSON text (JSON.stringify's output, which escapes both) may hold one: two native searches over a whole
 * row's JSON instead of a scan of every cell. A hit may be a backslash the provider typed: check the cells then.
 */
export function mayHoldUnstorable(json: string): boolean {
  return json.includes('\\u0000') || json.includes('\\ud');
}

/** The text with each unstorable character written visibly as `\uXXXX`: storable, and shows where it was. */
export function visibleText(text: string): string {
  return UNSTORABLE.test(text) ? text.replace(UNSTORABLE_GLOBAL, escapeCharacter) : text;
}

/** Names an unstorable character for a provider: `空字符 NUL（\u0000）`, or a lone surrogate's code. */
export function describeUnstorable(character: string): string {
  const shown = escapeCharacter(character);
  return character === '\0' ? `空字符 NUL（${shown}）` : `不成对的代理项（${shown}，不是有效字符）`;
}

function escapeCharacter(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}
