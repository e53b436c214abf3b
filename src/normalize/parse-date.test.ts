import { describe, expect, it } from 'vitest';
import { isRealIsoDate, todayInShanghai, toIsoDate } from './parse-date.ts';

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

  it('leaves text that is no date unchanged', () => {
    expect(toIsoDate('长期')).toBe('长期');
    expect(toIsoDate('2026-3')).toBe('2026-3');
  });
});

describe('isRealIsoDate', () => {
  it('knows leap years', () => {
    expect(isRealIsoDate('2024-02-29')).toBe(true);
    expect(isRealIsoDate('2026-02-29')).toBe(false);
    expect(isRealIsoDate('2099-12-31')).toBe(true);
    expect(isRealIsoDate('2026-13-01')).toBe(false);
  });
});

describe('todayInShanghai', () => {
  it('is already the next day in Shanghai at 17:00 UTC', () => {
    expect(todayInShanghai(new Date('2026-11-27T17:00:00Z'))).toBe('2026-11-28');
    expect(todayInShanghai(new Date('2026-11-27T15:59:00Z'))).toBe('2026-11-27');
  });
});
