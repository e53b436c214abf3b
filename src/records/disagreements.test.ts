import { describe, expect, it } from 'vitest';
import { type LineageFact, pendingDisagreements } from './disagreements.ts';

const PRECEDENCE = ['province', 'city', 'county'] as const;
let id = 0;
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
});

describe('pendingDisagreements', () => {
  it('flags a city conflict against the province version', () => {
    const facts = [fact('province', 'inserted', 'P'), fact('city', 'conflict', 'C')];
    expect(pendingDisagreements(facts, { contentHash: 'P', level: 'province' }, PRECEDENCE)).toEqual([
      facts[1],
    ]);
  });

  it('flags the same disagreement when the city came first and was superseded', () => {
    const facts = [fact('city', 'inserted', 'C'), fact('province', 'updated', 'P')];
    expect(pendingDisagreements(facts, { contentHash: 'P', level: 'province' }, PRECEDENCE)).toEqual([
      facts[0],
    ]);
  });

  it('clears once the province adopts the city content, or the city re-delivers the current one', () => {
    const adopted = [
      fact('province', 'inserted', 'P'),
      fact('city', 'conflict', 'C'),
      fact('province', 'updated', 'C'),
    ];
    expect(pendingDisagreements(adopted, { contentHash: 'C', level: 'province' }, PRECEDENCE)).toEqual([]);
    const agreed = [
      fact('province', 'inserted', 'P'),
      fact('city', 'conflict', 'C'),
      fact('city', 'merged', 'P'),
    ];
    expect(pendingDisagreements(agreed, { contentHash: 'P', level: 'province' }, PRECEDENCE)).toEqual([]);
  });

  it('ignores channels of the same or higher precedence, and follows the entry precedence', () => {
    const facts = [fact('city', 'inserted', 'A', 'c1'), fact('city', 'updated', 'B', 'c2')];
    expect(pendingDisagreements(facts, { contentHash: 'B', level: 'city' }, PRECEDENCE)).toEqual([]);
    const cityFirst = [fact('city', 'inserted', 'C'), fact('province', 'conflict', 'P')];
    expect(
      pendingDisagreements(cityFirst, { contentHash: 'C', level: 'city' }, ['city', 'province', 'county']),
    ).toEqual([cityFirst[1]]);
  });
});
