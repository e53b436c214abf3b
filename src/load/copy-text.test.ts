import { describe, expect, it } from 'vitest';
import { copyField, copyLine } from './copy-text.ts';

describe('COPY text format', () => {
  it('escapes the characters COPY treats specially', () => {
    expect(copyField('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(copyField(null)).toBe('\\N');
    expect(copyField(12.5)).toBe('12.5');
  });

  it('joins fields with tabs and ends the line', () => {
    expect(copyLine([1, 'x', undefined, true])).toBe('1\tx\t\\N\ttrue\n');
  });
});
