import { describe, expect, it } from 'vitest';
import { normalizeDocumentNumber } from './business-key.ts';
import { canonicalJson, contentHash } from './content-hash.ts';

describe('normalizeDocumentNumber', () => {
  it.each([
    '鲁市监罚〔2026〕12号',
    '鲁市监罚【2026】12号',
    '鲁市监罚(2026)12号',
    '鲁市监罚（２０２６）１２号',
    '鲁市监罚 [2026] 12 号',
  ])('reads %s as the same decision', (typed) => {
    expect(normalizeDocumentNumber(typed)).toBe('鲁市监罚〔2026〕12号');
  });
});

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
