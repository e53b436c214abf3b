import type { LaterThanDay } from './record-history.ts';

/** A kind of thing a past day's record page leaves out because it came later (`view.asOf.later`). */
export type LaterKind = keyof LaterThanDay;

/**
 * Every kind of LaterThanDay, in the order `record --as-of` and the console's `?asOf=` banner list them: a kind
 * added to LaterThanDay is a type error here until it is placed, and then in each surface's labels
 * (Record<LaterKind, …>) until it is named there.
 */
const IN_ORDER = { versions: true, lineage: true, redeliveries: true, procedures: true } satisfies Record<
  LaterKind,
  true
>;
const KINDS = Object.keys(IN_ORDER) as LaterKind[];

/**
 * What came after a past day and is not shown, as [count, kind], in order, the kinds of which nothing came left
 * out: the one list the CLI (in English) and the console (in Chinese) render with their own labels. Empty: nothing
 * was added to the record since.
 */
export function laterThanDayCounts(later: LaterThanDay): Array<readonly [number, LaterKind]> {
  return KINDS.filter((kind) => later[kind] > 0).map((kind) => [later[kind], kind] as const);
}
