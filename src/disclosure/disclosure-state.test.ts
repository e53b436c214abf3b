import { describe, expect, it } from 'vitest';
import type { DisclosureRule, SeverityPeriodRule } from '../catalog/disclosure-rule.ts';
import { nextDay, periodEnd } from './civil-dates.ts';
import { disclosurePeriod, severityOf } from './disclosure-period.ts';
import { disclosureState, periodNote } from './disclosure-state.ts';

const PENALTY: SeverityPeriodRule = {
  period: 'by-severity',
  from: 'CF_JDRQ',
  until: 'CF_GSJZQ',
  severity: {
    field: 'CF_CFLB',
    values: { 警告: '轻微', 没收违法所得: '一般', 吊销许可证件: '严重' },
    default: '一般',
  },
  periods: {
    轻微: { minMonths: 0, maxMonths: 3 },
    一般: { minMonths: 3, maxMonths: 12 },
    严重: { minMonths: 12, maxMonths: 36 },
  },
  repair: true,
  retention: 'permanent',
  basis: '《信用修复管理办法》',
};
const LICENCE: DisclosureRule = {
  period: 'until-field',
  from: 'XK_JDRQ',
  until: 'XK_YXQZI',
  repair: false,
  retention: 'permanent',
  basis: '双公示',
};

const penalty = (decided: string, category: string, until?: string) =>
  disclosurePeriod(PENALTY, { CF_JDRQ: decided, CF_CFLB: category, ...(until ? { CF_GSJZQ: until } : {}) });
const stateOn = (period: ReturnType<typeof penalty>, asOf: string, extra = {}) =>
  disclosureState({ status: 'current', period, ...extra }, asOf);

describe('periods counted as the Civil Code counts them (Art. 201–202)', () => {
  it('ends on the corresponding day of the last month', () => {
    expect(periodEnd('2026-01-15', 3)).toBe('2026-04-15');
    expect(periodEnd('2026-05-20', 12)).toBe('2027-05-20');
    expect(periodEnd('2026-11-30', 3)).toBe('2027-02-28');
  });
  it('ends on the month end when the last month has no corresponding day', () => {
    expect(periodEnd('2026-01-31', 1)).toBe('2026-02-28');
    expect(periodEnd('2027-11-30', 3)).toBe('2028-02-29');
    expect(periodEnd('2026-08-31', 1)).toBe('2026-09-30');
  });
  it('a leap day counts to 02-28 in a common year and 02-29 four years on', () => {
    expect(periodEnd('2028-02-29', 12)).toBe('2029-02-28');
    expect(periodEnd('2028-02-29', 36)).toBe('2031-02-28');
    expect(periodEnd('2028-02-29', 48)).toBe('2032-02-29');
  });
  it('the next day crosses month and year ends', () => {
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
    expect(nextDay('2027-02-28')).toBe('2027-03-01');
  });
});

describe('severity of a penalty row', () => {
  it('the most severe named value of a multiple cell decides', () => {
    expect(severityOf(PENALTY, { CF_CFLB: '警告;吊销许可证件' })).toEqual({
      severity: '严重',
      source: 'field',
      value: '吊销许可证件',
    });
  });
  it('a value the map does not name (罚款) gives the default, marked default', () => {
    expect(severityOf(PENALTY, { CF_CFLB: '罚款' })).toEqual({
      severity: '一般',
      source: 'default',
      value: '罚款',
    });
    expect(severityOf(PENALTY, { CF_CFLB: '警告;罚款' }).source).toBe('default');
    expect(severityOf(PENALTY, {}).source).toBe('default');
  });
  it('a default severity is said so wherever the period is described', () => {
    expect(periodNote(penalty('2026-01-15', '罚款'))).toBe(
      '失信程度 一般（默认：罚款 不能确定失信程度）；按最长公示期；可申请信用修复自 2026-04-16',
    );
    expect(periodNote(penalty('2026-01-15', '吊销许可证件', '2026-03-01'))).toBe(
      '失信程度 严重（按 吊销许可证件）；所填截止日期早于最短公示期，按最短公示期；可申请信用修复自 2027-01-16',
    );
  });
  it('a named value more severe than the default decides even beside an unnamed one', () => {
    expect(severityOf(PENALTY, { CF_CFLB: '罚款;吊销许可证件' })).toMatchObject({
      severity: '严重',
      source: 'field',
    });
  });
});

