import { describe, expect, it } from 'vitest';
import { computeOrgCodeCheckChar } from './org-code.ts';
import { checkUscc, computeUsccCheckChar, USCC_CHARSET, usccCategory } from './uscc.ts';
import categoriesJson from './uscc-categories.json' with { type: 'json' };
import pilotJson from './uscc-pilot-codes.json' with { type: 'json' };

const OFFICIAL_VALID = [
  '91350100M000100Y43', // the standard's own example
  '91110000600037341L',
  '91310000631696382C',
  '9144030071526726XG',
  '121200004013590816', // 事业单位
  '92340602MA2PBMEM24', // 个体工商户
  '91320105780688132K',
];

/** A code with the given first 17 characters and a correct 18th character. */
function withCheckChar(first17: string): string {
  return first17 + computeUsccCheckChar(first17);
}

/** A fully valid code from the first 16 characters (both check characters computed). */
function withBothChecks(first16: string): string {
  return withCheckChar(first16 + computeOrgCodeCheckChar(first16.slice(8)));
}

describe('checkUscc: valid codes', () => {
  it.each(OFFICIAL_VALID)('%s is valid', (code) => {
    expect(checkUscc(code)).toBeNull();
  });

  it('computes the 18th character of the official samples', () => {
    for (const code of OFFICIAL_VALID) expect(computeUsccCheckChar(code.slice(0, 17))).toBe(code[17]);
  });

  it('maps a sum divisible by 31 to "0" (all-zero body)', () => {
    expect(computeUsccCheckChar('00000000000000000')).toBe('0');
  });

  it('does not validate characters 3–8 against the current division list (former 莱芜 3712xx)', () => {
    expect(checkUscc(withBothChecks('91371200MA3C0000'))).toBeNull();
  });
});

describe('checkUscc: check characters', () => {
  it('rejects a wrong 18th character and says which one is expected', () => {
    expect(checkUscc('91110000600037341N')).toEqual({
      code: 'uscc-check-digit',
      message: expect.stringContaining('统一社会信用代码校验位错误：第18位应为"L"，实际为"N"，请核对代码'),
      severity: 'error',
    });
  });

  it('matches the example message format', () => {
    expect(checkUscc('91350100M000100Y44')?.message).toMatch(
      /^统一社会信用代码校验位错误：第18位应为"3"，实际为"4"，请核对代码/,
    );
  });

  it('detects every single-character substitution among the first 17 characters', () => {
    const code = '91350100M000100Y43';
    for (let i = 0; i < 17; i++) {
      for (const ch of USCC_CHARSET) {
        if (ch === code[i]) continue;
        const mutated = code.slice(0, i) + ch + code.slice(i + 1);
        expect(checkUscc(mutated), mutated).not.toBeNull();
      }
    }
  });

  it('reports a broken embedded organization code (characters 9–17) before the 18th character', () => {
    // 第10位 0 → 1 with the 18th character recomputed: only the GB 11714 check fails.
    const code = withCheckChar('91350100M100100Y4');
    expect(checkUscc(code)).toEqual({
      code: 'uscc-org-code-check',
      message: expect.stringMatching(/第9–17位（组织机构代码部分）校验错误：第17位应为".+"，实际为"4"/),
      severity: 'error',
    });
  });

  it('reports the organization code check when the 17th character cannot be a check character', () => {
    expect(checkUscc(withCheckChar('9111000060003734A'))?.code).toBe('uscc-org-code-check');
  });
});

describe('checkUscc: charset', () => {
  it('names the positions of I, O, Z, S, V and says I/O may be 1/0, without fixing them', () => {
    const problem = checkUscc('9111000060003IOZSV');
    expect(problem?.code).toBe('uscc-charset');
    expect(problem?.severity).toBe('error');
    expect(problem?.message).toContain('第14位"I"、第15位"O"、第16位"Z"、第17位"S"、第18位"V"');
    expect(problem?.message).toContain('I、O常是数字1、0的误录');
  });

  it('names an O typed for 0 in an otherwise correct code', () => {
    const problem = checkUscc('91350100M000100Y4O'.replace('M000', 'MO00'));
    expect(problem?.code).toBe('uscc-charset');
    expect(problem?.message).toContain('第10位"O"');
  });

  it('leaves out the I/O hint when only Z, S or V occur', () => {
    const problem = checkUscc('91350100M000100Z43');
    expect(problem?.code).toBe('uscc-charset');
    expect(problem?.message).toContain('第16位"Z"');
    expect(problem?.message).not.toContain('误录');
  });

  it('names other characters that are not allowed', () => {
    const problem = checkUscc('91350100M00*100Y4号');
    expect(problem?.code).toBe('uscc-charset');
    expect(problem?.message).toContain('第12位"*"、第18位"号"');
    expect(problem?.message).toContain('不是统一社会信用代码允许的字符');
  });
});

