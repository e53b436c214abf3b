import { describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { DisclosureRule } from '../catalog/disclosure-rule.ts';
import { type RecordFacts, recordDisclosure } from './record-disclosure.ts';
import { recordRetention } from './record-retention.ts';

const PENALTY_PERIODS = {
  轻微: { minMonths: 0, maxMonths: 3 },
  一般: { minMonths: 3, maxMonths: 12 },
  严重: { minMonths: 12, maxMonths: 36 },
};
const penaltyRule = (retention: DisclosureRule['retention']): DisclosureRule => ({
  period: 'by-severity',
  from: 'CF_JDRQ',
  until: 'CF_GSJZQ',
  severity: { field: 'CF_CFLB', values: { 警告: '轻微', 没收违法所得: '一般' }, default: '一般' },
  periods: PENALTY_PERIODS,
  repair: true,
  retention,
  basis: '《信用修复管理办法》',
});
/** Only the rule is read: an entry holding it. */
const entryOf = (disclosure: DisclosureRule) => ({ disclosure }) as CatalogEntry;
const FIVE_YEARS = entryOf(penaltyRule({ years: 5 }));
const retentionOf = (entry: CatalogEntry | undefined, facts: Partial<RecordFacts>, asOf: string) => {
  const all: RecordFacts = {
    status: 'current',
    data: { CF_JDRQ: '2026-01-15', CF_CFLB: '没收违法所得', CF_GSJZQ: '2026-07-15' },
    formationDate: '2026-01-15',
    ...facts,
  };
  return recordRetention(entry, recordDisclosure(entry, all, asOf, { code: 'xzcf', version: 9 }));
};

describe('recordRetention: 保存期限 from the disclosure state and the rule', () => {
  it('permanent: 长期保存, whatever the state', () => {
    const permanent = entryOf(penaltyRule('permanent'));
    expect(retentionOf(permanent, {}, '2026-12-07')).toEqual({ kind: 'permanent', label: '长期保存' });
    expect(retentionOf(permanent, { status: 'withdrawn' }, '2026-12-07')).toEqual({
      kind: 'permanent',
      label: '长期保存',
    });
  });

  it('years after the disclosure ended: counted from its last day, to the corresponding day', () => {
    expect(retentionOf(FIVE_YEARS, {}, '2026-12-07')).toEqual({
      kind: 'years',
      years: 5,
      countedFrom: '2026-07-15',
      endedBy: 'expiry',
      keptUntil: '2031-07-15',
      provisional: false,
      lapsed: false,
      label: '至 2031-07-15（公示截止 2026-07-15 后 5 年）',
    });
    // Lapsed on a later day: said, nothing else changes.
    expect(retentionOf(FIVE_YEARS, {}, '2031-07-16')).toMatchObject({
      keptUntil: '2031-07-15',
      lapsed: true,
    });
    expect(retentionOf(FIVE_YEARS, {}, '2031-07-15')).toMatchObject({ lapsed: false });
  });

  it('still shown: counted from the last day it will be shown, provisionally', () => {
    expect(retentionOf(FIVE_YEARS, {}, '2026-03-01')).toMatchObject({
      countedFrom: '2026-07-15',
      keptUntil: '2031-07-15',
      provisional: true,
      label: '暂至 2031-07-15（公示截止 2026-07-15 后 5 年，提前停止公示则相应提前）',
    });
  });

  it('a credit repair in force: counted from the repair day; the day before, from the period end', () => {
    const repairs = [{ procedureId: 7, on: '2026-05-10' }];
    expect(retentionOf(FIVE_YEARS, { repairs }, '2026-05-10')).toMatchObject({
      countedFrom: '2026-05-10',
      endedBy: 'repair',
      keptUntil: '2031-05-10',
      provisional: false,
      label: '至 2031-05-10（2026-05-10 信用修复停止公示后 5 年）',
    });
    expect(retentionOf(FIVE_YEARS, { repairs }, '2026-05-09')).toMatchObject({
      countedFrom: '2026-07-15',
      keptUntil: '2031-07-15',
      provisional: true,
    });
  });

  it('a leap day counts to 02-28 of a common year', () => {
    const data = { CF_JDRQ: '2027-11-20', CF_CFLB: '没收违法所得', CF_GSJZQ: '2028-02-29' };
    expect(retentionOf(FIVE_YEARS, { data }, '2028-03-01')).toMatchObject({ keptUntil: '2033-02-28' });
  });

  it('no disclosure end yet (while current, or an until-field left empty): no day, and why', () => {
    const registered = entryOf({
      period: 'while-current',
      from: 'DJRQ',
      repair: false,
      retention: { years: 3 },
      basis: '登记',
    });
    expect(retentionOf(registered, { data: { DJRQ: '2020-01-01' } }, '2026-12-07')).toEqual({
      kind: 'years',
      years: 3,
      countedFrom: null,
      keptUntil: null,
      provisional: true,
      lapsed: false,
      label: '公示结束后 3 年，届满日未定（公示尚未结束，无公示截止日）',
    });
    const licence = entryOf({
      period: 'until-field',
      from: 'XK_JDRQ',
      until: 'XK_YXQZI',
      repair: false,
      retention: { years: 3 },
      basis: '双公示',
    });
    expect(retentionOf(licence, { data: { XK_JDRQ: '2026-01-01' } }, '2026-12-07')).toMatchObject({
      keptUntil: null,
    });
    // With an end it is counted, like any other.
    expect(
      retentionOf(licence, { data: { XK_JDRQ: '2026-01-01', XK_YXQZI: '2026-06-30' } }, '2026-12-07'),
    ).toMatchObject({ countedFrom: '2026-06-30', keptUntil: '2029-06-30', provisional: false });
  });

  it('never shown (not-public, 轻微 unpublished) and withdrawn: no disclosure end, never counted from formation', () => {
    const hidden = entryOf({ period: 'not-public', repair: false, retention: { years: 5 }, basis: '不公示' });
    expect(retentionOf(hidden, {}, '2026-12-07')).toMatchObject({
      countedFrom: null,
      keptUntil: null,
      label: '公示结束后 5 年，届满日未定（本目录信息不公示，无公示截止日）',
    });
    const minor = { CF_JDRQ: '2026-01-15', CF_CFLB: '警告' };
    expect(retentionOf(FIVE_YEARS, { data: minor }, '2026-12-07')).toMatchObject({
      keptUntil: null,
      label: '公示结束后 5 年，届满日未定（轻微失信信息未公示，无公示截止日）',
    });
    expect(retentionOf(FIVE_YEARS, { status: 'withdrawn' }, '2026-12-07')).toMatchObject({
      keptUntil: null,
      label: expect.stringContaining('记录已撤销'),
    });
  });

  it('an entry version missing from catalog/: unknown, not 长期保存', () => {
    expect(retentionOf(undefined, {}, '2026-12-07')).toEqual({
      kind: 'unknown',
      label: '未知：目录版本文件缺失',
    });
  });
});
