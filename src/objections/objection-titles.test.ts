import { describe, expect, it } from 'vitest';
import { objectionMark } from '../console/views/records-body.ts';
import type { ObjectionMark } from '../warehouse/objections-repository.ts';
import { markStageText, markStageTitle, objectionMarkLine } from './objection-titles.ts';

/** Received 2026-09-30, the platform's check due 2026-10-10. */
const checking: ObjectionMark = {
  objectionId: 4,
  stage: 'open',
  receivedOn: '2026-09-30',
  dueOn: '2026-10-10',
  dueProvisional: false,
  stageSince: '2026-09-30',
};
/** The check was closed (rejected) and the subject appealed on 2026-12-06. */
const appealed: ObjectionMark = { ...checking, stage: 'appeal', stageSince: '2026-12-06' };

describe('the objection mark on a record (Art. 18)', () => {
  it("while the platform checks it: the check's due date", () => {
    expect(objectionMarkLine(checking)).toBe(
      '异议处理中 · objection #4, 异议核查 (open), received 2026-09-30, due 2026-10-10',
    );
    expect(markStageText(checking)).toBe('open, due 2026-10-10');
    expect(String(objectionMark(checking))).toBe(
      '<span class="objection">异议处理中 · 异议 #4 异议核查，2026-09-30 受理，2026-10-10 前核查</span>',
    );
    expect(markStageText({ ...checking, dueProvisional: true })).toBe('open, due 2026-10-10（暂定）');
  });

  it("in an appeal, review or lawsuit: since when it runs, never the finished check's due date", () => {
    expect(objectionMarkLine(appealed)).toBe(
      '异议处理中 · objection #4, 申诉 (appeal) since 2026-12-06, received 2026-09-30',
    );
    expect(markStageText(appealed)).toBe('appeal since 2026-12-06');
    expect(String(objectionMark(appealed))).toBe(
      '<span class="objection">异议处理中 · 异议 #4 申诉中，2026-12-06 起（2026-09-30 受理）</span>',
    );
    for (const stage of ['appeal', 'review', 'lawsuit'] as const) {
      const mark = { ...appealed, stage };
      for (const shown of [objectionMarkLine(mark), markStageText(mark), String(objectionMark(mark))]) {
        expect(shown).not.toContain('2026-10-10');
        expect(shown).not.toContain('前核查');
        expect(shown).toContain('2026-12-06');
      }
    }
    expect(markStageTitle({ ...appealed, stage: 'review' })).toBe(
      '行政复议中，2026-12-06 起（2026-09-30 受理）',
    );
    expect(markStageTitle({ ...appealed, stage: 'lawsuit' })).toBe(
      '行政诉讼中，2026-12-06 起（2026-09-30 受理）',
    );
  });
});
