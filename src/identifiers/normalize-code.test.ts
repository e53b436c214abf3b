import { describe, expect, it } from 'vitest';
import { normalizeCode } from './normalize-code.ts';

describe('normalizeCode', () => {
  it('turns full-width digits and letters into half-width', () => {
    expect(normalizeCode('９１３５０１００Ｍ０００１００Ｙ４３')).toBe('91350100M000100Y43');
  });

  it('uppercases, including a lowercase x check character', () => {
    expect(normalizeCode('91350100m000100y43')).toBe('91350100M000100Y43');
    expect(normalizeCode('11010519491231002x')).toBe('11010519491231002X');
    expect(normalizeCode('１１０１０５１９４９１２３１００２ｘ')).toBe('11010519491231002X');
  });

  it.each([
    ['ASCII spaces and tabs', ' 9135 0100\tM000100Y43 '],
    ['NBSP', '\u00A091350100\u00A0M000100Y43'],
    ['ideographic space', '\u30009135\u30000100M000100Y43\u3000'],
    ['zero-width space/joiners and BOM', '\uFEFF\u200B9135\u200C0100\u200DM000100Y43\u2060'],
    ['line breaks from a wrapped cell', '91350100\r\nM000100Y43\n'],
    ['soft hyphen', '91350100\u00ADM000100Y43'],
    [
      'invisible operators, the grapheme joiner, the Arabic letter mark',
      '9135\u20610100\u2064M\u034F000100\u061CY43',
    ],
  ])('removes whitespace and invisible characters: %s', (_name, raw) => {
    expect(normalizeCode(raw)).toBe('91350100M000100Y43');
  });

  it.each([
    ['ASCII hyphen', 'D2143569-X'],
    ['full-width hyphen', 'D2143569－X'],
    ['small hyphen-minus', 'D2143569﹣X'],
    ['en dash', 'D2143569–X'],
    ['em dash', 'D2143569—X'],
    ['Unicode hyphen', 'D2143569‐X'],
    ['minus sign', 'D2143569−X'],
    ['spaced hyphen', 'D2143569 - X'],
    ['doubled hyphen', 'D2143569--X'],
    ['lowercase with hyphen', 'd2143569-x'],
  ])('removes hyphens inside a code: %s', (_name, raw) => {
    expect(normalizeCode(raw)).toBe('D2143569X');
  });

  it('removes several hyphens inside a longer code', () => {
    expect(normalizeCode('9135-0100-M000-100Y43')).toBe('91350100M000100Y43');
  });

  it.each([
    ['ASCII apostrophe', "'91350100M000100Y43"],
    ['full-width apostrophe', '＇91350100M000100Y43'],
    ['curly quote from a Chinese IME', '‘91350100M000100Y43'],
    ['apostrophe after leading spaces', "  '91350100M000100Y43"],
  ])('strips a leading apostrophe: %s', (_name, raw) => {
    expect(normalizeCode(raw)).toBe('91350100M000100Y43');
  });

  it('handles everything at once', () => {
    expect(normalizeCode("\u00A0'９１３５ ０１００\u00A0Ｍ０００－１００Ｙ４３\u200B ")).toBe(
      '91350100M000100Y43',
    );
  });

  it('keeps dashes that are not between code characters, so placeholders stay visible', () => {
    expect(normalizeCode('-')).toBe('-');
    expect(normalizeCode(' — ')).toBe('—');
    expect(normalizeCode('——')).toBe('——');
    expect(normalizeCode('－')).toBe('-');
    expect(normalizeCode('91350100M000100Y43-')).toBe('91350100M000100Y43-');
  });

  it('does not repair O/0 or I/1 confusions', () => {
    expect(normalizeCode('9111000060003IOZSV')).toBe('9111000060003IOZSV');
    expect(normalizeCode('9111000060003ioZSv')).toBe('9111000060003IOZSV');
  });

  it('keeps an apostrophe that is not leading, and Chinese text', () => {
    expect(normalizeCode("9135'0100")).toBe("9135'0100");
    expect(normalizeCode(' 无 ')).toBe('无');
    expect(normalizeCode('null')).toBe('NULL');
  });

  it('returns an empty string for blank input', () => {
    expect(normalizeCode('')).toBe('');
    expect(normalizeCode(' \u00A0\u3000\u200B')).toBe('');
    expect(normalizeCode("'")).toBe('');
  });

  it('is idempotent', () => {
    for (const raw of [
      '９１３５０１００Ｍ０００１００Ｙ４３',
      'd2143569-x',
      "'  1101 0519 4912 3100 2x",
      '——',
    ]) {
      const once = normalizeCode(raw);
      expect(normalizeCode(once)).toBe(once);
    }
  });

  // normalizeCode returns plain ASCII letters and digits uppercased without the full pipeline: same result.
  it('gives plain letters and digits the same result as the full pipeline', () => {
    const fullPipeline = (raw: string) =>
      raw
        .normalize('NFKC')
        .replace(/[\s\u00AD\u180E\u200B-\u200D\u2060\uFEFF]/gu, '')
        .replace(/^['‘’`]+/u, '')
        .replace(/(?<=[0-9A-Za-z])[-\u2010-\u2015\u2212]+(?=[0-9A-Za-z])/gu, '')
        .toUpperCase();
    for (const raw of [
      '',
      '91350100M000100Y43',
      '91350100m000100y43',
      '11010519491231002x',
      'null',
      'NA',
      '0',
    ]) {
      expect(normalizeCode(raw)).toBe(fullPipeline(raw));
    }
  });
});
