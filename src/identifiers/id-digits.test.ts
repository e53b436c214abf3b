import { describe, expect, it } from 'vitest';
import {
  CHECK_X_CLASS,
  DASH_CLASS,
  DIGIT_CLASS,
  digitCount,
  digitValue,
  foldDigits,
  isCheckX,
  MULTI_DIGIT_CLASS,
  mayBeOtherForm,
} from './id-digits.ts';
import { normalizeCode } from './normalize-code.ts';

/** Every code point but the surrogates, as Unicode data of this Node knows them. */
function* codePoints(): Generator<number> {
  for (let codePoint = 0; codePoint < 0x110000; codePoint++) {
    if (codePoint < 0xd800 || codePoint > 0xdfff) yield codePoint;
  }
}

const matches = (characterClass: string) => new RegExp(`^${characterClass}$`, 'u');

/** What the plain patterns of mask-ids.ts know, without the gate: ASCII and full-width digits and X. */
const PLAIN = /^[0-9Xx\uFF10-\uFF19\uFF38\uFF58]$/;

describe('digits of every form', () => {
  it('reads every decimal digit and every character NFKC folds to digits, X or a removed dash, and nothing else', () => {
    const wrong: string[] = [];
    const inDigitClass = matches(DIGIT_CLASS);
    const inMultiClass = matches(MULTI_DIGIT_CLASS);
    const inXClass = matches(CHECK_X_CLASS);
    const inDashClass = matches(DASH_CLASS);
    const counts = { digits: 0, multi: 0, x: 0, dashes: 0 };
    for (const codePoint of codePoints()) {
      const char = String.fromCodePoint(codePoint);
      const at = codePoint.toString(16);
      const folded = char.normalize('NFKC');
      const isDigit = /^\p{Nd}$/u.test(char) || /^[0-9]$/.test(folded);
      const isMulti = /^[0-9]{2,}$/.test(folded);
      const isX = /^[Xx]$/.test(folded);
      // A dash the validator removes between two code characters, and keeps alone (a placeholder `-`).
      const isDash = normalizeCode(`1${char}1`) === '11' && normalizeCode(char) !== '';
      const value = digitValue(codePoint);
      if (isDigit) counts.digits++;
      if (isMulti) counts.multi++;
      if (isX) counts.x++;
      if (isDash) counts.dashes++;
      if (isDigit !== value >= 0 || isDigit !== inDigitClass.test(char)) wrong.push(`${at}: ${value}`);
      else if (/^[0-9]$/.test(folded) && value !== Number(folded)) wrong.push(`${at}: ${value}`);
      if (isMulti !== inMultiClass.test(char)) wrong.push(`${at}: several digits?`);
      if (digitCount(codePoint) !== (isDigit ? 1 : isMulti ? folded.length : 0))
        wrong.push(`${at}: how many?`);
      if ((isDigit || isMulti) && !/^\p{Nd}$/u.test(char) && foldDigits(char) !== folded)
        wrong.push(`${at}: folds to ${foldDigits(char)}`);
      if (isCheckX(codePoint) !== isX || inXClass.test(char) !== isX) wrong.push(`${at}: X?`);
      if (inDashClass.test(char) !== isDash) wrong.push(`${at}: dash?`);
      // The cheap pre-test on a UTF-16 unit passes over no digit or X the plain patterns do not know (astral ones
      // start with a surrogate, which it always lets through).
      if ((isDigit || isMulti || isX) && !PLAIN.test(char) && !mayBeOtherForm(char.charCodeAt(0)))
        wrong.push(`${at}: passed over`);
    }
    expect(wrong).toEqual([]);
    // Unicode 16 (Node 20.20): 800 digits, 41 characters for two digits, 38 X, 15 dashes; a later Unicode adds.
    expect(counts.digits).toBeGreaterThan(700);
    expect(counts.multi).toBeGreaterThanOrEqual(41);
    expect(counts.x).toBeGreaterThanOrEqual(37);
    expect(counts.dashes).toBeGreaterThanOrEqual(15);
  });

  it('folds a code written in any of them to ASCII digits and X', () => {
    expect(foldDigits('𝟑𝟕𝟎𝟏𝟎𝟐')).toBe('370102');
    expect(foldDigits('³⁷⁰¹⁰²')).toBe('370102');
    expect(foldDigits('٣٧٠١٠٢')).toBe('370102');
    expect(foldDigits('③⑦⓪')).toBe('370');
    expect(foldDigits('370⑩2㉑㊿')).toBe('3701022150');
    expect(foldDigits('002ˣ')).toBe('002X');
    expect(foldDigits('１２３ｘ')).toBe('123X');
    expect(foldDigits('002x')).toBe('002X');
    expect(foldDigits('91370112MA9A37366E')).toBe('91370112MA9A37366E');
  });
});
