import { describe, expect, it } from 'vitest';
import { checkOrgCode, computeOrgCodeCheckChar } from './org-code.ts';

// D2143569-X is the GB 11714 example; the others are characters 9–17 of the official USCC samples.
const VALID = [
  'D2143569X',
  'M000100Y4',
  '600037341',
  '631696382',
  '71526726X',
  '401359081',
  'MA2PBMEM2',
  '780688132',
];

describe('checkOrgCode', () => {
  it.each(VALID)('%s is valid', (code) => {
    expect(checkOrgCode(code)).toBeNull();
  });

  it('maps remainder 1 to "X" and remainder 0 to "0"', () => {
    expect(computeOrgCodeCheckChar('D2143569')).toBe('X');
    expect(computeOrgCodeCheckChar('00000000')).toBe('0');
  });

  it('accepts letters the USCC character set excludes (GB 11714 uses A–Z)', () => {
    const body = 'ISOZV123';
    expect(checkOrgCode(body + computeOrgCodeCheckChar(body))).toBeNull();
  });

  it('rejects a wrong check character and says which is expected', () => {
    expect(checkOrgCode('D21435691')).toEqual({
      code: 'org-code-check-digit',
      message: expect.stringContaining('组织机构代码校验码错误：第9位应为"X"，实际为"1"'),
      severity: 'error',
    });
  });

  it('detects every single-character substitution in the body whose values differ by other than 11k', () => {
    // MOD 11 cannot see a change of 11 or 22 in a character's value (e.g. D=13 → 2); every other one it can.
    const code = 'D2143569X';
    for (let i = 0; i < 8; i++) {
      for (const ch of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
        if ((Number.parseInt(ch, 36) - Number.parseInt(code[i]!, 36)) % 11 === 0) continue;
        const mutated = code.slice(0, i) + ch + code.slice(i + 1);
        expect(checkOrgCode(mutated)?.code, mutated).toBe('org-code-check-digit');
      }
    }
  });

  it.each([
    ['D2143569', 8],
    ['D2143569XX', 10],
  ])('%s has the wrong length', (code, length) => {
    expect(checkOrgCode(code)).toEqual({
      code: 'org-code-length',
      message: expect.stringContaining(
        `应为9位（8位本体代码+1位校验码，可写作"XXXXXXXX-X"），实际为${length}位`,
      ),
      severity: 'error',
    });
  });

  it('points out a USCC typed where an organization code belongs', () => {
    expect(checkOrgCode('91350100M000100Y43')?.message).toContain('第9–17位才是组织机构代码');
  });

  it('rejects characters outside digits and capital letters, and a check character other than 0–9/X', () => {
    const problem = checkOrgCode('D21#3569A');
    expect(problem?.code).toBe('org-code-charset');
    expect(problem?.message).toContain('第4位"#"、第9位"A"');
  });

  it('rejects a hyphen left in the wrong place (normalizeCode removes only inner hyphens)', () => {
    expect(checkOrgCode('D2143569-')?.code).toBe('org-code-charset');
  });

  it.each(['000000000', '00000000X', '无', '/', '-', 'NULL', ''])('%j is a placeholder', (code) => {
    expect(checkOrgCode(code)?.code).toBe('placeholder');
  });

  it('computeOrgCodeCheckChar rejects malformed input', () => {
    expect(() => computeOrgCodeCheckChar('D214356')).toThrow(RangeError);
    expect(() => computeOrgCodeCheckChar('d2143569')).toThrow(RangeError);
    expect(() => computeOrgCodeCheckChar('D214356#')).toThrow(RangeError);
  });
});

describe('computeOrgCodeCheckChar against the GB 11714 formula', () => {
  const formula = (body: string) => {
    const weights = [3, 7, 9, 10, 5, 8, 4, 2];
    const sum = [...body].reduce((acc, ch, i) => acc + Number.parseInt(ch, 36) * weights[i]!, 0);
    const c = 11 - (sum % 11);
    return c === 10 ? 'X' : c === 11 ? '0' : String(c);
  };

  it('agrees for bodies covering every remainder', () => {
    const chars = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    let seed = 1;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    const seen = new Set<string>();
    for (let n = 0; n < 2000; n++) {
      const body = Array.from({ length: 8 }, () => chars[next() % 36]).join('');
      const expected = formula(body);
      seen.add(expected);
      expect(computeOrgCodeCheckChar(body)).toBe(expected);
    }
    expect(seen.size).toBe(11);
  });
});