describe('checkUscc: length', () => {
  it.each([
    ['91350100M000100Y4', 17],
    ['91350100M000100Y433', 19],
  ])('%s has the wrong length', (code, length) => {
    expect(checkUscc(code)).toEqual({
      code: 'uscc-length',
      message: expect.stringContaining(`应为18位，实际为${length}位`),
      severity: 'error',
    });
  });

  it('hints at an organization code or a 工商注册号', () => {
    expect(checkUscc('D2143569X')?.message).toContain('组织机构代码');
    expect(checkUscc('110108000000016')?.message).toContain('工商注册号');
  });

  it('recognises a code destroyed by Excel', () => {
    expect(checkUscc('9.13501E+17')?.message).toContain('Excel科学计数法');
  });

  it('counts characters, not UTF-16 units', () => {
    expect(checkUscc('91350100M000100Y4𠀀')?.code).toBe('uscc-charset');
  });
});

describe('checkUscc: placeholders (checked first)', () => {
  it('000000000000000000 passes both check characters, so only the placeholder rule catches it', () => {
    const zeros = '000000000000000000';
    expect(computeUsccCheckChar(zeros.slice(0, 17))).toBe('0');
    expect(computeOrgCodeCheckChar(zeros.slice(8, 16))).toBe('0');
    expect(checkUscc(zeros)?.code).toBe('placeholder');
  });

  it.each(['00000000000000000X', '0', '无', '/', '-', '——', '空', 'NULL', 'N/A', ''])(
    '%j is a placeholder, not a length error',
    (code) => {
      expect(checkUscc(code)).toEqual({
        code: 'placeholder',
        message: expect.stringContaining('统一社会信用代码'),
        severity: 'error',
      });
    },
  );
});

describe('checkUscc: registration authority and category', () => {
  it('rejects an unknown registration authority', () => {
    const problem = checkUscc(withCheckChar('B1350100M000100Y4'));
    expect(problem?.code).toBe('uscc-category');
    expect(problem?.message).toContain('第1位登记管理部门代码"B"不存在');
  });

  it('rejects a category that the authority does not have', () => {
    const problem = checkUscc(withCheckChar('94350100M000100Y4'));
    expect(problem?.code).toBe('uscc-category');
    expect(problem?.message).toContain('第2位机构类别代码"4"与第1位登记管理部门"9"（工商/市场监管）不匹配');
    expect(problem?.message).toContain('1（企业）、2（个体工商户）、3（农民专业合作社）');
  });

  it('accepts every category in the table', () => {
    for (const [first, entry] of Object.entries(categoriesJson.authorities)) {
      for (const second of Object.keys(entry.categories)) {
        const code = withCheckChar(`${first}${second}350100M000100Y4`);
        expect(checkUscc(code), code).toBeNull();
      }
    }
  });

  it('usccCategory reads the table', () => {
    expect(usccCategory('92340602MA2PBMEM24')).toEqual({
      authority: '工商/市场监管',
      category: '个体工商户',
    });
    expect(usccCategory('91350100M000100Y43')).toEqual({ authority: '工商/市场监管', category: '企业' });
    expect(usccCategory('121200004013590816')).toEqual({ authority: '机构编制', category: '事业单位' });
    expect(usccCategory('51')).toEqual({ authority: '民政', category: '社会团体' });
    expect(usccCategory('N2')).toEqual({ authority: '农业', category: '村级集体经济组织' });
    expect(usccCategory('94350100M000100Y43')).toBeUndefined();
    expect(usccCategory('B1')).toBeUndefined();
    expect(usccCategory('9')).toBeUndefined();
    expect(usccCategory('')).toBeUndefined();
  });

  it('the table holds only single characters from the USCC character set', () => {
    for (const [first, entry] of Object.entries(categoriesJson.authorities)) {
      expect(first).toMatch(/^[0-9A-Z]$/);
      expect(USCC_CHARSET).toContain(first);
      expect(entry.authority).not.toBe('');
      for (const [second, name] of Object.entries(entry.categories)) {
        expect(USCC_CHARSET).toContain(second);
        expect(second).toHaveLength(1);
        expect(name).not.toBe('');
      }
    }
  });
});

