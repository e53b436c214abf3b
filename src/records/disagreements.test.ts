import { describe, expect, it } from 'vitest';
import { type LineageFact, pendingDisagreements, recordHolder } from './disagreements.ts';

const PRECEDENCE = ['province', 'city', 'county'] as const;
let id = 0;
/** Each content is one version here, numbered by its letter; a conflict delivered no version. */
const versionOf = (contentHash: string) => contentHash.charCodeAt(0);
const fact = (
  level: LineageFact['level'],
  outcome: string,
  contentHash: string,
  providerCode: string = level,
): LineageFact => ({
  id: ++id,
  level,
  outcome,
  contentHash,
  providerCode,
  versionId: outcome === 'conflict' ? null : versionOf(contentHash),
});
const current = (contentHash: string, level: LineageFact['level'], corrected = false) => ({
  contentHash,
  level,
  corrected,
  versionId: versionOf(contentHash),
});

describe('pendingDisagreements', () => {
  it('flags a city conflict against the province version', () => {
    const facts = [fact('province', 'inserted', 'P'), fact('city', 'conflict', 'C')];
    expect(pendingDisagreements(facts, current('P', 'province'), PRECEDENCE)).toEqual([facts[1]]);
  });

  it('flags the same disagreement when the city came first and was superseded', () => {
    const facts = [fact('city', 'inserted', 'C'), fact('province', 'updated', 'P')];
    expect(pendingDisagreements(facts, current('P', 'province'), PRECEDENCE)).toEqual([facts[0]]);
  });

  it('clears once the province adopts the city content, or the city re-delivers the current one', () => {
    const adopted = [
      fact('province', 'inserted', 'P'),
      fact('city', 'conflict', 'C'),
      fact('province', 'updated', 'C'),
    ];
    expect(pendingDisagreements(adopted, current('C', 'province'), PRECEDENCE)).toEqual([]);
    const agreed = [
      fact('province', 'inserted', 'P'),
      fact('city', 'conflict', 'C'),
      fact('city', 'merged', 'P'),
    ];
    expect(pendingDisagreements(agreed, current('P', 'province'), PRECEDENCE)).toEqual([]);
  });

  it("ignores channels of higher precedence and the record's holder at its level, and follows the entry precedence", () => {
    const corrected = [fact('city', 'inserted', 'A', 'c1'), fact('city', 'updated', 'B', 'c1')];
    expect(pendingDisagreements(corrected, current('B', 'city'), PRECEDENCE)).toEqual([]);
    const cityFirst = [fact('city', 'inserted', 'C'), fact('province', 'conflict', 'P')];
    expect(pendingDisagreements(cityFirst, current('C', 'city'), ['city', 'province', 'county'])).toEqual([
      cityFirst[1],
    ]);
  });

  it("flags another department of the record's level whose other content was not taken", () => {
    const facts = [fact('city', 'inserted', 'A', 'jinan'), fact('city', 'conflict', 'B', 'qingdao')];
    expect(pendingDisagreements(facts, current('A', 'city'), PRECEDENCE)).toEqual([facts[1]]);
    // Once it delivers the current content it agrees (a re-delivery at the level: unchanged).
    const agreed = [...facts, fact('city', 'unchanged', 'A', 'qingdao')];
    expect(pendingDisagreements(agreed, current('A', 'city'), PRECEDENCE)).toEqual([]);
  });

  it('holds a record at its level by the first delivery there of its current version', () => {
    const facts = [
      fact('city', 'inserted', 'A', 'jinan'),
      fact('city', 'unchanged', 'A', 'qingdao'),
      fact('province', 'merged', 'A', 'shandong'),
    ];
    expect(recordHolder(facts, current('A', 'city'))).toBe('jinan');
    // The province's equal content raised the record's level: the province holds it there.
    expect(recordHolder(facts, current('A', 'province'))).toBe('shandong');
    // A version a procedure wrote was delivered by no one.
    expect(recordHolder(facts, current('K', 'province', true))).toBeUndefined();
  });

  it('after a correction by legal procedure, every channel still delivering other content disagrees', () => {
    const facts = [
      fact('province', 'inserted', 'P'),
      fact('city', 'merged', 'P'),
      fact('province', 'conflict', 'P', 'province'),
    ];
    // The procedure wrote K: both channels' latest deliveries (P) differ from it, the province's too.
    expect(pendingDisagreements(facts, current('K', 'province', true), PRECEDENCE)).toEqual([
      facts[1],
      facts[2],
    ]);
    // The province delivers the corrected content: only the city is left.
    const caughtUp = [...facts, fact('province', 'unchanged', 'K')];
    expect(pendingDisagreements(caughtUp, current('K', 'province', true), PRECEDENCE)).toEqual([facts[1]]);
  });
});
