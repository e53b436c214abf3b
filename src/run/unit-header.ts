import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { type HeaderMatch, withdrawalListColumns, withdrawalListProblem } from '../catalog/match-headers.ts';
import { pickVersionByHeader } from '../catalog/pick-version.ts';
import type { UnitRequest } from './load-unit.ts';
import { UnitFailure } from './unit-failure.ts';
import { listSignals, type UnitSignals, unitSignals } from './withdrawal-signals.ts';

/** The entry version the header is in, matched through the pipeline's field mapping and ignorable columns. */
export function pickedVersion(
  request: UnitRequest,
  header: readonly string[],
  signals: UnitSignals,
): { entry: CatalogEntry; match: HeaderMatch } {
  const list = request.withdrawalList !== undefined;
  const picked = pickVersionByHeader(
    request.entry,
    request.otherVersions ?? [],
    mappedHeader(request, header),
    request.ignoreColumns,
    signals.columns,
    list ? withdrawalListColumns : undefined,
  );
  const listProblem = list ? withdrawalListProblem(picked.entry, picked.match) : undefined;
  if (!listProblem) return picked;
  return { ...picked, match: { ...picked.match, problems: [...picked.match.problems, listProblem] } };
}

/** A withdrawal list's rows all withdraw; a data unit's say so by the pipeline's signal columns. */
export function signalsOf(request: UnitRequest, header: readonly string[]): UnitSignals {
  return request.withdrawalList !== undefined
    ? listSignals(request.withdrawalList)
    : unitSignals(request.withdrawals, header, request.headerMap);
}

/** Whether a sheet's header is this unit's: it matches a version of the entry, withdrawal signal columns included. */
export function headerFits(request: UnitRequest, header: readonly string[]): boolean {
  try {
    const signals = signalsOf(request, header);
    return pickedVersion(request, header, signals).match.problems.length === 0;
  } catch (error) {
    if (error instanceof UnitFailure) return false;
    throw error;
  }
}

/** The header as matched: a pipeline's field mapping (source header → field code or title) applied. */
function mappedHeader(request: UnitRequest, header: readonly string[]): string[] {
  const headerMap = request.headerMap ?? {};
  return header.map((name) => headerMap[name] ?? name);
}
