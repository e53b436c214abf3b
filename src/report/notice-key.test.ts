import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { rejectedRowKey } from './notice-key.ts';

const RAW = {
  CF_CFJGDM: '1137010000010001XF',
  CF_WSH: '济市监罚【2026】7号',
  CF_XDR_SHDM: '９１３７０１０２０００００５０３９Ｒ',
  CF_XDR_ZJHM: '',
};
const error = (field: string, code = 'x') => ({ field, code, message: '' });

describe('rejectedRowKey: the key a correction of a rejected row will carry', () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
  });

  it('is the full normalized business key when no error touches a key field', () => {
    const key = rejectedRowKey(catalog, 'xzcf', RAW, [error('CF_SY', 'missing-value')]);
    expect(key).toEqual({
      businessKey: ['1137010000010001XF', '济市监罚〔2026〕7号', '91370102000005039R', ''].join('\u001f'),
      keyParts: null,
    });
  });

  it('keeps only the valid key fields, by position, when a key field is bad', () => {
    const key = rejectedRowKey(catalog, 'xzcf', RAW, [error('CF_XDR_SHDM', 'uscc-check-digit')]);
    expect(key).toEqual({
      businessKey: null,
      keyParts: { '1': '1137010000010001XF', '2': '济市监罚〔2026〕7号', '4': '' },
    });
  });

  it('gives no key for a whole-row problem, except an in-file duplicate', () => {
    expect(rejectedRowKey(catalog, 'xzcf', RAW, [error('*', 'field-count')])).toEqual({
      businessKey: null,
      keyParts: null,
    });
    expect(
      rejectedRowKey(catalog, 'xzcf', RAW, [error('*', 'duplicate-key-in-batch')]).businessKey,
    ).toBeTruthy();
  });

  it('gives no key when every usable key field is empty', () => {
    const raw = { CF_CFJGDM: 'bad', CF_WSH: '', CF_XDR_SHDM: '', CF_XDR_ZJHM: '' };
    expect(rejectedRowKey(catalog, 'xzcf', raw, [error('CF_CFJGDM')])).toEqual({
      businessKey: null,
      keyParts: null,
    });
  });
});
