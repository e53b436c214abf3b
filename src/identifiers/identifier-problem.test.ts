import { describe, expect, it } from 'vitest';
import { checkPlaceholder, describePositions, isPlaceholderCode, lengthHint } from './identifier-problem.ts';

describe('isPlaceholderCode (input already normalized)', () => {
  it.each([
    '',
    '000000000000000000',
    '00000000000000000X',
    '000000000',
    '00000000X',
    '0',
    '无',
    '(无)',
    '空',
    '暂无',
    '不详',
    '/',
    '\\',
    '-',
    '--',
    '—',
    '——',
    '*',
    '.',
    'NULL',
    'NONE',
    'N/A',
    'NA',
    '#N/A',
    'UNDEFINED',
  ])('%j is a placeholder', (code) => {
    expect(isPlaceholderCode(code)).toBe(true);
  });

  it.each([
    '91350100M000100Y43',
    '121200004013590816',
    '11010519491231002X',
    'D2143569X',
    '110108000000016',
    '100000000000000000',
    '00000000000000001X',
    'X',
    '无锡',
  ])('%j is not a placeholder', (code) => {
    expect(isPlaceholderCode(code)).toBe(false);
  });
});

describe('checkPlaceholder', () => {
  it('returns a placeholder error naming the kind of code, not the field', () => {
    const problem = checkPlaceholder('无', '统一社会信用代码');
    expect(problem).toEqual({ code: 'placeholder', message: expect.any(String), severity: 'error' });
    expect(problem?.message).toMatch(/^统一社会信用代码填写的是占位值.*请填写真实的统一社会信用代码/);
  });

  it('says when the value is blank', () => {
    expect(checkPlaceholder('', '组织机构代码')?.message).toMatch(/^组织机构代码为空/);
  });

  it('returns null for a real code', () => {
    expect(checkPlaceholder('91350100M000100Y43', '统一社会信用代码')).toBeNull();
  });
});

describe('lengthHint', () => {
  it('recognises what Excel made of a long number', () => {
    expect(lengthHint('9.13501E+17')).toMatch(/Excel科学计数法.*无法恢复.*文本格式/);
    expect(lengthHint('1.10105E+17')).not.toBe('');
  });

  it('is empty otherwise', () => {
    expect(lengthHint('9135010')).toBe('');
  });
});

describe('describePositions', () => {
  it('uses 1-based positions', () => {
    expect(describePositions(['A', 'I', 'O'], [1, 2])).toBe('第2位"I"、第3位"O"');
  });
});

describe('isPlaceholderCode on plain letters and digits (no punctuation to strip)', () => {
  it.each([
    ['', true],
    ['000000000000000000', true],
    ['00000000000000000X', true],
    ['NULL', true],
    ['NA', true],
    ['null', false], // placeholder words are compared uppercased, as normalizeCode leaves them
    ['91350100M000100Y43', false],
    ['0X0', false],
  ])('%s → %s', (code, placeholder) => {
    expect(isPlaceholderCode(code)).toBe(placeholder);
    // The same answer as with punctuation around it, which takes the Unicode-property path.
    expect(isPlaceholderCode(`-${code}/`)).toBe(placeholder);
  });
});
