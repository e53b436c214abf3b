import { describe, expect, it } from 'vitest';
import {
  checkResidentId,
  computeResidentIdCheckChar,
  convertLegacyResidentId,
  maskResidentId,
} from './resident-id.ts';

const TODAY = { today: () => '2026-11-27' };

/** An 18-character ID with a correct check character. */
function id(first17: string): string {
  return first17 + computeResidentIdCheckChar(first17);
}

describe('checkResidentId: valid numbers', () => {
  it.each([
    '11010519491231002X', // GB 11643 example, check character X
    '440524188001010014', // born 1880
    '360426199101010071',
    '810000199408230021', // 香港居民居住证
    '830000199201300022', // 台湾居民居住证
  ])('%s is valid', (code) => {
    expect(checkResidentId(code, TODAY)).toBeNull();
  });

  it('accepts a leap day and someone born today', () => {
    expect(checkResidentId(id('11010520000229001'), TODAY)).toBeNull();
    expect(checkResidentId(id('11010520240229001'), TODAY)).toBeNull();
    expect(checkResidentId(id('11010520261127001'), TODAY)).toBeNull();
  });

  it('uses the real clock when no today is given', () => {
    expect(checkResidentId('11010519491231002X')).toBeNull();
    expect(checkResidentId(id('21010530001231002'))?.code).toBe('resident-id-birth-date');
  });
});

describe('checkResidentId: check character', () => {
  it('rejects a wrong check character and says which is expected', () => {
    expect(checkResidentId('110105194912310021', TODAY)).toEqual({
      code: 'resident-id-check-digit',
      message: expect.stringContaining('居民身份证号码校验码错误：第18位应为"X"，实际为"1"'),
      severity: 'error',
    });
  });

  it('detects every single-digit substitution outside the birth date', () => {
    const code = '11010519491231002X';
    for (const i of [0, 1, 2, 3, 4, 5, 14, 15, 16]) {
      for (const d of '0123456789') {
        if (d === code[i]) continue;
        const mutated = code.slice(0, i) + d + code.slice(i + 1);
        expect(checkResidentId(mutated, TODAY)?.code, mutated).toBe('resident-id-check-digit');
      }
    }
  });

  it('mentions Excel when the number ends in 000, the mark of a number Excel truncated', () => {
    expect(checkResidentId('110105194912310000', TODAY)?.message).toContain('Excel');
    expect(checkResidentId('110105194912310021', TODAY)?.message).not.toContain('Excel');
  });
});

describe('checkResidentId: birth date', () => {
  it.each([
    ['19490230', '不是真实存在的日期'],
    ['19000229', '不是真实存在的日期'], // 1900 is not a leap year
    ['19491301', '不是真实存在的日期'],
    ['19491200', '不是真实存在的日期'],
    ['19490431', '不是真实存在的日期'],
    ['17991231', '早于1800年，不是合理的出生日期'],
    ['00500101', '不是真实存在的日期'], // years below 100 have always counted as unreal
    ['20240230', '不是真实存在的日期'],
    ['21000229', '不是真实存在的日期'], // 2100 is not a leap year
    ['20261128', '晚于今天'],
    ['30001231', '晚于今天'],
  ])('rejects %s (%s)', (birth, reason) => {
    const code = id(`110105${birth}002`);
    expect(checkResidentId(code, TODAY)).toEqual({
      code: 'resident-id-birth-date',
      message: `居民身份证号码第7–14位的出生日期${reason}，请对照身份证核对号码`,
      severity: 'error',
    });
  });

  it('accepts 29 February of a leap year, 2000 included', () => {
    expect(checkResidentId(id('11010520000229002'), TODAY)).toBeNull();
    expect(checkResidentId(id('11010519960229002'), TODAY)).toBeNull();
  });

  it('checks the birth date before the check character', () => {
    expect(checkResidentId('110105194902300021', TODAY)?.code).toBe('resident-id-birth-date');
  });
});

