import { SkimDeclined } from '../../connectors/formats/csv-skim.ts';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { timelinessChecker } from '../calendar/timeliness.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import {
  type CacheStamp,
  FastPathUnusable,
  hasCacheOfShape,
  loadFingerprintCache,
  sameCache,
  usableCacheChannel,
} from '../warehouse/fingerprint-cache-repository.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';
import { FastRedelivery } from './fast-redelivery.ts';
import { ledgerChannel } from './load-staged.ts';
import type { UnitRequest } from './load-unit.ts';
import { type OpenedUnit, openUnitRows } from './open-unit-rows.ts';
import { type RawFingerprinter, rawFingerprinter } from './raw-fingerprint.ts';
import { columnNames, type RowFingerprints } from './stage-row.ts';

/**
 * A UTF-8 CSV unit the fast path may serve is opened again through a skim (csv-skim.ts): its records are offered
 * to the fast path as bytes, and only those it leaves are parsed. Not for a title row above the header (the skim
 * reads the header on the first line) or a retry after the skim gave up.
 */
export async function skimmedAgain(
  request: UnitRequest,
  opened: OpenedUnit,
  fingerprinter: RawFingerprinter,
  redelivery: FastRedelivery,
): Promise<OpenedUnit> {
  const skimmable =
    request.skim !== false &&
    request.format?.name === 'csv' &&
    request.unit.open !== undefined &&
    opened.rows.encoding === 'utf8' &&
    (request.formatOptions?.headerRow ?? 1) === 1;
  if (!skimmable) return opened;
  opened.abort();
  const reading = await openUnitRows(
    request.unit,
    request.format,
    { ...request.formatOptions, encoding: 'utf8' },
    {
      headerCells: opened.rows.header.length,
      skimmer: { take: (record) => redelivery.take(fingerprinter.ofRecord(record), record.rowNumber) },
    },
  ).catch((error: unknown) => {
    if (error instanceof SkimDeclined) throw new FastPathUnusable(error.message, true);
    throw error;
  });
  if (reading.rows.header.join('\u0000') !== opened.rows.header.join('\u0000')) {
    reading.abort();
    throw new FastPathUnusable('the header read again differs', true);
  }
  return reading;
}

/**
 * The fingerprints of the unit's rows, and the fast path when the channel's cache can serve this unit: rows read
 * as text (CSV, tables; a workbook's cells depend on its date system), the current layout, no withdrawal signals
 * (a row's signal is no part of its content), no forced reload, full dump check or full lineage (each needs every
 * row staged). The entry's merge lock is not held while the rows are read: a big file would keep every other load of
 * the entry waiting for its read. The cache is stamped instead (usableCacheChannel), and the merge, under the lock,
 * checks it is still the same (load-staged.ts): another unit's merge or a legal procedure meanwhile sends this
 * unit back to the full path.
 */
export async function rowFingerprints(
  session: UnitSession,
  request: UnitRequest,
  entry: CatalogEntry,
  columns: (string | undefined)[],
  rows: OpenedUnit['rows'],
  sourceFileId: number,
): Promise<(RowFingerprints & { stamp?: CacheStamp }) | undefined> {
  const taken =
    entry.legacyLayout === undefined &&
    request.withdrawals === undefined &&
    request.withdrawalList === undefined &&
    rows.serialToDate === undefined;
  if (!taken) return undefined;
  const fingerprinter = rawFingerprinter(entry, request.validatorOptions, columnNames(columns, rows.header));
  const fast =
    request.fastRedelivery !== false &&
    !request.force &&
    request.fullDump === undefined &&
    request.fullLineage !== true;
  const channel = ledgerChannel(request);
  if (!fast || !(await hasCacheOfShape(session, channel, fingerprinter.shape))) return { fingerprinter };
  const stamp = await usableCacheChannel(session, channel, fingerprinter.shape, sourceFileId);
  if (stamp === undefined) return { fingerprinter };
  const cache = await loadFingerprintCache(session, stamp.channelId);
  // Another file of the channel committed while the cache was read: not the cache that was stamped.
  if (!sameCache(stamp, await usableCacheChannel(session, channel, fingerprinter.shape, sourceFileId)))
    return { fingerprinter };
  const received = todayInShanghai(request.unit.receivedAt);
  return { fingerprinter, redelivery: new FastRedelivery(cache, received, timelinessChecker()), stamp };
}
