import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from './content-hash.ts';

describe('contentHash', () => {
  it('ignores key order and absent values', () => {
    expect(contentHash({ B: 'x', A: 1, C: undefined })).toBe(contentHash({ A: 1, B: 'x' }));
    expect(canonicalJson({ B: 'x', A: 1, C: undefined })).toBe('{"A":1,"B":"x"}');
  });

  it('tells different content apart', () => {
    expect(contentHash({ A: 1 })).not.toBe(contentHash({ A: 2 }));
    expect(contentHash({ A: '1' })).not.toBe(contentHash({ A: 1 }));
  });
});