describe('checkResidentId: 15-digit legacy numbers', () => {
  it('converts per GB 11643: "19" after the address code plus a check character', () => {
    expect(convertLegacyResidentId('610104620927690')).toBe('610104196209276908');
  });

  it('rejects a 15-digit number and shows the converted 18-character value', () => {
    expect(checkResidentId('610104620927690', TODAY)).toEqual({
      code: 'resident-id-legacy-15',
      message: expect.stringMatching(/是15位旧号码，请换算为18位后报送.*换算结果为"610104196209276908"/),
      severity: 'error',
    });
  });

  it('reports an impossible birth date in a 15-digit number instead of converting it', () => {
    const problem = checkResidentId('610104621327690', TODAY);
    expect(problem?.code).toBe('resident-id-birth-date');
    expect(problem?.message).toContain('15位旧号码');
    expect(problem?.message).toContain('第7–12位的出生日期不是真实存在的日期');
    // Not the date itself: beside the masked number it would give the number away.
    expect(problem?.message).not.toContain('621327');
  });

  it('convertLegacyResidentId rejects anything but 15 digits', () => {
    expect(() => convertLegacyResidentId('61010462092769')).toThrow(RangeError);
    expect(() => convertLegacyResidentId('61010462092769X')).toThrow(RangeError);
  });
});

describe('checkResidentId: length, charset, placeholders', () => {
  it.each([
    ['11010519491231002', 17],
    ['11010519491231002X1', 19],
    ['1101051949123', 13],
  ])('%s has the wrong length', (code, length) => {
    expect(checkResidentId(code, TODAY)).toEqual({
      code: 'resident-id-length',
      message: expect.stringContaining(`居民身份证号码应为18位，实际为${length}位`),
      severity: 'error',
    });
  });

  it('a 15-character value with a letter is a length problem, not a legacy number', () => {
    expect(checkResidentId('61010462092769X', TODAY)?.code).toBe('resident-id-length');
  });

  it('recognises a number destroyed by Excel', () => {
    expect(checkResidentId('1.10105E+17', TODAY)?.message).toContain('Excel科学计数法');
  });

  it.each([
    ['11010519491231002A', '第18位"A"'],
    ['1101051949123100X2', '第17位"X"'],
    ['11O10519491231002X', '第3位"O"'],
    ['11010519491231002x', '第18位"x"'], // not normalized: checkIdentifier uppercases first
  ])('%s has a character that is not allowed', (code, where) => {
    const problem = checkResidentId(code, TODAY);
    expect(problem?.code).toBe('resident-id-charset');
    expect(problem?.message).toContain(where);
  });

  it.each(['000000000000000000', '00000000000000000X', '000000000000000', '无', '/', '-', '——', 'NULL', ''])(
    '%j is a placeholder',
    (code) => {
      expect(checkResidentId(code, TODAY)?.code).toBe('placeholder');
    },
  );
});

describe('computeResidentIdCheckChar', () => {
  it('maps remainders through "10X98765432"', () => {
    expect(computeResidentIdCheckChar('11010519491231002')).toBe('X');
    expect(computeResidentIdCheckChar('44052418800101001')).toBe('4');
  });

  it('rejects malformed input', () => {
    expect(() => computeResidentIdCheckChar('1101051949123100')).toThrow(RangeError);
    expect(() => computeResidentIdCheckChar('1101051949123100X')).toThrow(RangeError);
  });
});

describe('maskResidentId', () => {
  it('keeps the first 4 and last 4 of an 18-character ID', () => {
    expect(maskResidentId('37010219900101123X')).toBe('3701**********123X');
    expect(maskResidentId('37010219900101123X')).toHaveLength(18);
  });

  it('keeps the first 4 and last 4 of a 15-digit ID', () => {
    expect(maskResidentId('610104620927690')).toBe('6101*******7690');
  });

  it.each([
    ['123456789012', '1234****9012'],
    ['123456789', '123***789'],
    ['12345', '1***5'],
    ['12', '**'],
    ['', ''],
  ])('reveals less of shorter values: %s', (value, masked) => {
    expect(maskResidentId(value)).toBe(masked);
  });

  it('never reveals more than 8 characters', () => {
    const long = '1'.repeat(40);
    expect(maskResidentId(long).replaceAll('*', '')).toHaveLength(8);
  });
});
