import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localPathFor, UnsafeNameError, unsafeNameReason } from './safe-remote-name.ts';

describe('remote names as local paths', () => {
  it.each([
    '../etc/passwd',
    '..',
    '.',
    '',
    '/abs/path.csv',
    'a/b.csv',
    'a\\b.csv',
    'C:evil.csv',
    'tab\there.csv',
    'nul\u0000.csv',
    'esc\u001b[31m.csv',
    '.hidden.csv',
    '-rf.csv',
    'x'.repeat(201),
  ])('refuses %j', (name) => {
    expect(unsafeNameReason(name)).toBeDefined();
    expect(() => localPathFor('/tmp/staging', name)).toThrow(UnsafeNameError);
  });

  it('keeps an ordinary Chinese file name inside the staging directory', () => {
    expect(unsafeNameReason('行政处罚 2026-11.csv')).toBeUndefined();
    expect(localPathFor('/tmp/staging', '行政处罚 2026-11.csv')).toBe(
      path.join('/tmp/staging', '行政处罚 2026-11.csv'),
    );
  });
});
