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
    expect(
      pendingDisagreements(facts, { contentHash: 'P', level: 'province', corrected: false }, PRECEDENCE),
    ).toEqual([facts[1]]);
  });

  it('flags the same disagreement when the city came first and was superseded', () => {
    const facts = [fact('city', 'inserted', 'C'), fact('province', 'updated', 'P')];
    expect(
      pendingDisagreements(facts, { contentHash: 'P', level: 'province', corrected: false }, PRECEDENCE),
    ).toEqual([facts[0]]);
  });

  it('clears once the province adopts the city content, or the city re-delivers the current one', () => {
    const adopted = [
      fact('province', 'inserted', 'P'),
      fact('city', 'conflict', 'C'),
      fact('province', 'updated', 'C'),
    ];
    expect(
      pendingDisagreements(adopted, { contentHash: 'C', level: 'province', corrected: false }, PRECEDENCE),
    ).toEqual([]);
    const agreed = [
      fact('province', 'inserted', 'P'),
      fact('city', 'conflict', 'C'),
      fact('city', 'merged', 'P'),
    ];
    expect(
      pendingDisagreements(agreed, { contentHash: 'P', level: 'province', corrected: false }, PRECEDENCE),
    ).toEqual([]);
  });

  it('ignores channels of the same or higher precedence, and follows the entry precedence', () => {
    const facts = [fact('city', 'inserted', 'A', 'c1'), fact('city', 'updated', 'B', 'c2')];
    expect(
      pendingDisagreements(facts, { contentHash: 'B', level: 'city', corrected: false }, PRECEDENCE),
    ).toEqual([]);
    const cityFirst = [fact('city', 'inserted', 'C'), fact('province', 'conflict', 'P')];
    expect(
      pendingDisagreements(cityFirst, { contentHash: 'C', level: 'city', corrected: false }, [
        'city',
        'province',
        'county',
      ]),
    ).toEqual([cityFirst[1]]);
  });

  it('after a correction by legal procedure, every channel still delivering other content disagrees', () => {
    const facts = [
      fact('province', 'inserted', 'P'),
      fact('city', 'merged', 'P'),
      fact('province', 'conflict', 'P', 'province'),
    ];
    // The procedure wrote K: both channels' latest deliveries (P) differ from it, the province's too.
    expect(
      pendingDisagreements(facts, { contentHash: 'K', level: 'province', corrected: true }, PRECEDENCE),
    ).toEqual([facts[1], facts[2]]);
    // The province delivers the corrected content: only the city is left.
    const caughtUp = [...facts, fact('province', 'unchanged', 'K')];
    expect(
      pendingDisagreements(caughtUp, { contentHash: 'K', level: 'province', corrected: true }, PRECEDENCE),
    ).toEqual([facts[1]]);
  });
});
