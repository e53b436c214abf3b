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

  describe('a row of a legacy layout (xzcf v2, 2016 双公示): keyed as the loader maps it onto the model', () => {
    const LEGACY = {
      CF_WSH: '济市监罚〔2016〕7号',
      CF_XDR_SHDM: '913701020000070776',
      CF_XDR_ZJHM: '',
      CF_CFJG: '济南市市场监督管理局',
      CF_CFLB1: '罚款',
      DQZT: '5',
    };
    const lookups = { authorityCodes: { 济南市市场监督管理局: '1137010000010001XF' } };

    it('carries the 处罚机关统一社会信用代码 looked up from 处罚机关, as the record does', () => {
      const key = rejectedRowKey(catalog, 'xzcf', LEGACY, [error('DQZT', 'not-in-code-list')], {
        version: 2,
        lookups,
      });
      expect(key).toEqual({
        businessKey: ['1137010000010001XF', '济市监罚〔2016〕7号', '913701020000070776', ''].join('\u001f'),
        keyParts: null,
      });
    });

    it('leaves out the looked-up code when it cannot be known: no lookups, or a 处罚机关 that is bad or not in them', () => {
      const others = { keyParts: { '2': '济市监罚〔2016〕7号', '3': '913701020000070776', '4': '' } };
      expect(rejectedRowKey(catalog, 'xzcf', LEGACY, [error('DQZT')], { version: 2 })).toMatchObject(others);
      expect(
        rejectedRowKey(
          catalog,
          'xzcf',
          { ...LEGACY, CF_CFJG: '某某县某某局' },
          [error('CF_CFJG', 'lookup-missing')],
          {
            version: 2,
            lookups,
          },
        ),
      ).toMatchObject(others);
      expect(
        rejectedRowKey(catalog, 'xzcf', LEGACY, [error('CF_CFJG', 'max-length')], { version: 2, lookups }),
      ).toMatchObject(others);
    });
  });
});
