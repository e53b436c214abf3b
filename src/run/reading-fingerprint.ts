import { createHash } from 'node:crypto';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import packageJson from '../../package.json' with { type: 'json' };
import type { Catalog } from '../catalog/load-catalog.ts';
import type { LedgerReading } from '../warehouse/source-files-repository.ts';
import type { IngestRequest } from './ingest-files.ts';

/** What of a run says how its units' bytes are read into rows and records (readingFingerprint). */
export type ReadingRequest = Pick<
  IngestRequest,
  | 'catalog'
  | 'catalogVersion'
  | 'encoding'
  | 'formatOptions'
  | 'validatorOptions'
  | 'headerMap'
  | 'ignoreColumns'
  | 'lookups'
  | 'withdrawals'
>;

/**
 * What reads a run's units, as a sha256 (stored with the run, `runs.options.reading`): the catalog entry's versions
 * (each one's content), the version a pipeline names, the encoding, delimiter, sheet and header row, the field
 * mapping, the integrator columns, the lookup tables, the withdrawal signals, the validator options and the
 * release. The sha256 ledger skips bytes only when the run that loaded them read them this way: the same bytes
 * read with a lookup added, under a changed entry, another mapping, are another delivery (their rows' outcomes are
 * the merge's to judge). Defaults are left out, so that `ingest` and a pipeline that say nothing read alike. The
 * version a unit's header picks among the entry's versions is the file's own (`source_files.catalog_version`).
 */
export function readingFingerprint(catalog: Catalog, request: ReadingRequest): string {
  const versions = catalog.entries
    .filter((entry) => entry.code === request.catalog || entry.title === request.catalog)
    .sort((a, b) => a.version - b.version);
  const { delimiter, sheet, headerRow } = request.formatOptions ?? {};
  const reading = {
    release: packageJson.version,
    entries: versions,
    catalogVersion: request.catalogVersion,
    encoding: request.encoding === 'auto' ? undefined : request.encoding,
    delimiter: delimiter === 'auto' ? undefined : delimiter,
    sheet,
    headerRow,
    allowPilotCodes: request.validatorOptions?.allowPilotCodes === true ? true : undefined,
    headerMap: nonEmpty(request.headerMap),
    ignoreColumns: request.ignoreColumns?.length ? request.ignoreColumns : undefined,
    lookups: nonEmpty(request.lookups),
    withdrawals: request.withdrawals,
  };
  return createHash('sha256').update(canonical(reading)).digest('hex');
}

/**
 * How a run of this request reads units received on `day`, for a check of the ledger before a unit is fetched
 * (a transport's `alreadyLoaded`): its reading fingerprint, and the entry version it names or that is in force.
 * A unit whose header picks another version is loaded, and the loader's ledger check decides.
 */
export function ledgerReadingOf(
  catalog: Catalog,
  request: ReadingRequest,
  day: string = todayInShanghai(new Date()),
): LedgerReading {
  return {
    fingerprint: readingFingerprint(catalog, request),
    catalogVersion: request.catalogVersion ?? catalog.resolve(request.catalog, day).version,
  };
}

function nonEmpty<T extends object>(value: T | undefined): T | undefined {
  return value && Object.keys(value).length > 0 ? value : undefined;
}

/** JSON with every object's keys in order: the same settings, however built, give the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item ?? null)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined && typeof item !== 'function')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
