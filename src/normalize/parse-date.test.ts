import { describe, expect, it } from 'vitest';
import { isoDateProblem, isRealIsoDate, toIsoDate } from './parse-date.ts';

describe('toIsoDate', () => {
  it.each([
    ['2026-03-05', '2026-03-05'],
    ['2026/3/5', '2026-03-05'],
    ['2026.3.5', '2026-03-05'],
    ['2026年3月5日', '2026-03-05'],
    ['2026 年 3 月 5 日', '2026-03-05'],
    ['20260305', '2026-03-05'],
    ['2026-03-05 14:30:00', '2026-03-05'],
    ['2026/03/05T08:00', '2026-03-05'],
  ])('reads %s as %s', (input, expected) => {
    expect(toIsoDate(input)).toBe(expected);
  });

  it('keeps the ISO shape of an impossible date so the validator can name it', () => {
    expect(toIsoDate('2025/2/30')).toBe('2025-02-30');
    expect(isRealIsoDate('2025-02-30')).toBe(false);
  });

  it('leaves a date with an impossible time unchanged, so the validator rejects the cell', () => {
    expect(toIsoDate('2026-03-05 24:61')).toBe('2026-03-05 24:61');
    expect(toIsoDate('2026-03-05 24:00')).toBe('2026-03-05 24:00');
    expect(toIsoDate('2026/3/5 12:60')).toBe('2026/3/5 12:60');
    expect(toIsoDate('2026-03-05 23:59:60')).toBe('2026-03-05 23:59:60');
    expect(toIsoDate('2026-03-05 23:59:59')).toBe('2026-03-05');
    expect(isRealIsoDate(toIsoDate('2026-03-05 24:61'))).toBe(false);
  });

  it('leaves text that is no date unchanged', () => {
    expect(toIsoDate('长期')).toBe('长期');
    expect(toIsoDate('2026-3')).toBe('2026-3');
  });
});

describe('isoDateProblem', () => {
  it.each([
    ['2026-02-30', '2026-02 has 28 days'],
    ['2025-02-29', '2025-02 has 28 days'],
    ['2026-13-01', 'month 13 does not exist'],
    ['2026-00-10', 'month 0 does not exist'],
    ['2026-01-00', '2026-01 has 31 days'],
    ['1899-12-31', 'years before 1900 are not accepted'],
    ['2026/01/05', 'use YYYY-MM-DD'],
    ['2024-02-29', undefined],
  ])('%s → %s', (text, problem) => {
    expect(isoDateProblem(text)).toBe(problem);
  });
});

describe('isRealIsoDate', () => {
  it('knows leap years', () => {
    expect(isRealIsoDate('2024-02-29')).toBe(true);
    expect(isRealIsoDate('2026-02-29')).toBe(false);
    expect(isRealIsoDate('2099-12-31')).toBe(true);
    expect(isRealIsoDate('2026-13-01')).toBe(false);
    expect(isRealIsoDate('2000-02-29')).toBe(true);
    expect(isRealIsoDate('2100-02-29')).toBe(false);
  });

  it.each([
    ['2026-01-31', true],
    ['2026-04-30', true],
    ['2026-04-31', false],
    ['2026-12-31', true],
    ['2026-12-32', false],
    ['2026-00-10', false],
    ['2026-01-00', false],
    ['1900-01-01', true],
    ['1899-12-31', false],
    ['9999-12-31', true],
    ['2026-1-05', false],
    ['2026-01-05 ', false],
    ['２０２６-01-05', false],
    ['2026/01/05', false],
    ['', false],
  ])('%s → %s', (text, real) => {
    expect(isRealIsoDate(text)).toBe(real);
  });
});
