import { describe, expect, it } from 'vitest';
import { APPEAL_STAGES, markOriginTitle } from '../warehouse/objection-vocabulary.ts';
import { type MarkShown, objectionMarkLabel } from './objection-mark-label.ts';

/** Received 2026-09-30, the platform's check due 2026-10-10. */
const checking: MarkShown = { objectionId: 4, stage: 'open', dueOn: '2026-10-10', stageSince: '2026-09-30' };
/** The check was closed (rejected) and the subject appealed on 2026-12-06. */
const appealed: MarkShown = { ...checking, stage: 'appeal', stageSince: '2026-12-06' };

describe('the 异议标注 cell of workbooks (Art. 18)', () => {
  it("while the platform checks it: the check's due date", () => {
    expect(objectionMarkLabel(checking)).toBe('异议处理中（异议 4，核查期限 2026-10-10）');
    expect(objectionMarkLabel({ ...checking, dueProvisional: true })).toBe(
      '异议处理中（异议 4，核查期限 2026-10-10 暂定）',
    );
  });

  it("in an appeal, review or lawsuit: since when it runs, never the finished check's due date", () => {
    expect(objectionMarkLabel(appealed)).toBe('异议处理中（异议 4，申诉中，2026-12-06 起）');
    expect(objectionMarkLabel({ ...appealed, stage: 'review' })).toBe(
      '异议处理中（异议 4，行政复议中，2026-12-06 起）',
    );
    expect(objectionMarkLabel({ ...appealed, stage: 'lawsuit', dueProvisional: true })).toBe(
      '异议处理中（异议 4，行政诉讼中，2026-12-06 起）',
    );
    for (const stage of APPEAL_STAGES) {
      const label = objectionMarkLabel({ ...appealed, stage });
      expect(label).not.toContain('2026-10-10');
      expect(label).not.toContain('核查期限');
    }
  });

  it('an objection on a record this one replaced: in the words record, disclosure and the console use', () => {
    expect(objectionMarkLabel({ ...checking, fromRecordId: 7 })).toBe(
      '异议处理中（异议 4，核查期限 2026-10-10，异议针对记录 7，该记录已由本记录取代）',
    );
    const label = objectionMarkLabel({ ...appealed, fromRecordId: 7 });
    expect(label).toBe('异议处理中（异议 4，申诉中，2026-12-06 起，异议针对记录 7，该记录已由本记录取代）');
    expect(label).toContain(markOriginTitle({ fromRecordId: 7 }));
    expect(label).not.toContain('（已由本记录取代）');
  });
});
