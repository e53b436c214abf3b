/*
 * The characters a reader takes for the digits and the X of an ID number, whatever script or form they were typed in,
 * and the dashes between its groups. The validator reads codes through NFKC (normalize-code.ts): 𝟑𝟕𝟎… (mathematical
 * bold), ³⁷⁰… (superscripts), ③⑦⓪… (circled) fold to 370…, ⑩…㊿ to two digits each, ˣ and 𝐗 to x and X, and ⁻, ﹘, ︱
 * to dashes it then removes, so an ID typed so is accepted as one and must be masked as one. Digits of other scripts
 * (Arabic-Indic ٣٧٠…, Devanagari …) do not fold, but a reader reads them all the same. These tables are written
 * out, not built from NFKC at start-up (a pass over Unicode takes over a second); id-digits.test.ts proves each equal
 * to what NFKC and normalizeCode do to every code point of this Node's Unicode.
 */

/**
 * A digit: any decimal digit (`\p{Nd}`: ASCII, full-width, Arabic-Indic, mathematical …) and the characters NFKC
 * folds to one digit (superscripts ⁰–⁹, subscripts ₀–₉, circled ①–⑨ and ⓪). For regular expressions with `u`.
 */
export const DIGIT_CLASS =
  '[\\p{Nd}\\u00B2\\u00B3\\u00B9\\u2070\\u2074-\\u2079\\u2080-\\u2089\\u2460-\\u2468\\u24EA]';

/** The characters NFKC folds to two digits: circled numbers ⑩–⑳, ㉑–㉟ and ㊱–㊿. */
export const MULTI_DIGIT_CLASS = '[\\u2469-\\u2473\\u3251-\\u325F\\u32B1-\\u32BF]';

/**
 * The check character X, in every form NFKC folds to X or x: full-width, the Roman numeral Ⅹ/ⅹ, circled,
 * modifier and subscript x, and the mathematical letters (𝐗 …). For regular expressions with `u`.
 */
export const CHECK_X_CLASS =
  '[Xx\\u02E3\\u2093\\u2169\\u2179\\u24CD\\u24E7\\uFF38\\uFF58\\u{1CCED}\\u{1D417}\\u{1D431}\\u{1D44B}\\u{1D465}' +
  '\\u{1D47F}\\u{1D499}\\u{1D4B3}\\u{1D4CD}\\u{1D4E7}\\u{1D501}\\u{1D51B}\\u{1D535}\\u{1D54F}\\u{1D569}\\u{1D583}' +
  '\\u{1D59D}\\u{1D5B7}\\u{1D5D1}\\u{1D5EB}\\u{1D605}\\u{1D61F}\\u{1D639}\\u{1D653}\\u{1D66D}\\u{1D687}\\u{1D6A1}' +
  '\\u{1F147}]';

/**
 * The dashes the validator removes between code characters: the hyphen-minus, the hyphens and dashes U+2010–2015,
 * the minus sign, and what NFKC folds to one of them (superscript and subscript minus ⁻ ₋, the vertical dashes ︱ ︲,
 * the small em dash and hyphen-minus ﹘ ﹣, the full-width hyphen-minus). All in the BMP: usable without `u`.
 */
export const DASH_CLASS = '[\\-\\u2010-\\u2015\\u207B\\u208B\\u2212\\uFE31\\uFE32\\uFE58\\uFE63\\uFF0D]';

const PLAIN_CODE = /^[0-9]*X?$/;
const ASCII_TEXT = /^\p{ASCII}*$/u;
const DIGIT_CHAR = new RegExp(`^${DIGIT_CLASS}$`, 'u');
const DECIMAL_DIGIT = /^\p{Nd}$/u;
const CHECK_X_CHAR = new RegExp(`^${CHECK_X_CLASS}$`, 'u');

/** Digit values of the code points other than ASCII and full-width digits seen so far: at most a few hundred. */
const otherDigits = new Map<number, number>();

/**
 * The value (0–9) of a code point read as a digit, or -1. ASCII and full-width digits by arithmetic; any other
 * decimal digit by its place in its script's run of ten (Unicode keeps every script's 0–9 contiguous, 0 first),
 * and the NFKC forms by their fold.
 */
