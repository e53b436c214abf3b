/*
 * The characters a reader takes for the digits of an ID number, whatever script or form they were typed in. The
 * validator reads codes through NFKC (normalize-code.ts): 𝟑𝟕𝟎… (mathematical bold), ³⁷⁰… (superscripts) and
 * ③⑦⓪… (circled) fold to 370…, so an ID typed so is accepted as one and must be masked as one. Digits of other
 * scripts (Arabic-Indic ٣٧٠…, Devanagari …) do not fold, but a reader reads them all the same.
 */

/**
 * A digit: any decimal digit (`\p{Nd}`: ASCII, full-width, Arabic-Indic, mathematical …) and the characters NFKC
 * folds to one digit (superscripts ⁰–⁹, subscripts ₀–₉, circled ①–⑨ and ⓪). For regular expressions with `u`.
 */
export const DIGIT_CLASS =
  '[\\p{Nd}\\u00B2\\u00B3\\u00B9\\u2070\\u2074-\\u2079\\u2080-\\u2089\\u2460-\\u2468\\u24EA]';

/**
 * The check character X, in every form NFKC folds to X or x: full-width, the Roman numeral Ⅹ/ⅹ, circled,
 * modifier and subscript x, and the mathematical letters (𝐗 …). For regular expressions with `u`.
 */
export const CHECK_X_CLASS =
  '[Xx\\u02E3\\u2093\\u2169\\u2179\\u24CD\\u24E7\\uFF38\\uFF58\\u{1CCED}\\u{1D417}\\u{1D431}\\u{1D44B}\\u{1D465}' +
  '\\u{1D47F}\\u{1D499}\\u{1D4B3}\\u{1D4CD}\\u{1D4E7}\\u{1D501}\\u{1D51B}\\u{1D535}\\u{1D54F}\\u{1D569}\\u{1D583}' +
  '\\u{1D59D}\\u{1D5B7}\\u{1D5D1}\\u{1D5EB}\\u{1D605}\\u{1D61F}\\u{1D639}\\u{1D653}\\u{1D66D}\\u{1D687}\\u{1D6A1}' +
  '\\u{1F147}]';

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
  if (!mayBeDigit(codePoint)) return -1;
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
 * False for a UTF-16 code unit that is surely no digit other than an ASCII or full-width one: Latin-1 but for the
 * superscripts, general punctuation, CJK (kana, ideographs, Hangul) and the rest of the full-width forms. What
 * Chinese text is made of stops here; anything else (a surrogate, another script) is looked at closely.
 */
export function mayBeDigit(code: number): boolean {
  if (code < 0x660) return code === 0xb2 || code === 0xb3 || code === 0xb9;
  if (code >= 0x2000 && code <= 0x206f) return false;
  if (code >= 0x2e80 && code < 0xa620) return false;
  if (code >= 0xac00 && code <= 0xd7af) return false;
  return !(code >= 0xff00 && code <= 0xffef);
}

/**
 * Every digit of any form to its ASCII digit and every X to `X`, other characters as they are: the form the
 * identifier checks read (`３７０…`, `𝟑𝟕𝟎…`, `٣٧٠…` → `370…`).
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
    else out += text.slice(i, i + width);
    i += width - 1;
  }
  return out;
}
