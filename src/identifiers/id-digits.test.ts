import { describe, expect, it } from 'vitest';
import { digitValue, foldDigits, isCheckX, mayBeDigit } from './id-digits.ts';

/** Every code point but the surrogates, as Unicode data of this Node knows them. */
function* codePoints(): Generator<number> {
  for (let codePoint = 0; codePoint < 0x110000; codePoint++) {
    if (codePoint < 0xd800 || codePoint > 0xdfff) yield codePoint;
  }
}

describe('digits of every form', () => {
  it('reads every decimal digit and every character NFKC folds to one, by its value, and nothing else', () => {
    const wrong: string[] = [];
    let digits = 0;
    for (const codePoint of codePoints()) {
      const char = String.fromCodePoint(codePoint);
      const folded = char.normalize('NFKC');
      const isDigit = /^\p{Nd}$/u.test(char) || /^[0-9]$/.test(folded);
      const value = digitValue(codePoint);
      if (isDigit) digits++;
      if (isDigit !== value >= 0) wrong.push(`${codePoint.toString(16)}: ${value}`);
      else if (/^[0-9]$/.test(folded) && value !== Number(folded))
        wrong.push(`${codePoint.toString(16)}: ${value}`);
      // The cheap pre-test on a UTF-16 unit never passes over a digit (astral ones start with a surrogate).
      const unit = char.charCodeAt(0);
      if (isDigit && unit > 0xb1 && !(unit >= 0xff10 && unit <= 0xff19) && !mayBeDigit(unit))
        wrong.push(`${codePoint.toString(16)}: passed over`);
      if (isCheckX(codePoint) !== /^[Xx]$/.test(folded)) wrong.push(`${codePoint.toString(16)}: X?`);
    }
    expect(wrong).toEqual([]);
    expect(digits).toBeGreaterThan(700);
  });

  it('folds a code written in any of them to ASCII digits and X', () => {
    expect(foldDigits('𝟑𝟕𝟎𝟏𝟎𝟐')).toBe('370102');
    expect(foldDigits('³⁷⁰¹⁰²')).toBe('370102');
    expect(foldDigits('٣٧٠١٠٢')).toBe('370102');
    expect(foldDigits('③⑦⓪')).toBe('370');
    expect(foldDigits('１２３ｘ')).toBe('123X');
    expect(foldDigits('002x')).toBe('002X');
    expect(foldDigits('91370112MA9A37366E')).toBe('91370112MA9A37366E');
  });
});
