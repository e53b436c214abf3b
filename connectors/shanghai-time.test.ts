import { afterEach, describe, expect, it, vi } from 'vitest';
import { shanghaiTime, todayInShanghai } from './shanghai-time.ts';

describe('todayInShanghai', () => {
  it('is already the next day in Shanghai at 17:00 UTC', () => {
    expect(todayInShanghai(new Date('2026-11-27T17:00:00Z'))).toBe('2026-11-28');
    expect(todayInShanghai(new Date('2026-11-27T15:59:00Z'))).toBe('2026-11-27');
  });

  // The day is remembered between calls (rows ask per row): it must still turn at Shanghai midnight.
  it('turns to the next day at Shanghai midnight, and back for an earlier time', () => {
    expect(todayInShanghai(new Date('2026-11-27T15:59:59.999Z'))).toBe('2026-11-27');
    expect(todayInShanghai(new Date('2026-11-27T16:00:00.000Z'))).toBe('2026-11-28');
    expect(todayInShanghai(new Date('2026-11-28T15:59:59.999Z'))).toBe('2026-11-28');
    expect(todayInShanghai(new Date('2026-11-27T15:59:59.999Z'))).toBe('2026-11-27');
    expect(todayInShanghai(new Date('2026-12-31T16:00:00Z'))).toBe('2027-01-01');
  });

  describe('from the clock', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('follows the clock across midnight', () => {
      vi.useFakeTimers();
      vi.setSystemTime(new Date('2026-11-27T15:59:59.999Z'));
      expect(todayInShanghai()).toBe('2026-11-27');
      vi.setSystemTime(new Date('2026-11-27T16:00:00.000Z'));
      expect(todayInShanghai()).toBe('2026-11-28');
      vi.setSystemTime(new Date('2026-11-20T08:00:00Z'));
      expect(todayInShanghai()).toBe('2026-11-20');
    });
  });

  it('still refuses an invalid date', () => {
    expect(() => todayInShanghai(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('shanghaiTime', () => {
  it('shows an instant as Beijing wall-clock time', () => {
    expect(shanghaiTime(new Date('2026-11-27T17:30:05Z'))).toBe('2026-11-28 01:30:05');
  });
});
