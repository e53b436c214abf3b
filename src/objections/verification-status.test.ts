import { describe, expect, it } from 'vitest';
import { verificationCell, verificationState } from './verification-status.ts';

const notice = {
  providerCode: '113700000000000000',
  issuedOn: '2026-02-13',
  workingDays: 2,
  deadline: '2026-02-24',
  provisional: false,
};

describe('the verification status', () => {
  it('is not-sent without a notice', () => {
    expect(verificationState(null, null, '2026-02-13').status).toBe('not-sent');
    expect(verificationCell(verificationState(null, null, '2026-02-13'))).toBe('—');
  });

  it('is sent up to and including the deadline day, overdue the day after', () => {
    expect(verificationState(notice, null, '2026-02-24').status).toBe('sent');
    expect(verificationState(notice, null, '2026-02-25').status).toBe('overdue');
    expect(verificationCell(verificationState(notice, null, '2026-02-25'))).toBe('overdue, due 2026-02-24');
  });

  it('is the answer once there is one, even past the deadline', () => {
    const reply = { answer: 'corrected' as const, answeredOn: '2026-03-02' };
    expect(verificationState(notice, reply, '2026-03-10').status).toBe('corrected');
    expect(verificationCell(verificationState(notice, reply, '2026-03-10'))).toBe('corrected 2026-03-02');
  });
});
