import type { CatalogEntry } from './catalog-entry.ts';
import { type HeaderMatch, matchHeaders } from './match-headers.ts';

/**
 * The version of an entry a file's header is in. The version in force on the received date is tried first;
 * when its header does not match, the entry's other versions (newest first, so a legacy layout such as the
 * 2016 双公示 one) are tried, and the first that matches without a problem is taken. When none matches, the
 * version in force and its problems are returned, as they name what the current template expects.
 * `pipelineColumns` (a withdrawal flag) and `ignorable` (bookkeeping columns) are no unknown columns;
 * `requiredOf`: the columns a version needs, when not its required fields (a withdrawal list's key columns).
 */
export function pickVersionByHeader(
  inForce: CatalogEntry,
  others: readonly CatalogEntry[],
  header: string[],
  ignorable: readonly string[] = [],
  pipelineColumns: ReadonlySet<number> = new Set(),
  requiredOf?: (entry: CatalogEntry) => string[],
): { entry: CatalogEntry; match: HeaderMatch } {
  const match = matchHeaders(inForce, header, pipelineColumns, ignorable, requiredOf?.(inForce));
  if (match.problems.length === 0) return { entry: inForce, match };
  const candidates = others
    .filter((other) => other.code === inForce.code && other.version !== inForce.version)
    .sort((a, b) => b.version - a.version);
  for (const candidate of candidates) {
    const candidateMatch = matchHeaders(
      candidate,
      header,
      pipelineColumns,
      ignorable,
      requiredOf?.(candidate),
    );
    if (candidateMatch.problems.length === 0) return { entry: candidate, match: candidateMatch };
  }
  return { entry: inForce, match };
}
