import { describe, expect, it } from 'vitest';
import { sourceValueText } from './source-value.ts';

describe('typed 前置库 values become cell text without loss', () => {
  it('decimals and big integers keep every digit', () => {
    expect(sourceValueText('12345678901.123456', '+08:00')).toBe('12345678901.123456');
    expect(sourceValueText('9007199254740993', '+08:00')).toBe('9007199254740993');
    expect(sourceValueText(42, '+08:00')).toBe('42');
  });
  it('a date-only value is its day; a zone-less datetime its wall-clock time', () => {
    expect(sourceValueText('2016-05-03', '+08:00')).toBe('2016-05-03');
    expect(sourceValueText('2016-05-03 00:30:00', '+08:00')).toBe('2016-05-03 00:30:00');
  });
  it("an instant is shown in the source's zone, so its day is the one people there saw", () => {
    expect(sourceValueText('2016-05-02 16:30:00+00', '+08:00')).toBe('2016-05-03 00:30:00');
    expect(sourceValueText('2016-05-03 00:30:00.123456+08', '+08:00')).toBe('2016-05-03 00:30:00.123456');
    expect(sourceValueText(new Date('2016-05-02T16:30:00Z'), '+08:00')).toBe('2016-05-03 00:30:00');
  });
});
