import { describe, expect, it } from 'vitest';
import { normalizeDocumentNumber } from './document-number.ts';

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

  it.each(['鲁市监罚〔2026〕12号', 'ABC123', '', '济环罚字〔2026〕第0001号'])(
    'returns the canonical %j as it is',
    (canonical) => {
      expect(normalizeDocumentNumber(canonical)).toBe(canonical);
    },
  );

  it('still folds lowercase, spaces and other brackets around CJK text', () => {
    expect(normalizeDocumentNumber('鲁市监罚〔2026〕12号abc')).toBe('鲁市监罚〔2026〕12号ABC');
    expect(normalizeDocumentNumber('鲁市监罚〔2026〕 12号')).toBe('鲁市监罚〔2026〕12号');
    expect(normalizeDocumentNumber('鲁市监罚〔2026）12号')).toBe('鲁市监罚〔2026〕12号');
  });

  // The fast path returns text made of these characters untouched: every step must indeed leave them.
  it('leaves every CJK unified ideograph (U+4E00–U+9FFF) unchanged by NFKC and uppercasing', () => {
    for (let cp = 0x4e00; cp <= 0x9fff; cp++) {
      const ch = String.fromCodePoint(cp);
      if (ch.normalize('NFKC') !== ch || ch.toUpperCase() !== ch) throw new Error(`U+${cp.toString(16)}`);
    }
  });
});
