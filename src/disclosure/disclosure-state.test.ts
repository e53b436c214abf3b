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
  it('轻微 at a month end: at most 3 months, to the month end, repairable at once', () => {
    const minor = penalty('2026-11-30', '警告', '2027-06-30');
    expect(minor).toMatchObject({
      until: '2027-02-28',
      untilSource: 'row-cut-to-max',
      repairableFrom: '2026-11-30',
    });
    expect(stateOn(minor, '2027-02-28').state).toBe('disclosed');
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
    expect(stateOn(general, '2026-05-01', { repairs: [repair] }).state).toBe('disclosed');
    expect(stateOn(general, '2026-05-02', { repairs: [repair] })).toMatchObject({
      state: 'repaired',
      label: '已信用修复（2026-05-02，程序 #7），停止公示',
    });
    expect(stateOn(general, '2027-06-01', { repairs: [repair] }).state).toBe('repaired');
  });
  it('an objection in progress labels a shown record, from the day it was received', () => {
    const objection = {
      objectionId: 3,
      stage: 'open' as const,
      receivedOn: '2026-02-13',
      dueOn: '2026-02-25',
      dueProvisional: false,
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

describe('轻微: not published in principle (原则上不公示), at most 3 months where the provider publishes it', () => {
  it('without a 公示截止期 it is never shown, and every output says why', () => {
    const minor = penalty('2026-11-01', '警告');
    expect(minor).toMatchObject({
      public: false,
      until: null,
      untilSource: 'minor-unpublished',
      severity: '轻微',
      severityValue: '警告',
    });
    for (const asOf of ['2026-10-31', '2026-11-01', '2026-12-05', '2027-02-01', '2030-01-01']) {
      expect(stateOn(minor, asOf)).toMatchObject({
        state: 'not-disclosed',
        reason: 'minor',
        label: '不公示：轻微失信信息原则上不公示（未填公示截止期）',
      });
    }
    expect(periodNote(minor)).toBe('失信程度 轻微（按 警告）；未填公示截止期，轻微失信信息原则上不公示');
  });
  it('with a 公示截止期 it is shown until that day, within the 3 months', () => {
    const shown = penalty('2026-11-01', '警告', '2027-01-15');
    expect(shown).toMatchObject({ public: true, until: '2027-01-15', untilSource: 'row' });
    expect(stateOn(shown, '2027-01-15').label).toBe('公示中（至 2027-01-15）');
    expect(stateOn(shown, '2027-01-16').state).toBe('expired');
  });
  it('a more severe category beside 警告 decides, and is shown to its maximum as before', () => {
    expect(penalty('2026-11-01', '警告;没收违法所得')).toMatchObject({
      public: true,
      severity: '一般',
      until: '2027-11-01',
      untilSource: 'max',
    });
  });
  it('a repair made while it was shown still reads as repaired', () => {
    const repair = { procedureId: 4, on: '2026-11-20' };
    expect(stateOn(penalty('2026-11-01', '警告'), '2026-12-01', { repairs: [repair] }).state).toBe(
      'repaired',
    );
  });
  it('a repair made before the severity now in force allows one stops nothing: shown, and said why', () => {
    // Repaired as 警告 (轻微, repairable at once), then re-delivered as 吊销许可证件 (严重: 12 months first).
    const repair = { procedureId: 4, on: '2026-11-20' };
    const raised = penalty('2026-11-01', '吊销许可证件');
    expect(raised.repairableFrom).toBe('2027-11-02');
    const state = stateOn(raised, '2026-12-07', { repairs: [repair] });
    expect(state).toMatchObject({
      state: 'disclosed',
      until: '2029-11-01',
      earlyRepair: { procedureId: 4, on: '2026-11-20', repairableFrom: '2027-11-02' },
    });
    expect(state.repair).toBeUndefined();
    expect(state.label).toBe(
      '公示中（至 2029-11-01）；信用修复（2026-11-20，程序 #4）早于现行失信程度，可申请信用修复自 2027-11-02，不停止公示',
    );
    // Its objection still labels it, and its period still ends.
    const objection = {
      objectionId: 2,
      stage: 'open' as const,
      receivedOn: '2026-12-01',
      dueOn: '2026-12-04',
      dueProvisional: false,
      stageSince: '2026-12-01',
    };
    expect(stateOn(raised, '2026-12-07', { repairs: [repair], objection }).state).toBe('objection');
    expect(stateOn(raised, '2029-11-02', { repairs: [repair] }).state).toBe('expired');
    // A repair on or after the day the severity now in force allows is one.
    expect(stateOn(raised, '2027-12-01', { repairs: [{ procedureId: 4, on: '2027-11-02' }] }).state).toBe(
      'repaired',
    );
  });
  it('repaired again once the severity now in force allows it: the repair in force counts, from its day (057)', () => {
    const raised = penalty('2026-11-01', '吊销许可证件');
    const early = { procedureId: 4, on: '2026-11-20' };
    const second = { procedureId: 9, on: '2027-11-02' };
    const repairs = [early, second];
    // Before the second repair, the early one is said; from its day, the second stops the disclosure.
    expect(stateOn(raised, '2027-11-01', { repairs })).toMatchObject({
      state: 'disclosed',
      earlyRepair: { procedureId: 4 },
    });
    const state = stateOn(raised, '2027-11-02', { repairs });
    expect(state).toMatchObject({ state: 'repaired', repair: second });
    expect(state.earlyRepair).toBeUndefined();
    expect(state.label).toBe('已信用修复（2027-11-02，程序 #9），停止公示');
    // Under the 警告 it was (a later correction back to 轻微), the first one was in force from its own day.
    expect(stateOn(penalty('2026-11-01', '警告'), '2027-12-01', { repairs })).toMatchObject({
      state: 'repaired',
      repair: early,
    });
  });
});

describe('暂扣或者吊销 (the pre-2021 either/or category): the severity 处罚内容 states', () => {
  const EITHER = '暂扣或者吊销许可证、暂扣或者吊销执照';
  const rule: SeverityPeriodRule = {
    ...PENALTY,
    severity: {
      field: 'CF_CFLB',
      values: { 警告: '轻微', 没收违法所得: '一般', 暂扣许可证件: '一般', 吊销许可证件: '严重' },
      fromText: { [EITHER]: { field: 'CF_NR', terms: { 吊销: '严重', 暂扣: '一般' } } },
      default: '一般',
    },
  };
  const either = (content: string, until?: string, category = EITHER) =>
    disclosurePeriod(rule, {
      CF_JDRQ: '2026-06-01',
      CF_CFLB: category,
      CF_NR: content,
      ...(until ? { CF_GSJZQ: until } : {}),
    });
  it("a suspension (暂扣) is 一般: the provider's 6-month end date stands", () => {
    const period = either('暂扣食品经营许可证一个月', '2026-12-01');
    expect(period).toMatchObject({
      severity: '一般',
      severitySource: 'text',
      severityValue: EITHER,
      severityTerm: '暂扣',
      until: '2026-12-01',
      untilSource: 'row',
      repairableFrom: '2026-09-02',
    });
    expect(periodNote(period)).toBe(
      `失信程度 一般（按 ${EITHER}，内容写明“暂扣”）；按数据所填截止日期；可申请信用修复自 2026-09-02`,
    );
  });
  it('a revocation (吊销) is 严重', () => {
    expect(either('吊销食品经营许可证')).toMatchObject({
      severity: '严重',
      severitySource: 'text',
      severityTerm: '吊销',
      until: '2029-06-01',
    });
  });
  it('content that repeats the alternative states neither: the default, said so', () => {
    for (const content of ['暂扣或者吊销许可证', '暂扣或吊销执照', '责令改正', '']) {
      const period = either(content, '2026-12-01');
      expect(period).toMatchObject({
        severity: '一般',
        severitySource: 'default',
        severityValue: EITHER,
        severitySought: ['吊销', '暂扣'],
        until: '2026-12-01',
        untilSource: 'row',
      });
      expect(periodNote(period)).toContain(`默认：${EITHER} 不能确定失信程度，内容未写明吊销或暂扣`);
    }
  });
  it('beside a stated category the most severe wins, as for several types in one decision', () => {
    expect(either('警告，暂扣许可证一个月', undefined, `警告;${EITHER}`)).toMatchObject({
      severity: '一般',
      severitySource: 'text',
    });
    expect(either('暂扣许可证一个月', undefined, `吊销许可证件;${EITHER}`)).toMatchObject({
      severity: '严重',
      severitySource: 'field',
      severityValue: '吊销许可证件',
    });
  });
});

describe('entries without a severity period', () => {
  const LIST: DisclosureRule = {
    period: 'until-field',
    from: 'SX_LRRQ',
    until: 'SX_YCRQ',
    repairAfterMonths: 12,
    repair: true,
    retention: 'permanent',
    basis: '严重失信主体名单',
  };
  it('a 严重失信主体名单 record without 移出日期 ends after the 严重 maximum of 3 years, and says so', () => {
    const listed = disclosurePeriod(LIST, { SX_LRRQ: '2026-03-05' });
    expect(listed).toMatchObject({
      until: '2029-03-05',
      untilSource: 'max',
      repairableFrom: '2027-03-06',
    });
    expect(disclosureState({ status: 'current', period: listed }, '2029-03-05').label).toBe(
      '公示中（至 2029-03-05）',
    );
    expect(disclosureState({ status: 'current', period: listed }, '2029-03-06').state).toBe('expired');
    expect(periodNote(listed)).toBe('未填截止日期，按失信信息最长公示期（3年）；可申请信用修复自 2027-03-06');
  });
  it('its own 移出日期 ends it, earlier or later', () => {
    for (const removed of ['2026-09-30', '2030-01-01']) {
      expect(disclosurePeriod(LIST, { SX_LRRQ: '2026-03-05', SX_YCRQ: removed })).toMatchObject({
        until: removed,
        untilSource: 'row',
      });
    }
  });
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
