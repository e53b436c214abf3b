import type { ChannelLevel } from '../catalog/catalog-entry.ts';

/** The lineage facts the conflict status needs (one row of `record_sources`). */
export interface LineageFact {
  id: number;
  outcome: string;
  providerCode: string;
  level: ChannelLevel;
  contentHash: string;
  versionId: number | null;
}

/**
 * The deliveries that still disagree with the current version: for each provider and channel of lower
 * precedence than the record's level, or of that level but not the provider that holds the record there, its
 * latest delivery, when that differs from the current content. A version a legal procedure wrote (`corrected`)
 * outranks every channel: any channel whose latest delivery differs from it disagrees, until it delivers the
 * corrected content. So does a channel of any rank whose latest delivery was not applied (`conflict`): one naming
 * another subject than the record's, or other content for a record no longer current (merge-staged.ts: neither
 * is ever applied, whoever sends it), until it delivers the current content again.
 *
 * Looking at each channel's latest delivery (not at the `conflict` outcome alone) makes the status independent
 * of arrival order: province-then-city keeps the city's row as a `conflict`, city-then-province keeps it as a
 * superseded version, and both are pending until the province corrects to the city's content or the city
 * re-delivers the province's.
 */
export function pendingDisagreements<Fact extends LineageFact>(
  facts: readonly Fact[],
  current: { contentHash: string; level: ChannelLevel; corrected: boolean; versionId: number },
  precedence: readonly ChannelLevel[],
): Fact[] {
  const rank = (level: ChannelLevel) => {
    const index = precedence.indexOf(level);
    return index < 0 ? precedence.length : index;
  };
  const currentRank = current.corrected ? -1 : rank(current.level);
  const holder = recordHolder(facts, current);
  const outranked = (fact: Fact) =>
    rank(fact.level) > currentRank || (rank(fact.level) === currentRank && fact.providerCode !== holder);
  const latest = new Map<string, Fact>();
  for (const fact of facts) {
    // A withdrawal request carries no content to disagree with.
    if (fact.outcome === 'withdrawn') continue;
    const channel = `${fact.level}|${fact.providerCode}`;
    const seen = latest.get(channel);
    if (!seen || fact.id > seen.id) latest.set(channel, fact);
  }
  return [...latest.values()]
    .filter(
      (fact) => fact.contentHash !== current.contentHash && (fact.outcome === 'conflict' || outranked(fact)),
    )
    .sort((a, b) => a.id - b.id);
}

/**
 * The provider that holds the record at its level: the first to deliver its current version there (inserted or
 * updated it, merged it raising the level, or re-delivered a version a legal procedure wrote: a delivered version's
 * first row at its level is always the one that made or raised it). At that level only it may correct or withdraw
 * the record (merge-staged.ts, migration 039); another department of the level delivering other content disagrees.
 */
const HOLDING_OUTCOMES = new Set(['inserted', 'updated', 'merged', 'unchanged']);

export function recordHolder(
  facts: readonly LineageFact[],
  current: { level: ChannelLevel; versionId: number },
): string | undefined {
  let first: LineageFact | undefined;
  for (const fact of facts) {
    if (fact.versionId !== current.versionId || fact.level !== current.level) continue;
    if (!HOLDING_OUTCOMES.has(fact.outcome)) continue;
    if (!first || fact.id < first.id) first = fact;
  }
  return first?.providerCode;
}
