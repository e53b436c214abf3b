import { INVISIBLE_CHARACTERS } from './invisible-characters.ts';

// Invisible or space-like characters that survive copy/paste from Word, web pages and Excel. NFKC has
// already turned NBSP and the ideographic space into U+0020, but zero-width characters and the soft
// hyphen are untouched by it.
const INVISIBLE = new RegExp(`[\\s${INVISIBLE_CHARACTERS}]`, 'gu');

// Excel users type an apostrophe so a long number stays text; Chinese IMEs turn it into a curly quote.
const LEADING_APOSTROPHES = /^['‘’`]+/u;

// ASCII hyphen-minus (and full-width/small variants, which NFKC maps to it), the Unicode hyphens and
// dashes (U+2010–U+2015: hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar),
// and the minus sign; NFKC also maps the superscript and subscript minus and the small and vertical dashes to
// these. The masker knows every character this removes (mask-ids.test.ts reads all of Unicode through it).
const DASHES_INSIDE = /(?<=[0-9A-Za-z])[-\u2010-\u2015\u2212]+(?=[0-9A-Za-z])/gu;

const ASCII_UPPER_ALPHANUMERIC = /^[0-9A-Z]*$/;
const ASCII_ALPHANUMERIC = /^[0-9A-Za-z]*$/;

/**
 * Brings a code as typed by a data provider to the canonical form the checks expect:
 * full-width → half-width (NFKC), whitespace and invisible characters removed, a leading apostrophe
 * dropped, hyphens between code characters removed (`D2143569-X` → `D2143569X`), uppercased.
 *
 * A dash that is not between two code characters is kept, so placeholders such as `-` or `——` stay
 * recognisable. Nothing else is "repaired": O/0 and I/1 confusions are left for the checks to report.
 */
export function normalizeCode(raw: string): string {
  // Most codes arrive as plain ASCII letters and digits, which none of the steps below change but case.
  if (ASCII_UPPER_ALPHANUMERIC.test(raw)) return raw;
  if (ASCII_ALPHANUMERIC.test(raw)) return raw.toUpperCase();
  return raw
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(LEADING_APOSTROPHES, '')
    .replace(DASHES_INSIDE, '')
    .toUpperCase();
}
