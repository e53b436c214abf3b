import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { KEY_SEPARATOR } from '../dedupe/business-key.ts';
import { shownKey } from './shown-key.ts';

/** Two versions of one entry whose business keys list their fields in another order. */
const version = (version: number, businessKey: string[]) =>
  ({
    code: 'demo',
    version,
    businessKey,
    schema: {
      type: 'object',
      required: [],
      properties: {
        WSH: { title: '文号', type: 'string' },
        ZJHM: { title: '证件号码', type: 'string', 'x-personal': true },
      },
    },
  }) as unknown as CatalogEntry;
const catalog = {
  entries: [version(1, ['ZJHM', 'WSH']), version(2, ['WSH', 'ZJHM'])],
  resolve: () => {
    throw new Error('not used');
  },
} as Catalog;

describe('a business key verify reports', () => {
  it("masks each part as the field of the record's own entry version says, not the newest version's", () => {
    const key = ['E12345678', '鲁市监罚〔2026〕1号'].join(KEY_SEPARATOR);
    expect(shownKey(catalog, 'demo', 1, key)).toBe('E1*****78|鲁市监罚〔2026〕1号');
    expect(shownKey(catalog, 'demo', 2, ['鲁市监罚〔2026〕1号', 'E12345678'].join(KEY_SEPARATOR))).toBe(
      '鲁市监罚〔2026〕1号|E1*****78',
    );
  });

  it('without a catalog code or a version the catalog has, masks IDs as free text or by the newest version', () => {
    expect(shownKey(catalog, null, null, '370102199001011231')).toBe('3701**********1231');
    expect(shownKey(catalog, 'demo', null, ['x', 'E12345678'].join(KEY_SEPARATOR))).toBe('x|E1*****78');
  });

  it('joins the parts by | as `record` shows a key, never by the stored U+001F; an ID masked, a USCC not', () => {
    const key = ['91370102000005047L', '370102199001011231'].join(KEY_SEPARATOR);
    expect(shownKey(catalog, null, null, key)).toBe('91370102000005047L|3701**********1231');
    expect(
      shownKey(catalog, 'demo', 2, ['鲁市监罚〔2026〕1号', '370102199001011231'].join(KEY_SEPARATOR)),
    ).toBe('鲁市监罚〔2026〕1号|3701**********1231');
  });
});
