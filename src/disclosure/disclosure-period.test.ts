import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SeverityPeriodRule } from '../catalog/disclosure-rule.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { disclosurePeriod } from './disclosure-period.ts';

/** xzcf v3's rule as shipped: 暂扣或者吊销 takes its severity from 处罚内容 (CF_NR). */
const XZCF_V3 = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'catalog', 'xzcf.v3.json'), 'utf8'))
  .disclosure as SeverityPeriodRule;
const EITHER = '暂扣或者吊销许可证、暂扣或者吊销执照';
const decided = (content: string) =>
  disclosurePeriod(XZCF_V3, { CF_CFLB: EITHER, CF_NR: content, CF_JDRQ: '2026-01-15' });

describe('暂扣或者吊销: a negated term in 处罚内容 is no penalty imposed', () => {
  it('不予吊销，暂扣1个月 is a suspension: 一般, not 严重', () => {
    expect(decided('不予吊销，暂扣1个月')).toEqual({
      public: true,
      from: '2026-01-15',
      until: '2027-01-15',
      untilSource: 'max',
      severity: '一般',
      severitySource: 'text',
      severityValue: EITHER,
      severityTerm: '暂扣',
      repairableFrom: '2026-04-16',
    });
  });

  it.each([
    '决定不予吊销食品经营许可证，暂扣许可证3个月',
    '不吊销营业执照，暂扣许可证一个月',
    '免予吊销，暂扣许可证15日',
    '暂不吊销执照，暂扣许可证两个月',
  ])('%s: the suspension decides (一般)', (content) => {
    expect(decided(content)).toMatchObject({
      severity: '一般',
      severitySource: 'text',
      severityTerm: '暂扣',
    });
  });

  it.each([
    '不予吊销',
    '不予以吊销，罚款5000元',
    '未吊销许可证',
    '该许可证未被吊销',
    '免于吊销，责令改正',
    '不再吊销营业执照',
    '无需吊销',
    '不予暂扣、吊销许可证',
    '不予 吊销许可证',
  ])('%s: states neither, the default (一般) and said so', (content) => {
    expect(decided(content)).toMatchObject({
      severity: '一般',
      severitySource: 'default',
      severitySought: ['吊销', '暂扣'],
      until: '2027-01-15',
    });
  });

  it.each([
    '吊销食品经营许可证',
    '不予暂扣，吊销许可证',
    '不予吊销营业执照，吊销食品经营许可证',
    // Known limit (docs/objections-and-disclosure.md): a conditional revocation still counts.
    '责令改正；逾期不改正的，吊销许可证',
  ])('%s: a revocation stated (严重)', (content) => {
    expect(decided(content)).toMatchObject({
      severity: '严重',
      severitySource: 'text',
      severityTerm: '吊销',
      until: '2029-01-15',
    });
  });
});
