import { describe, expect, it } from 'vitest';
import { copyField, copyLine } from './copy-text.ts';

describe('COPY text format', () => {
  it('escapes the characters COPY treats specially', () => {
    expect(copyField('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(copyField(null)).toBe('\\N');
    expect(copyField(12.5)).toBe('12.5');
  });

  it.each([
    ['\\', '\\\\'],
    ['\t', '\\t'],
    ['\n', '\\n'],
    ['\r', '\\r'],
  ])('escapes %j alone inside Chinese text', (special, escaped) => {
    expect(copyField(`济南${special}市`)).toBe(`济南${escaped}市`);
  });

  it('leaves text without special characters as it is', () => {
    expect(copyField('{"CF_SY":"货值金额人民币3,200元"}')).toBe('{"CF_SY":"货值金额人民币3,200元"}');
    expect(copyField('')).toBe('');
  });

  it('joins fields with tabs and ends the line', () => {
    expect(copyLine([1, 'x', undefined, true])).toBe('1\tx\t\\N\ttrue\n');
  });
});
