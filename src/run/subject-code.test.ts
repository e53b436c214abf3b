import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { compileSubjectCode } from './subject-code.ts';

let catalog: Catalog;
let xzcf: CatalogEntry;
let zyzg: CatalogEntry;
beforeAll(async () => {
  catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
  xzcf = catalog.resolve('xzcf', '2026-11-20');
  zyzg = catalog.resolve('zyzg', '2026-11-20');
});

const USCC = '91370112MA9A37366E';
const ID = '37160219680525249X';

describe('the subject code follows the subject type', () => {
  it("a natural person's code is the 证件号码 even with a USCC on the row", () => {
    const subject = compileSubjectCode(xzcf);
    expect(subject({ CF_XDR_LB: '自然人', CF_XDR_SHDM: USCC, CF_XDR_ZJHM: ID })).toBe(ID);
    expect(subject({ CF_XDR_LB: '自然人', CF_XDR_ZJHM: 'E12345678' })).toBe('E12345678');
  });
  it("a legal person's code is the USCC, never an ID on the row", () => {
    expect(
      compileSubjectCode(xzcf)({ CF_XDR_LB: '法人及非法人组织', CF_XDR_SHDM: USCC, CF_XDR_ZJHM: ID }),
    ).toBe(USCC);
  });
  it('an individual business: the 92 USCC, else the 工商注册号 behind the placeholder', () => {
    const subject = compileSubjectCode(xzcf);
    expect(subject({ CF_XDR_LB: '个体工商户', CF_XDR_SHDM: '92340602MA2PBMEM24' })).toBe(
      '92340602MA2PBMEM24',
    );
    expect(
      subject({ CF_XDR_LB: '个体工商户', CF_XDR_SHDM: '00000000000000000X', CF_XDR_GSZC: '440301103448669' }),
    ).toBe('440301103448669');
  });
  it('the same in 行政许可, 严重失信主体名单 and 行政强制', () => {
    const on = (code: string) => compileSubjectCode(catalog.resolve(code, '2026-11-20'));
    expect(on('xzxk')({ XK_XDR_LB: '自然人', XK_XDR_SHDM: USCC, XK_XDR_ZJHM: ID })).toBe(ID);
    expect(on('yzsxmd')({ SX_ZTLB: '自然人', SX_TYSHXYDM: USCC, SX_ZJHM: ID })).toBe(ID);
    expect(on('yzsxmd')({ SX_ZTLB: '法人及非法人组织', SX_TYSHXYDM: USCC, SX_ZJHM: ID })).toBe(USCC);
    expect(
      on('xzqz')({
        QZ_XDR_LB: '个体工商户',
        QZ_XDR_SHDM: '00000000000000000X',
        QZ_XDR_GSZC: '440301103448669',
      }),
    ).toBe('440301103448669');
  });
  it('an entry without types takes its one field', () => {
    expect(compileSubjectCode(zyzg)({ ZG_SFZH: ID })).toBe(ID);
  });
});
