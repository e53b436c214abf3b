import { INVISIBLE_CHARACTERS } from '../identifiers/invisible-characters.ts';
import { normalizeCode } from '../identifiers/normalize-code.ts';

/**
 * A row's cells as the provider sent them, by field code (`undefined` for a field no column holds). The validator
 * asks only while it describes a problem, never for a valid row: the row loop's hot path (stage-row.ts).
 */
export type RawCell = (field: string) => string | undefined;

const INVISIBLE_OR_SPACE = new RegExp(`[\\s${INVISIBLE_CHARACTERS}]`, 'gu');

/** Text as a person compares it on screen: full-width, case, spaces and invisible characters aside. */
const folded = (text: string) => text.normalize('NFKC').replace(INVISIBLE_OR_SPACE, '').toUpperCase();

/**
 * The cell a message quotes: what the provider sent (trimmed), so that it can be found in their own file; the
 * normalized value when the field has no raw cell (a legacy layout's derived field, a caller without cells).
 */
export function rawText(value: string, raw: string | undefined): string {
  const text = raw?.trim();
  return text ? text : value;
}

/**
 * How the normalized reading of a cell is added after the cell, when it reads differently from what was sent:
 * `2026年13月45日` read as `2026-13-45`. Nothing when only width, case or spaces differ (`９１３７…`, `…12x`).
 */
export function readingOf(value: string, raw: string | undefined): string | undefined {
  const text = raw?.trim();
  if (!text || text === value || folded(text) === folded(value)) return undefined;
  return value;
}

/**
 * A field's value as a message quotes it: `"<as sent>"`, with `（读作 <normalized>）` where the reading helps.
 * `mask` (a personal value) is applied to the cell as sent, and then no reading is added.
 */
export function quoteValue(value: string, raw: string | undefined, mask?: (text: string) => string): string {
  const text = rawText(value, raw);
  if (mask) return `"${mask(text)}"`;
  const reading = readingOf(value, raw);
  return reading === undefined ? `"${text}"` : `"${text}"（读作 ${reading}）`;
}

const ACTUAL_CHARACTER = /第(\d+)位应为"([^"]*)"，实际为"([^"]*)"/;

/**
 * An identifier problem's message quotes one character of the normalized code (`实际为"X"`): the character the
 * provider typed there instead (`实际为"x"`, a full-width digit), found by reading the cell as normalizeCode does.
 */
export function withRawCharacter(message: string, value: string, raw: string | undefined): string {
  if (raw === undefined || raw === value) return message;
  const match = ACTUAL_CHARACTER.exec(message);
  if (!match) return message;
  const sent = sentCharacterAt(raw, Number(match[1]) - 1);
  if (sent === undefined || sent === match[3]) return message;
  return message.replace(ACTUAL_CHARACTER, `第${match[1]}位应为"${match[2]}"，实际为"${sent}"`);
}

/** The character of `raw` that became the `index`-th character of normalizeCode(raw); undefined if unsure. */
function sentCharacterAt(raw: string, index: number): string | undefined {
  const code = Array.from(normalizeCode(raw));
  if (index < 0 || index >= code.length) return undefined;
  let at = 0;
  for (const char of raw) {
    // A character normalizeCode removes (space, apostrophe, dash) matches no code character and is passed over.
    if (char.normalize('NFKC').toUpperCase() !== code[at]) continue;
    if (at === index) return char;
    at++;
  }
  return undefined;
}
