import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_AUTHORITY, modelPenalty } from '../../test/support/model-penalty.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { computeResidentIdCheckChar } from '../identifiers/resident-id.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';
import { compileEntry } from './compiled-entry.ts';

// compileEntry keeps what it compiled for the rest of the process: a second compile of the same entry version
// with another `today` (a later chunk or unit, a worker thread kept across days) must still judge by its own day,
// in the row loop (x-notFuture), in the identifier formats (a birth date after today) and in the cross-field rules.
let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
});

const EARLY = '2026-11-20';
const LATE = '2026-11-30';
/** A resident ID born between the two days: valid on LATE, a birth date after today on EARLY. */
const first17 = '11010520261125001';
const BORN_BETWEEN = `${first17}${computeResidentIdCheckChar(first17)}`;

const codesOf = (errors: { field: string; code: string }[], field: string) =>
  errors.filter((error) => error.field === field).map((error) => error.code);

describe('compileEntry: each compile judges by the today it is given', () => {
  it('x-notFuture: a decision date between the two days', () => {
    const entry = catalog.resolve('xzcf', EARLY);
    const row = modelPenalty({ CF_JDRQ: '2026-11-25' }) as NormalizedRow;
    const lateValidate = compileEntry(entry, { today: () => LATE }).validate;
    const earlyValidate = compileEntry(entry, { today: () => EARLY }).validate;
    expect(codesOf(lateValidate(row), 'CF_JDRQ')).toEqual([]);
    expect(codesOf(earlyValidate(row), 'CF_JDRQ')).toEqual(['date-in-future']);
    // The other way round too, and the received day still per row, under the compile's today.
    expect(codesOf(lateValidate(row), 'CF_JDRQ')).toEqual([]);
    expect(codesOf(earlyValidate(row, undefined, '2026-11-28'), 'CF_JDRQ')).toEqual(['date-in-future']);
    expect(codesOf(lateValidate(row, undefined, '2026-11-24'), 'CF_JDRQ')).toEqual(['date-in-future']);
    // A compile without a today is the clock's, and the same one each time.
    expect(compileEntry(entry)).toBe(compileEntry(entry, {}, {}));
  });

  it('a resident ID format (fast path and ajv) and a typed identifier (cross-field rule) born between the days', () => {
    const zyzg = catalog.resolve('zyzg', EARLY);
    // A whole valid row: the specialised check (not only ajv) must find the birth date after today.
    const row: NormalizedRow = {
      ZG_XM: '张三',
      ZG_SFZH: BORN_BETWEEN,
      ZG_ZGMC: '执业药师',
      ZG_ZGLB: '准入类',
      ZG_ZSBH: 'ZG-2026-0001',
      ZG_FZRQ: '2026-11-01',
      ZG_ZT: '有效',
      ZG_FZJG: '济南市市场监督管理局',
      ZG_FZJGDM: MODEL_AUTHORITY,
      ZG_SJLY: '济南市市场监督管理局',
      ZG_SJLYDM: MODEL_AUTHORITY,
    };
    const lateZyzg = compileEntry(zyzg, { today: () => LATE }).validate;
    const earlyZyzg = compileEntry(zyzg, { today: () => EARLY }).validate;
    expect(lateZyzg(row)).toEqual([]);
    expect(codesOf(earlyZyzg(row), 'ZG_SFZH')).toEqual(['resident-id-birth-date']);

    const xzcf = catalog.resolve('xzcf', EARLY);
    const { CF_XDR_SHDM: _organisation, ...person } = modelPenalty({
      CF_XDR_LB: '自然人',
      CF_XDR_MC: '张三',
      CF_XDR_ZJLX: '身份证',
      CF_XDR_ZJHM: BORN_BETWEEN,
      CF_JDRQ: '2026-11-01',
    });
    const lateXzcf = compileEntry(xzcf, { today: () => LATE }).validate;
    const earlyXzcf = compileEntry(xzcf, { today: () => EARLY }).validate;
    expect(codesOf(lateXzcf(person), 'CF_XDR_ZJHM')).toEqual([]);
    expect(codesOf(earlyXzcf(person), 'CF_XDR_ZJHM')).toEqual(['resident-id-birth-date']);
  });
});
