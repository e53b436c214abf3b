import { describe, expect, it } from 'vitest';
import { fixHint } from './fix-hint.ts';
import { statusOf } from './notice-status.ts';
import { percent, periodBefore } from './quality-stats.ts';
import { dateRangeProblem } from './report-scope.ts';
import { rejectionFormatOf } from './write-rejection-report.ts';

describe('report helpers', () => {
  it('picks the rejection report format from the extension', () => {
    expect(['a.xlsx', 'B.CSV', 'c.json', 'd.txt', 'e'].map(rejectionFormatOf)).toEqual([
      'xlsx',
      'csv',
      'json',
      undefined,
      undefined,
    ]);
  });

  it('computes a notice status from covered and corrected rows', () => {
    expect([statusOf(3, 0), statusOf(3, 1), statusOf(3, 3), statusOf(0, 0)]).toEqual([
      'open',
      'partly-corrected',
      'closed',
      'closed',
    ]);
  });

  it('takes whole calendar months before a period of whole months, else the same number of days', () => {
    expect(periodBefore('2026-11-01', '2026-11-30')).toEqual({ from: '2026-10-01', to: '2026-10-31' });
    expect(periodBefore('2026-03-01', '2026-03-31')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(periodBefore('2026-10-01', '2026-12-31')).toEqual({ from: '2026-07-01', to: '2026-09-30' });
    expect(periodBefore('2026-01-01', '2026-12-31')).toEqual({ from: '2025-01-01', to: '2025-12-31' });
    expect(periodBefore('2026-03-01', '2026-03-01')).toEqual({ from: '2026-02-28', to: '2026-02-28' });
    expect(periodBefore('2026-12-01', '2026-12-07')).toEqual({ from: '2026-11-24', to: '2026-11-30' });
    expect(periodBefore('2026-01-01', '2125-12-31')).toEqual({ from: '1926-01-01', to: '2025-12-31' });
    expect(() => periodBefore('2026-01-01', '9999-12-31')).toThrow(RangeError);
    expect(percent(0.125)).toBe('12.5%');
    expect(percent(null)).toBe('—');
  });

  it('finds the most specific fix hint, with a fallback', () => {
    expect(fixHint('resident-id-legacy-15')).toContain('15位');
    expect(fixHint('resident-id-check-digit')).toContain('18位');
    expect(fixHint('uscc-charset')).toContain('统一社会信用代码');
    expect(fixHint('something-new')).toBe('按问题说明更正后重新报送');
  });

  it('has its own hint for the subject-type and USCC layout codes', () => {
    expect(fixHint('subject-code-not-allowed')).toContain('清空该列');
    expect(fixHint('uscc-division-code')).toContain('第3–8位');
    expect(fixHint('uscc-resident-id')).toContain('证件号码');
  });

  it('checks a date range', () => {
    expect(dateRangeProblem('2026-11-01', '2026-11-30')).toBeUndefined();
    expect(dateRangeProblem('2026-11-30', '2026-11-01')).toContain('after');
    expect(dateRangeProblem('2026/11/01', '2026-11-30')).toContain('YYYY-MM-DD');
    expect(dateRangeProblem(undefined, '2026-11-30')).toContain('both');
  });
});
