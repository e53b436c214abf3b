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
