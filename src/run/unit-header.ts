import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { requiredColumnsOf } from '../catalog/legacy-layout.ts';
import {
  type HeaderMatch,
  matchHeaders,
  withdrawalListColumns,
  withdrawalListProblem,
} from '../catalog/match-headers.ts';
import { olderVersions, pickVersionByHeader } from '../catalog/pick-version.ts';
import type { UnitRequest } from './load-unit.ts';
import { UnitFailure } from './unit-failure.ts';
import { listSignals, type UnitSignals, unitSignals, unitWithdrawals } from './withdrawal-signals.ts';

/**
 * The entry version the header is in, matched through the pipeline's field mapping and ignorable columns.
 * `headerRow`: the file row the header was read from (RowStream.headerRow), which the problems name.
 */
export function pickedVersion(
  request: UnitRequest,
  header: readonly string[],
  signals: UnitSignals,
  headerRow = 1,
): { entry: CatalogEntry; match: HeaderMatch } {
  const list = request.withdrawalList !== undefined;
  const picked = pickVersionByHeader(
    request.entry,
    request.otherVersions ?? [],
    mappedHeader(request, header),
    request.ignoreColumns,
    signals.columns,
    list ? withdrawalListColumns : undefined,
    headerRow,
  );
  const listProblem = list ? withdrawalListProblem(picked.entry, picked.match) : undefined;
  if (!listProblem) return picked;
  return { ...picked, match: { ...picked.match, problems: [...picked.match.problems, listProblem] } };
}

/**
 * A withdrawal list's rows all withdraw; a data unit's say so by the pipeline's signal columns, and once the
 * version is `picked`, by the status field it declares (x-statusSignal) where the pipeline declares no status.
 */
export function signalsOf(
  request: UnitRequest,
  header: readonly string[],
  picked?: { entry: CatalogEntry; match: HeaderMatch },
): UnitSignals {
  if (request.withdrawalList !== undefined) return listSignals(request.withdrawalList);
  const withdrawals = picked
    ? unitWithdrawals(request.withdrawals, picked.entry, header, picked.match.columns)
    : request.withdrawals;
  return unitSignals(withdrawals, header, request.headerMap);
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

/**
 * For a header that does not fit (headerFits): whether it is still the entry's, with a difference — it names
 * more than half of a version's required columns, or all of the business key's required columns (the decision
 * number and the authority's code) and another — and then what differs (an added column, a misspelt or missing
 * one), in Chinese. Undefined for a header that is no data header: a notes sheet, a code table, a letter.
 * What differs is told against the version the header is closest to (fewest columns unknown, missing or doubled;
 * the version in force first, then the newest), not the first that resembles it: a header of the current layout
 * cut short resembles the 2016 layout by its decision number alone (that layout's business key), and told against
 * it would have the current columns it does have called unknown.
 */
export function headerNear(request: UnitRequest, header: readonly string[]): string | undefined {
  try {
    const signals = signalsOf(request, header);
    const mapped = mappedHeader(request, header);
    const list = request.withdrawalList !== undefined;
    // The versions pickedVersion may choose: never one not yet in force on the received day.
    const versions = [request.entry, ...olderVersions(request.entry, request.otherVersions ?? [])];
    let near = false;
    let closest: { match: HeaderMatch; apart: number } | undefined;
    for (const entry of versions) {
      const required = list
        ? withdrawalListColumns(entry)
        : requiredColumnsOf(entry.schema.required, entry.legacyLayout);
      const match = matchHeaders(entry, mapped, signals.columns, request.ignoreColumns, required);
      if (match.problems.length === 0) return undefined;
      if (namesNoColumn(match)) continue;
      near ||= resembles(entry, match, required);
      const apart = match.problems.reduce((sum, problem) => sum + problem.columns.length, 0);
      if (!closest || apart < closest.apart) closest = { match, apart };
    }
    return near && closest ? differences(closest.match) : undefined;
  } catch (error) {
    if (error instanceof UnitFailure) return undefined;
    throw error;
  }
}

/**
 * A unit read by an older version of its entry than the one in force on its received day (pickedVersion: its
 * header did not match the version in force): told in the run's summary, log and `--json`, never silent.
 * `legacyLayout`: the older version is a legacy layout (the 2016 双公示 one), the documented way such files are
 * read; otherwise the provider's header lacks what the version in force asks (`differences`, in Chinese).
 */
export interface OlderVersionRead {
  catalogCode: string;
  version: number;
  legacyLayout: boolean;
  inForce: { version: number; effectiveFrom: string };
  differences: string;
}

/** For a unit `entry` read (the version its header picked): whether that is older than the one in force, and why. */
export function olderVersionRead(
  request: UnitRequest,
  header: readonly string[],
  entry: CatalogEntry,
): OlderVersionRead | undefined {
  const inForce = request.entry;
  if (entry.code !== inForce.code || entry.version >= inForce.version) return undefined;
  const signals = signalsOf(request, header);
  const list = request.withdrawalList !== undefined;
  const match = matchHeaders(
    inForce,
    mappedHeader(request, header),
    signals.columns,
    request.ignoreColumns,
    list ? withdrawalListColumns(inForce) : undefined,
  );
  return {
    catalogCode: entry.code,
    version: entry.version,
    legacyLayout: entry.legacyLayout !== undefined,
    inForce: { version: inForce.version, effectiveFrom: inForce.effectiveFrom },
    differences: differences(match),
  };
}

/** `read by xzcf v3 (the layout of v3); xzcf v4 in force since 2026-12-06: 缺少必填列：CF_LXDH` */
export function olderVersionText(older: OlderVersionRead): string {
  const layout = older.legacyLayout ? 'a legacy layout (legacyLayout)' : `the layout of v${older.version}`;
  return (
    `read by ${older.catalogCode} v${older.version} (${layout}); ${older.catalogCode} v${older.inForce.version} ` +
    `in force since ${older.inForce.effectiveFrom}: ${older.differences || 'header does not match'}`
  );
}

/** A header that is empty or reads as a data row names no column. */
function namesNoColumn(match: HeaderMatch): boolean {
  return match.problems.some((problem) => problem.code === 'empty-header' || problem.columns.length === 0);
}

function resembles(entry: CatalogEntry, match: HeaderMatch, required: readonly string[]): boolean {
  if (namesNoColumn(match)) return false;
  const named = new Set(match.columns.filter((code) => code !== undefined));
  const key = withdrawalListColumns(entry);
  if (key.length > 0 && key.every((code) => named.has(code)) && named.size > key.length) return true;
  return required.filter((code) => named.has(code)).length * 2 > required.length;
}

/** A close header's problems, short: the columns each names. */
function differences(match: HeaderMatch): string {
  const what: Record<HeaderMatch['problems'][number]['code'], string> = {
    'unknown-columns': '多出目录未定义的列',
    'missing-columns': '缺少必填列',
    'duplicate-columns': '指向同一字段的列',
    'empty-header': '表头为空',
  };
  return match.problems.map((problem) => `${what[problem.code]}：${problem.columns.join('、')}`).join('；');
}

/** The header as matched: a pipeline's field mapping (source header → field code or title) applied. */
function mappedHeader(request: UnitRequest, header: readonly string[]): string[] {
  const headerMap = request.headerMap ?? {};
  return header.map((name) => headerMap[name] ?? name);
}
