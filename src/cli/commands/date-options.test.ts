import { describe, expect, it } from 'vitest';
import { UsageError } from '../exit-codes.ts';
import { dateOption, instantOption } from './date-options.ts';

describe('date options refuse impossible dates instead of rolling them over', () => {
  it.each([
    ['2026-02-30', '2026-02 has 28 days'],
    ['2025-02-29', '2025-02 has 28 days'],
    ['2026-13-01', 'month 13 does not exist'],
    ['2026-04-31', '2026-04 has 30 days'],
    ['2026-1-5', 'use YYYY-MM-DD'],
  ])('dateOption %s: %s', (text, why) => {
    expect(() => dateOption('--from', text)).toThrow(UsageError);
    expect(() => dateOption('--from', text)).toThrow(`--from ${text} is not a real date (${why})`);
  });

  it('accepts real days, 29 February of a leap year included', () => {
    expect(dateOption('--to', '2024-02-29')).toBe('2024-02-29');
  });

  it.each([
    ['2026-02-30', '2026-02 has 28 days'],
    ['2026-11-20T24:00', '24:00:00 is not a time of day'],
    ['2026-11-20 23:61', '23:61:00 is not a time of day'],
    ['2026-11-20T10:00:60', '10:00:60 is not a time of day'],
    ['20261120', 'use YYYY-MM-DD or YYYY-MM-DDTHH:MM'],
  ])('instantOption %s: %s', (text, why) => {
    expect(() => instantOption('--received-at', text)).toThrow(UsageError);
    expect(() => instantOption('--received-at', text)).toThrow(`(${why})`);
  });

  it('reads a date or time without zone as Shanghai time, and honours a given zone', () => {
    expect(instantOption('--since', '2026-11-20').toISOString()).toBe('2026-11-19T16:00:00.000Z');
    expect(instantOption('--since', '2026-11-20T14:30').toISOString()).toBe('2026-11-20T06:30:00.000Z');
    expect(instantOption('--since', '2026-11-20 14:30:05').toISOString()).toBe('2026-11-20T06:30:05.000Z');
    expect(instantOption('--since', '2026-11-20T14:30Z').toISOString()).toBe('2026-11-20T14:30:00.000Z');
    expect(instantOption('--since', '2026-11-20T14:30+0000').toISOString()).toBe('2026-11-20T14:30:00.000Z');
    expect(instantOption('--since', '2026-11-20T14:30:00.250+08:00').toISOString()).toBe(
      '2026-11-20T06:30:00.250Z',
    );
  });
});
