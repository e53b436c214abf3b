/**
 * Characters that show nothing and mean nothing in credit data, left in cells by Excel, web forms and copying from
 * documents: the soft hyphen, the combining grapheme joiner, the Arabic letter mark, the Mongolian vowel separator,
 * zero-width spaces and joiners, direction marks, embeddings and overrides (U+200E/F, U+202A–E), the word joiner and
 * invisible operators (U+2060–4), direction isolates (U+2066–9) and the BOM. NFKC leaves every one of them as it is.
 * One list for the three readers of a cell (normalize-code.ts, normalize-value.ts, mask-ids.ts), which had drifted
 * apart; the ranges of a regular expression's character class, without the brackets.
 */
export const INVISIBLE_CHARACTERS =
  '\\u00AD\\u034F\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF';

/**
 * What shows nothing in a text a person must give (a legal procedure's basis, reason and operator; the reason to
 * unmask): control characters (U+0085 among them), whitespace (U+202F, U+3000…), INVISIBLE_CHARACTERS and the rest
 * of the format characters around them (U+2060–206F), the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the
 * Braille blank (U+2800), the Khmer inherent vowels (U+17B4/5), the Mongolian and the other variation selectors
 * (U+180B–180F, U+FE00–FE0F, U+E0100–E01EF), the interlinear annotation marks (U+FFF9–FFFB), the musical
 * formatting characters (U+1D173–1D17A) and the tags (U+E0000–E007F). The ranges of a character class of a `u`
 * regular expression; migration 051 holds the same list for the database's checks (a test keeps them equal).
 */
export const SHOWS_NOTHING =
  '\\u0000-\\u0020\\u007F-\\u00A0\\u00AD\\u034F\\u061C\\u115F\\u1160\\u1680\\u17B4\\u17B5\\u180B-\\u180F' +
  '\\u2000-\\u200F\\u2028-\\u202F\\u205F-\\u206F\\u2800\\u3000\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF9-\\uFFFB' +
  '\\u{1D173}-\\u{1D17A}\\u{E0000}-\\u{E007F}\\u{E0100}-\\u{E01EF}';

const NOTHING_SHOWN = new RegExp(`[${SHOWS_NOTHING}]`, 'gu');

/** How many characters (code points) of `text` show something: none for a text of spaces and invisibles only. */
export function visibleLength(text: string | null | undefined): number {
  if (!text) return 0;
  return [...text.replace(NOTHING_SHOWN, '')].length;
}
