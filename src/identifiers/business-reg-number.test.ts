import { describe, expect, it } from 'vitest';
import { checkBusinessRegNumber, computeBusinessRegCheckDigit } from './business-reg-number.ts';

describe('computeBusinessRegCheckDigit (ISO 7064 MOD 11,10)', () => {
  it('gives the check digit of the GS 15-2006 example 110108000000016', () => {
    expect(computeBusinessRegCheckDigit('11010800000001')).toBe('6');
  });

  it('agrees with numbers printed on real business licences', () => {
    // 深圳市腾讯计算机系统有限公司, 北京百度网讯科技有限公司, 阿里巴巴（中国）网络技术有限公司 (public registration
    // records); three independent numbers that all agree leave about a 1-in-1000 chance of a wrong algorithm.
    for (const number of ['440301103448669', '110108002734659', '330100400015575']) {
      expect(computeBusinessRegCheckDigit(number.slice(0, 14)), number).toBe(number[14]);
    }
  });

  it('round-trips: a computed check digit always validates, and any other digit fails', () => {
    let seed = 20261127;
    for (let n = 0; n < 200; n++) {
      let first14 = '';
      for (let i = 0; i < 14; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        first14 += String(seed % 10);
      }
      const check = computeBusinessRegCheckDigit(first14);
      expect(checkBusinessRegNumber(first14 + check), first14).toBeNull();
      for (const other of '0123456789') {
        if (other !== check)
          expect(checkBusinessRegNumber(first14 + other)?.code).toBe('business-reg-number-check-digit');
      }
    }
  });

  it('rejects malformed input', () => {
    expect(() => computeBusinessRegCheckDigit('1101080000000')).toThrow(RangeError);
    expect(() => computeBusinessRegCheckDigit('1101080000000A')).toThrow(RangeError);
  });
});

describe('checkBusinessRegNumber', () => {
  it.each(['110108000000016', '440301103448669', '110108002734659', '330100400015575'])(
    '%s is valid',
    (number) => {
      expect(checkBusinessRegNumber(number)).toBeNull();
    },
  );

  it('rejects a wrong check digit and says which is expected', () => {
    expect(checkBusinessRegNumber('110108000000017')).toEqual({
      code: 'business-reg-number-check-digit',
      message: expect.stringContaining('工商注册号校验位错误：第15位应为"6"，实际为"7"'),
      severity: 'error',
    });
  });

  it('detects every single-digit substitution', () => {
    const number = '440301103448669';
    for (let i = 0; i < 15; i++) {
      for (const d of '0123456789') {
        if (d === number[i]) continue;
        const mutated = number.slice(0, i) + d + number.slice(i + 1);
        expect(checkBusinessRegNumber(mutated), mutated).not.toBeNull();
      }
    }
  });

  it.each([
    ['11010800000001', 14],
    ['1101080000000166', 16],
  ])('%s has the wrong length', (number, length) => {
    expect(checkBusinessRegNumber(number)).toEqual({
      code: 'business-reg-number-length',
      message: expect.stringContaining(`工商注册号应为15位数字，实际为${length}位`),
      severity: 'error',
    });
  });

  it('points out a USCC typed where a 工商注册号 belongs', () => {
    expect(checkBusinessRegNumber('91350100M000100Y43')?.message).toContain('统一社会信用代码');
  });

  it('rejects letters', () => {
    const problem = checkBusinessRegNumber('11010800000O016');
    expect(problem?.code).toBe('business-reg-number-charset');
    expect(problem?.message).toContain('第12位"O"');
  });

  it.each(['000000000000000', '无', '/', '-', '——', 'NULL', ''])('%j is a placeholder', (number) => {
    expect(checkBusinessRegNumber(number)?.code).toBe('placeholder');
  });
});
