import { describe, expect, it } from 'vitest';
import { checkIdentifier, IDENTIFIER_KINDS, maskResidentId, normalizeCode, usccCategory } from './index.ts';

const TODAY = { today: () => '2026-11-27' };

describe('checkIdentifier', () => {
  it('lists the four kinds', () => {
    expect(IDENTIFIER_KINDS).toEqual(['uscc', 'resident-id', 'org-code', 'business-reg-number']);
  });

  it.each([
    ['９１３５０１００Ｍ０００１００Ｙ４３', 'full-width'],
    ["'91350100M000100Y43", 'Excel apostrophe'],
    [' 9135 0100\u00A0M000-100Y43\u200B', 'spaces, NBSP, hyphen, zero-width space'],
    ['\u3000＇９１３５－０１００　Ｍ０００１００ｙ４３', 'all of it in full width'],
    ['91350100m000100y43', 'lowercase'],
  ])('normalizes, then accepts a valid USCC: %j (%s)', (raw) => {
    expect(checkIdentifier('uscc', raw)).toEqual({ normalized: '91350100M000100Y43', problem: null });
  });

  it('returns the normalized value with the problem', () => {
    expect(checkIdentifier('uscc', '９１１１００００６０００３７３４１Ｎ')).toEqual({
      normalized: '91110000600037341N',
      problem: expect.objectContaining({ code: 'uscc-check-digit', severity: 'error' }),
    });
    expect(checkIdentifier('uscc', '9111000060003ioZSv').problem?.code).toBe('uscc-charset');
  });

  it.each([
    '000000000000000000',
    '００００００００００００００００００',
    ' 无 ',
    '/',
    ' - ',
    '——',
    '空',
    'null',
    'N/A',
    '（无）',
  ])('rejects the placeholder %j', (raw) => {
    expect(checkIdentifier('uscc', raw).problem?.code).toBe('placeholder');
    expect(checkIdentifier('resident-id', raw, TODAY).problem?.code).toBe('placeholder');
    expect(checkIdentifier('org-code', raw).problem?.code).toBe('placeholder');
    expect(checkIdentifier('business-reg-number', raw).problem?.code).toBe('placeholder');
  });

  it('passes allowPilotCodes through', () => {
    expect(checkIdentifier('uscc', '91350100M0001TGQXM').problem?.severity).toBe('warning');
    expect(checkIdentifier('uscc', '91350100m0001tgqxm', { allowPilotCodes: true }).problem).toBeNull();
  });

  it('accepts a lowercase x in a resident ID and full-width digits', () => {
    expect(checkIdentifier('resident-id', '11010519491231002x', TODAY)).toEqual({
      normalized: '11010519491231002X',
      problem: null,
    });
    expect(checkIdentifier('resident-id', '１１０１０５１９４９１２３１００２ｘ', TODAY).problem).toBeNull();
    expect(checkIdentifier('resident-id', "'110105 19491231 002X", TODAY).problem).toBeNull();
  });

  it('passes today through to the birth-date rule', () => {
    expect(checkIdentifier('resident-id', '110105202611280012', TODAY).problem?.code).toBe(
      'resident-id-birth-date',
    );
    expect(
      checkIdentifier('resident-id', '110105202611280012', { today: () => '2026-11-28' }).problem,
    ).toBeNull();
  });

  it('rejects a 15-digit resident ID with the converted value', () => {
    expect(checkIdentifier('resident-id', '６１０１０４６２０９２７６９０', TODAY).problem).toEqual(
      expect.objectContaining({
        code: 'resident-id-legacy-15',
        message: expect.stringContaining('610104196209276908'),
      }),
    );
  });

  it('accepts an organization code written XXXXXXXX-X, in any width or case', () => {
    for (const raw of ['D2143569-X', 'd2143569－x', 'Ｄ２１４３５６９－Ｘ', ' D2143569 – X ']) {
      expect(checkIdentifier('org-code', raw), raw).toEqual({ normalized: 'D2143569X', problem: null });
    }
  });

  it('checks a 工商注册号', () => {
    expect(checkIdentifier('business-reg-number', "'110108000000016").problem).toBeNull();
    expect(checkIdentifier('business-reg-number', '110108000000017').problem?.code).toBe(
      'business-reg-number-check-digit',
    );
  });

  it('writes every message in Chinese without naming the field', () => {
    const samples = [
      checkIdentifier('uscc', '91110000600037341N'),
      checkIdentifier('uscc', '9111000060003IOZSV'),
      checkIdentifier('uscc', '9135'),
      checkIdentifier('resident-id', '11010519490230002X', TODAY),
      checkIdentifier('org-code', 'D21435691'),
      checkIdentifier('business-reg-number', '11010800000001'),
    ];
    for (const { problem } of samples) {
      expect(problem?.message).toMatch(/[\u4e00-\u9fff]/);
      expect(problem?.message).toMatch(/请/);
      expect(problem?.code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
  });
});

describe('re-exports', () => {
  it('exposes the helpers later stages need', () => {
    expect(normalizeCode(' ｄ２１４３５６９－ｘ ')).toBe('D2143569X');
    expect(usccCategory('92340602MA2PBMEM24')?.category).toBe('个体工商户');
    expect(maskResidentId('11010519491231002X')).toBe('1101**********002X');
  });
});
