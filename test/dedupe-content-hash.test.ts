import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { type CompiledEntry, compileEntry } from '../src/run/compiled-entry.ts';
import type { NormalizedRow } from '../src/validate/compile-validator.ts';

/** Cells as a provider typed them, keyed by field code, through the ingest normalizers to the content hash. */
let compiled: CompiledEntry;
function normalized(cells: Record<string, string>): NormalizedRow {
  const row: NormalizedRow = {};
  for (const [code, raw] of Object.entries(cells)) {
    const value = compiled.normalizers.get(code)?.(raw);
    if (value !== undefined) row[code] = value;
  }
  return row;
}
const hash = (cells: Record<string, string>) => compiled.contentHash(normalized(cells));
const key = (cells: Record<string, string>) => compiled.businessKey(normalized(cells));

const BASE = {
  CF_WSH: '鲁市监罚〔2026〕12号',
  CF_JDRQ: '2026-03-05',
  CF_NR_FK: '0.5',
  CF_CFLB: '警告;罚款',
  CF_SY: '当事人销售不符合食品安全标准的食品，货值金额3200元。',
  CF_XDR_SHDM: '91350100M000100Y43',
  CF_CFJGDM: '11370100000100012B',
};

describe('content hash: typing differences are not content differences', () => {
  beforeAll(async () => {
    const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
    compiled = compileEntry(catalog.resolve('xzcf', '2026-11-20'));
  });

  it.each([
    ['column order', Object.fromEntries(Object.entries(BASE).reverse())],
    ['date 2026/3/5', { ...BASE, CF_JDRQ: '2026/3/5' }],
    ['date 2026年3月5日', { ...BASE, CF_JDRQ: '2026年3月5日' }],
    ['date with a time', { ...BASE, CF_JDRQ: '2026-03-05 00:00:00' }],
    ['number 0.50', { ...BASE, CF_NR_FK: '0.50' }],
    ['full-width number ０．５', { ...BASE, CF_NR_FK: '０．５' }],
    ['list order', { ...BASE, CF_CFLB: '罚款；警告' }],
    ['list with a repeated value', { ...BASE, CF_CFLB: '罚款;警告;警告' }],
    ['decision number brackets', { ...BASE, CF_WSH: '鲁市监罚[2026]12号' }],
    ['decision number full width and spaces', { ...BASE, CF_WSH: '鲁市监罚（２０２６） 12 号' }],
    [
      'spaces and line breaks in text',
      { ...BASE, CF_SY: ' 当事人销售不符合食品安全标准的食品，\r\n货值金额3200元。 ' },
    ],
    [
      'half-width punctuation in text',
      { ...BASE, CF_SY: '当事人销售不符合食品安全标准的食品,货值金额3200元。' },
    ],
    ['lower-case code', { ...BASE, CF_XDR_SHDM: '91350100m000100y43' }],
    ['empty optional cell', { ...BASE, BZ: '  ' }],
  ])('%s', (_, typed) => {
    expect(hash(typed)).toBe(hash(BASE));
    expect(key(typed)).toBe(key(BASE));
  });

  it.each([
    ['another date', { ...BASE, CF_JDRQ: '2026-03-06' }],
    ['another amount', { ...BASE, CF_NR_FK: '0.05' }],
    ['another penalty type', { ...BASE, CF_CFLB: '警告' }],
    ['other words', { ...BASE, CF_SY: '当事人销售不符合食品安全标准的食品，货值金额3300元。' }],
    ['a remark added', { ...BASE, BZ: '已履行' }],
  ])('still tells %s apart', (_, changed) => {
    expect(hash(changed)).not.toBe(hash(BASE));
  });
});