export function digitValue(codePoint: number): number {
  if (codePoint >= 48 && codePoint <= 57) return codePoint - 48;
  if (codePoint >= 0xff10 && codePoint <= 0xff19) return codePoint - 0xff10;
  if (!mayBeOtherForm(codePoint)) return -1;
  const known = otherDigits.get(codePoint);
  if (known !== undefined) return known;
  const char = String.fromCodePoint(codePoint);
  if (!DIGIT_CHAR.test(char)) return -1;
  let value: number;
  if (DECIMAL_DIGIT.test(char)) {
    let zero = codePoint;
    while (DECIMAL_DIGIT.test(String.fromCodePoint(zero - 1))) zero--;
    value = (codePoint - zero) % 10;
  } else {
    value = char.normalize('NFKC').charCodeAt(0) - 48;
  }
  otherDigits.set(codePoint, value);
  return value;
}

/** True when a code point is a check character X in any of its forms. */
export function isCheckX(codePoint: number): boolean {
  switch (codePoint) {
    case 88:
    case 120:
    case 0xff38:
    case 0xff58:
    case 0x2e3:
    case 0x2093:
    case 0x2169:
    case 0x2179:
    case 0x24cd:
    case 0x24e7:
    case 0x1cced:
    case 0x1f147:
      return true;
  }
  return codePoint >= 0x1d400 && codePoint <= 0x1d6a3 && CHECK_X_CHAR.test(String.fromCodePoint(codePoint));
}

/**
 * How many digits of an ID a character stands for: 1 for a digit of any form, 2 for ⑩–㊿ (NFKC: `10`–`50`), else 0.
 */
export function digitCount(codePoint: number): number {
  if (digitValue(codePoint) >= 0) return 1;
  return isMultiDigit(codePoint) ? 2 : 0;
}

function isMultiDigit(codePoint: number): boolean {
  return (
    (codePoint >= 0x2469 && codePoint <= 0x2473) ||
    (codePoint >= 0x3251 && codePoint <= 0x325f) ||
    (codePoint >= 0x32b1 && codePoint <= 0x32bf)
  );
}

/**
 * False for a UTF-16 code unit that is surely none of the ID characters beyond ASCII and full-width digits and X: no
 * other digit, no other X (ˣ …), no character for two digits (⑩ …). CJK ideographs first (most of what is shown),
 * then Latin-1 but for the superscripts, modifier letters before ˣ, general punctuation, the rest of CJK (radicals,
 * kana, CJK symbols but ㉑–㉟ and ㊱–㊿), Hangul and the rest of the full-width forms. Anything else (a surrogate,
 * another script) is looked at closely. The dashes need no look: both sets of patterns know them all.
 */
export function mayBeOtherForm(code: number): boolean {
  if (code >= 0x3400 && code < 0xa620) return false;
  if (code < 0x660) return code === 0xb2 || code === 0xb3 || code === 0xb9 || code === 0x2e3;
  if (code >= 0x2000 && code <= 0x206f) return false;
  if (code >= 0x2e80 && code < 0x3400)
    return (code >= 0x3251 && code <= 0x325f) || (code >= 0x32b1 && code <= 0x32bf);
  if (code >= 0xac00 && code <= 0xd7af) return false;
  return !(code >= 0xff00 && code <= 0xffef);
}

/**
 * Every digit of any form to its ASCII digit, ⑩–㊿ to their two digits and every X to `X`, other characters as they
 * are: the form the identifier checks read (`３７０…`, `𝟑𝟕𝟎…`, `٣٧٠…` → `370…`).
 */
export function foldDigits(text: string): string {
  if (PLAIN_CODE.test(text)) return text;
  if (ASCII_TEXT.test(text)) return text.replaceAll('x', 'X');
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const codePoint = text.codePointAt(i)!;
    const width = codePoint > 0xffff ? 2 : 1;
    const value = digitValue(codePoint);
    if (value >= 0) out += String.fromCharCode(48 + value);
    else if (isCheckX(codePoint)) out += 'X';
    else if (isMultiDigit(codePoint)) out += text.slice(i, i + width).normalize('NFKC');
    else out += text.slice(i, i + width);
    i += width - 1;
  }
  return out;
}
