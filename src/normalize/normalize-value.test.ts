import { describe, expect, it } from 'vitest';
import type { FieldSchema } from '../catalog/catalog-entry.ts';
import { cleanText, valueNormalizer } from './normalize-value.ts';

/** cleanText without its fast path: what every cell got before. */
const cleanTextAlways = (raw: string) =>
  raw
    .replace(/[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|\u034F/g, '')
    .replace(/[\u00A0\u3000]/g, ' ')
    .trim();

describe('cleanText', () => {
  it.each([
    '',
    '济南示例商贸有限公司',
    '  前后有空格  ',
    '\t制表符\n',
    '零宽\u200B字符',
    '\uFEFF开头的BOM',
    '不换行\u00A0空格',
    '全角\u3000空格',
    '\u3000\u3000两端全角空格\u3000',
    '\u200C\u200D\u2060',
    '方向\u202E控制\u202C与\u2066隔离\u2069',
    '软\u00AD连字符',
    '组合\u034F连接符与\u061C阿拉伯字母标记',
    'ASCII only, with spaces ',
  ])('gives %j the same result with and without special characters', (raw) => {
    expect(cleanText(raw)).toBe(cleanTextAlways(raw));
  });

  it('removes invisible characters and turns odd spaces into spaces', () => {
    expect(cleanText('鲁\u200B市\u00A0监\u3000罚\uFEFF')).toBe('鲁市 监 罚');
  });

  it('removes direction marks and overrides, the soft hyphen and invisible operators', () => {
    expect(cleanText('\u202E鲁市监罚\u00AD〔2026〕\u200E12\u2063号\u2069')).toBe('鲁市监罚〔2026〕12号');
  });

  it('removes the combining grapheme joiner and the Arabic letter mark, as codes and the masker do', () => {
    expect(cleanText('鲁市监罚\u034F〔2026〕\u061C12号')).toBe('鲁市监罚〔2026〕12号');
  });

  it('gives a decision number holding an invisible character the business key of the one without', () => {
    const number = valueNormalizer({
      title: '行政处罚决定书文号',
      type: 'string',
      'x-key': 'document-number',
    });
    expect(number('鲁市监罚\u202E〔2026〕12号')).toBe(number('鲁市监罚〔2026〕12号'));
    expect(number('鲁市监罚〔2026〕1\u00AD2号')).toBe('鲁市监罚〔2026〕12号');
  });
});

describe('valueNormalizer', () => {
  const codeList: FieldSchema = {
    title: '处罚类别',
    type: 'string',
    'x-codeList': {
      values: ['警告', '罚款', '没收违法所得', '没收非法财物'],
      aliases: { '没收违法所得、没收非法财物': '没收违法所得;没收非法财物' },
      multiple: true,
    },
  };

  it('takes a cell of Hangul fillers, Braille blanks or control characters as empty, keeps one that shows text', () => {
    const text = valueNormalizer({ title: '当事人名称', type: 'string' });
    for (const blank of ['\u3164', '\uFFA0 \u2800', '\u115F\u1160', '\u0085', '\u3000\u3164\u200B'])
      expect(text(blank), JSON.stringify(blank)).toBeUndefined();
    expect(text('\u3164张三')).toBe('\u3164张三');
    expect(valueNormalizer({ title: '罚款金额', type: 'number' })('\u3164')).toBeUndefined();
  });

  it('gives a remembered code-list value the same result every time', () => {
    const normalize = valueNormalizer(codeList);
    for (let round = 0; round < 3; round++) {
      expect(normalize('罚款')).toBe('罚款');
      expect(normalize(' 警告；罚款；警告 ')).toBe('警告;罚款');
      expect(normalize('没收违法所得、没收非法财物')).toBe('没收违法所得;没收非法财物');
      expect(normalize('罚款;没收违法所得、没收非法财物')).toBe('罚款;没收违法所得;没收非法财物');
      expect(normalize('')).toBeUndefined();
    }
  });

  it('keeps normalizing correctly after forgetting (more distinct values than it remembers)', () => {
    const normalize = valueNormalizer({ title: '日期', type: 'string', format: 'cn-date' });
    for (let i = 0; i < 2500; i++) {
      const day = String((i % 28) + 1);
      const year = 2000 + Math.floor(i / 28);
      expect(normalize(`${year}/3/${day}`)).toBe(`${year}-03-${day.padStart(2, '0')}`);
    }
    expect(normalize('２０２６年３月５日')).toBe('2026-03-05');
  });

  it.each([
    ['12', 12],
    ['0.5', 0.5],
    ['33.9683', 33.9683],
    ['007', 7],
    ['1,234.50', 1234.5],
    ['１２３', 123],
    ['-5', -5],
    ['.5', 0.5],
    ['1e3', 1000],
    ['12.', 12],
    ['十二', '十二'],
    ['1.2.3', '1.2.3'],
    // A 前置库 DECIMAL: its scale's trailing zeros are no digits lost; more than 15 digits stay text (rejected).
    ['12345678.123456', 12345678.123456],
    ['100.100000000000', 100.1],
    ['1234567890123.123456', '1234567890123.123456'],
  ])('reads the amount %j as %j', (raw, expected) => {
    expect(valueNormalizer({ title: '金额', type: 'number' })(raw)).toBe(expected);
  });
});
