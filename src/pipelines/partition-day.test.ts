import { describe, expect, it } from 'vitest';
import { partitionDay } from './partition-day.ts';

describe('a run’s partition day', () => {
  it('counts from the day in Asia/Shanghai, not the server’s zone', () => {
    // 00:30 on 2 December in Shanghai is still 1 December in UTC.
    const justAfterMidnight = new Date('2026-12-01T16:30:00Z');
    expect(partitionDay({ offsetDays: -1 }, justAfterMidnight)).toBe('2026-12-01');
    expect(partitionDay({ offsetDays: 0 }, justAfterMidnight)).toBe('2026-12-02');
    // 23:30 on 1 December in Shanghai.
    expect(partitionDay({ offsetDays: -1 }, new Date('2026-12-01T15:30:00Z'))).toBe('2026-11-30');
  });

  it('crosses months and years', () => {
    expect(partitionDay({ offsetDays: -1 }, new Date('2027-01-01T01:00:00Z'))).toBe('2026-12-31');
    expect(partitionDay({ offsetDays: -7 }, new Date('2028-03-02T01:00:00Z'))).toBe('2028-02-24');
  });
});
