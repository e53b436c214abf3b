import type { CatalogEntry } from './catalog-entry.ts';
import { type HeaderMatch, matchHeaders } from './match-headers.ts';

/**
 * The versions of an entry a file received while `inForce` is in force may be in besides it: the older ones
 * (lower version, taking effect no later than it), newest first — a provider still on an old layout, such as the
 * 2016 双公示 one. Never a later version: one not yet in force on the received day reads nothing.
 */
export function olderVersions(inForce: CatalogEntry, others: readonly CatalogEntry[]): CatalogEntry[] {
  return others
    .filter(
      (other) =>
        other.code === inForce.code &&
        other.version < inForce.version &&
        other.effectiveFrom <= inForce.effectiveFrom,
    )
    .sort((a, b) => b.version - a.version);
}

/**
 * The version of an entry a file's header is in. The version in force on the received date is tried first;
 * when its header does not match, the entry's older versions (olderVersions: newest first, so a legacy layout
 * such as the 2016 双公示 one) are tried, and the first that matches without a problem is taken, with
 * `inForceMatch` (what the version in force found wrong: the run tells it). When none matches, the version in
 * force and its problems are returned, as they name what the current template expects.
 * `pipelineColumns` (a withdrawal flag) and `ignorable` (bookkeeping columns) are no unknown columns;
 * `requiredOf`: the columns a version needs, when not its required fields (a withdrawal list's key columns);
 * `headerRow`: the file row the header was read from, which the problems name.
 */
export function pickVersionByHeader(
  inForce: CatalogEntry,
  others: readonly CatalogEntry[],
  header: string[],
  ignorable: readonly string[] = [],
  pipelineColumns: ReadonlySet<number> = new Set(),
  requiredOf?: (entry: CatalogEntry) => string[],
  headerRow = 1,
): { entry: CatalogEntry; match: HeaderMatch; inForceMatch?: HeaderMatch } {
  const match = matchHeaders(inForce, header, pipelineColumns, ignorable, requiredOf?.(inForce), headerRow);
  if (match.problems.length === 0) return { entry: inForce, match };
  for (const candidate of olderVersions(inForce, others)) {
    const candidateMatch = matchHeaders(
      candidate,
      header,
      pipelineColumns,
      ignorable,
      requiredOf?.(candidate),
      headerRow,
    );
    if (candidateMatch.problems.length === 0)
      return { entry: candidate, match: candidateMatch, inForceMatch: match };
  }
  return { entry: inForce, match };
}