describe('checkUscc: division code (characters 3–8, GB/T 2260)', () => {
  it('rejects letters in characters 3–8 even when both check characters are right', () => {
    const code = withBothChecks('9137AB02MA3C0000');
    expect(computeUsccCheckChar(code.slice(0, 17))).toBe(code[17]);
    expect(checkUscc(code)).toEqual({
      code: 'uscc-division-code',
      message: expect.stringContaining(
        '第3–8位是登记管理机关的行政区划代码（GB/T 2260，6位数字），本代码为"37AB02"',
      ),
      severity: 'error',
    });
  });

  it('names each character that is not a digit', () => {
    expect(checkUscc(withBothChecks('91X70102MA3C0000'))?.message).toContain('第3位"X"不是数字');
    expect(checkUscc(withBothChecks('913701A2MA3C0000'))?.message).toContain('第7位"A"不是数字');
  });

  it.each([2, 3, 4, 5, 6, 7])('a letter at index %i alone is caught', (index) => {
    const first16 = `${'91370102'.slice(0, index)}A${'91370102'.slice(index + 1)}MA3C0000`;
    expect(checkUscc(withBothChecks(first16))?.code).toBe('uscc-division-code');
  });

  it('the example from the issue, 9137AB02123456788D, is rejected', () => {
    expect(checkUscc('9137AB02123456788D')?.code).toBe('uscc-division-code');
  });

  it('any 6 digits pass: the code keeps the division of when it was issued', () => {
    for (const division of ['371200', '000000', '999999', '110000']) {
      expect(checkUscc(withBothChecks(`91${division}MA3C0000`)), division).toBeNull();
    }
  });

  it('is checked after the authority/category and before the organization code', () => {
    expect(checkUscc(withBothChecks('94AB0102MA3C0000'))?.code).toBe('uscc-category');
    expect(checkUscc('9137AB02MA3C00001X')?.code).toBe('uscc-division-code');
  });

  it('leaves the placeholder and the pilot-era codes as documented', () => {
    expect(checkUscc('00000000000000000X')?.code).toBe('placeholder');
    expect(checkUscc('000000000000000000')?.code).toBe('placeholder');
    for (const pilot of pilotJson.codes) {
      expect(checkUscc(pilot)?.code).toBe('uscc-pilot-check-digit');
      expect(checkUscc(pilot, { allowPilotCodes: true })).toBeNull();
    }
  });
});

describe('checkUscc: a resident ID number in a USCC column', () => {
  it.each(['37160219680525249X', '11010519491231002X', '440524188001010014'])(
    '%s is named as a resident ID, without the value in the message',
    (id) => {
      const problem = checkUscc(id);
      expect(problem).toMatchObject({ code: 'uscc-resident-id', severity: 'error', personal: true });
      expect(problem?.message).toContain('证件号码');
      expect(problem?.message).not.toContain(id);
    },
  );

  it('a 15-digit legacy ID too, but not a 15-digit 工商注册号', () => {
    expect(checkUscc('610104620927690')?.code).toBe('uscc-resident-id');
    expect(checkUscc('110108000000016')?.code).toBe('uscc-length');
  });

  it('an ID with a wrong check character is not guessed to be one', () => {
    expect(checkUscc('371602196805252491')?.code).not.toBe('uscc-resident-id');
  });

  it('a valid USCC is never taken for an ID', () => {
    for (const code of OFFICIAL_VALID) expect(checkUscc(code)).toBeNull();
  });
});

describe('checkUscc: Fujian/Xiamen pilot-era codes', () => {
  const PILOTS = ['91350100M0001TGQXM', '91350211M0000XUF46', '91350203M0001FUE2P', '91350203M0001QAY9B'];

  it('the data file lists exactly the four known pilot codes', () => {
    expect([...pilotJson.codes].sort()).toEqual([...PILOTS].sort());
  });

  it.each(PILOTS)('%s fails only the 18th-character check', (code) => {
    expect(computeOrgCodeCheckChar(code.slice(8, 16))).toBe(code[16]);
    expect(computeUsccCheckChar(code.slice(0, 17))).not.toBe(code[17]);
  });

  it.each(PILOTS)('%s is a warning by default', (code) => {
    expect(checkUscc(code)).toEqual({
      code: 'uscc-pilot-check-digit',
      message: expect.stringContaining('试点'),
      severity: 'warning',
    });
  });

  it.each(PILOTS)('%s is accepted with allowPilotCodes', (code) => {
    expect(checkUscc(code, { allowPilotCodes: true })).toBeNull();
  });

  it('a code that is not on the list gets the ordinary error even with allowPilotCodes', () => {
    const notListed = '91350100M0001TGQXA';
    expect(checkUscc(notListed, { allowPilotCodes: true })?.code).toBe('uscc-check-digit');
  });

  it('allowPilotCodes does not excuse other problems', () => {
    expect(checkUscc('91350100M0001TGQ1M', { allowPilotCodes: true })?.code).toBe('uscc-org-code-check');
    expect(checkUscc('000000000000000000', { allowPilotCodes: true })?.code).toBe('placeholder');
  });
});

describe('computeUsccCheckChar', () => {
  it('rejects malformed input', () => {
    expect(() => computeUsccCheckChar('9135010')).toThrow(RangeError);
    expect(() => computeUsccCheckChar('91350100M000100I4')).toThrow(RangeError);
  });
});

describe('computeUsccCheckChar against the GB 32100 formula', () => {
  const formula = (first17: string) => {
    const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    const sum = [...first17].reduce((acc, ch, i) => acc + USCC_CHARSET.indexOf(ch) * weights[i]!, 0);
    return USCC_CHARSET[(31 - (sum % 31)) % 31];
  };

  it('agrees for codes covering every check character', () => {
    let seed = 1;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    const seen = new Set<string>();
    for (let n = 0; n < 3000; n++) {
      const first17 = Array.from({ length: 17 }, () => USCC_CHARSET[next() % 31]).join('');
      const expected = formula(first17);
      seen.add(expected ?? '');
      expect(computeUsccCheckChar(first17)).toBe(expected);
      expect(checkUscc(first17 + expected)?.code).not.toBe('uscc-check-digit');
    }
    expect(seen.size).toBe(31);
  });
});