describe('disclosure state of a penalty on a date', () => {
  const general = penalty('2026-01-15', '没收违法所得');
  it('一般 without an end date: shown to the last day of the 1-year maximum, expired the day after', () => {
    expect(general).toMatchObject({ until: '2027-01-15', untilSource: 'max', repairableFrom: '2026-04-16' });
    expect(stateOn(general, '2026-01-15')).toMatchObject({ state: 'disclosed', until: '2027-01-15' });
    expect(stateOn(general, '2027-01-15').label).toBe('公示中（至 2027-01-15）');
    expect(stateOn(general, '2027-01-16')).toMatchObject({
      state: 'expired',
      since: '2027-01-16',
      label: '公示期满（自 2027-01-16 起停止公示）',
    });
  });
  it('before the decision date the record is not yet shown', () => {
    expect(stateOn(general, '2026-01-14')).toMatchObject({ state: 'not-disclosed', reason: 'not-yet' });
  });
  it('严重 decided on a leap day runs 3 years to 02-28', () => {
    const serious = penalty('2028-02-29', '吊销许可证件');
    expect(serious).toMatchObject({ until: '2031-02-28', repairableFrom: '2029-03-01' });
    expect(stateOn(serious, '2031-02-28').state).toBe('disclosed');
    expect(stateOn(serious, '2031-03-01').state).toBe('expired');
  });
  it('轻微 at a month end: 3 months to the month end, repairable at once', () => {
    const minor = penalty('2026-11-30', '警告');
    expect(minor).toMatchObject({ until: '2027-02-28', repairableFrom: '2026-11-30' });
    expect(stateOn(minor, '2027-03-01').state).toBe('expired');
  });
  it("the row's 公示截止期 wins within the periods", () => {
    expect(penalty('2026-01-15', '没收违法所得', '2026-09-30')).toMatchObject({
      until: '2026-09-30',
      untilSource: 'row',
    });
  });
  it("the row's 公示截止期 beyond the maximum is cut to it", () => {
    expect(penalty('2026-01-15', '没收违法所得', '2029-01-01')).toMatchObject({
      until: '2027-01-15',
      untilSource: 'row-cut-to-max',
    });
  });
  it("the row's 公示截止期 before the stated severity's minimum is raised to it", () => {
    expect(penalty('2026-01-15', '吊销许可证件', '2026-03-01')).toMatchObject({
      until: '2027-01-15',
      untilSource: 'row-raised-to-min',
    });
  });
  it('a default severity believes the provider down to a short date and up to 3 years', () => {
    expect(penalty('2026-01-15', '罚款', '2026-02-15')).toMatchObject({
      until: '2026-02-15',
      untilSource: 'row',
    });
    expect(penalty('2026-01-15', '罚款', '2028-06-30')).toMatchObject({
      until: '2028-06-30',
      untilSource: 'row',
    });
    expect(penalty('2026-01-15', '罚款', '2030-01-01')).toMatchObject({
      until: '2029-01-15',
      untilSource: 'row-cut-to-max',
    });
  });
  it('repaired from the day of the repair, shown before it', () => {
    const repair = { procedureId: 7, on: '2026-05-02' };
    expect(stateOn(general, '2026-05-01', { repair }).state).toBe('disclosed');
    expect(stateOn(general, '2026-05-02', { repair })).toMatchObject({
      state: 'repaired',
      label: '已信用修复（2026-05-02，程序 #7），停止公示',
    });
    expect(stateOn(general, '2027-06-01', { repair }).state).toBe('repaired');
  });
  it('an objection in progress labels a shown record, from the day it was received', () => {
    const objection = {
      objectionId: 3,
      stage: 'open' as const,
      receivedOn: '2026-02-13',
      dueOn: '2026-02-25',
    };
    expect(stateOn(general, '2026-02-12', { objection }).state).toBe('disclosed');
    const marked = stateOn(general, '2026-02-13', { objection });
    expect(marked).toMatchObject({ state: 'objection', until: '2027-01-15', objection });
    expect(marked.label).toBe('异议处理中（异议 #3，2026-02-13 受理）· 公示中（至 2027-01-15）');
    expect(stateOn(general, '2027-02-01', { objection })).toMatchObject({ state: 'expired', objection });
  });
  it('withdrawn and superseded records are not shown, whatever the date', () => {
    expect(disclosureState({ status: 'withdrawn', period: general }, '2026-02-01')).toMatchObject({
      state: 'not-disclosed',
      reason: 'withdrawn',
    });
    expect(disclosureState({ status: 'superseded', period: general }, '2026-02-01').reason).toBe(
      'superseded',
    );
  });
});

describe('entries without a severity period', () => {
  it('a licence is shown until its 有效期至, open-ended without one, and never repairable', () => {
    const valid = disclosurePeriod(LICENCE, { XK_JDRQ: '2026-03-01', XK_YXQZI: '2029-02-28' });
    expect(valid).toMatchObject({ until: '2029-02-28', repairableFrom: null });
    expect(disclosureState({ status: 'current', period: valid }, '2029-03-01').state).toBe('expired');
    const open = disclosurePeriod(LICENCE, { XK_JDRQ: '2026-03-01' });
    expect(disclosureState({ status: 'current', period: open }, '2040-01-01').label).toBe('公示中（长期）');
  });
  it('an entry not shown to the public is never disclosed', () => {
    const period = disclosurePeriod(
      { period: 'not-public', repair: false, retention: 'permanent', basis: '原则上不公示' },
      {},
    );
    expect(disclosureState({ status: 'current', period }, '2026-06-01')).toMatchObject({
      state: 'not-disclosed',
      reason: 'not-public',
    });
  });
});
