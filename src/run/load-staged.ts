import { changedSinceListed, changedWhileLoading } from '../../connectors/transports/local-file.ts';
import { DeliveryChangedError } from '../../connectors/transports/retry-with-backoff.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  FastPathUnusable,
  holdEntryGeneration,
  sameCache,
  usableCacheChannel,
} from '../warehouse/fingerprint-cache-repository.ts';
import { type FastRows, lockEntryForMerge, mergeStaged } from '../warehouse/merge-staged.ts';
import { assertCountsAddUp, emptyCounts, type OutcomeCounts } from '../warehouse/outcome-counts.ts';
import {
  lockObjectedRecordsBeforeMerge,
  objectionRequestsOfUnit,
  objectionsOnUpdatedRecords,
} from '../warehouse/provider-objections-repository.ts';
import {
  type DeliveryChannel,
  type EarlierLoad,
  earlierLoadOf,
  finishSourceFile,
  type LedgerReading,
  markForcedReload,
  recordSkippedUnit,
  type SourceFileRow,
  storeFileDigest,
} from '../warehouse/source-files-repository.ts';
import { type UnitSession, withUnitTransaction } from '../warehouse/unit-session.ts';
import { compareLegacyRows } from './compare-legacy-rows.ts';
import { failedUnit, sourceFileRow } from './failed-unit.ts';
import { checkFullDump, holdBackTruncatedDump, listMissingFromDump } from './full-dump-check.ts';
import type { UnitRequest, UnitResult } from './load-unit.ts';
import { raiseProviderObjections } from './provider-objections.ts';
import { checkThreshold, holdBackUnit } from './reject-threshold.ts';
import { olderVersionRead } from './unit-header.ts';
import { unitCommit } from './watermark-ledger.ts';
import { unitWithdrawals } from './withdrawal-signals.ts';

/**
 * A unit staged into the transaction's `stage` table, whoever read it: this thread from the unit's bytes
 * (stageUnitRows), or the chunk workers of a big file, copied from its shared staging table
 * (src/run/chunks/merge-chunks.ts).
 */
export interface StagedUnit {
  sourceFileId: number;
  /** The entry version the header picked. */
  entry: CatalogEntry;
  header: readonly string[];
  /** The catalog field of each column. */
  columns: (string | undefined)[];
  read: number;
  sha256: string | undefined;
  encoding: string;
  blankLines: number;
  readStarted: number;
  /** The shape of the rows' fingerprints, when they were taken (raw-fingerprint.ts): the channel's cache is kept. */
  fingerprintShape?: string;
  /** Rows the fast path took, and the cache they came from. */
  fast?: FastRows;
  /** New records written while the unit was read (early-merges.ts). */
  mergedWhileReading?: number;
}

/**
 * The frame of every unit load: one transaction in which `stage` fills the `stage` table and records the unit's
 * `source_files` row, then the sha256 ledger, the thresholds (over every row of the unit), the full-dump check,
 * the merge and the file's bookkeeping. A unit whose content was loaded before is recorded as skipped; one that
 * fails is rolled back and recorded as failed.
 */
export async function loadStaged(
  warehouse: Warehouse,
  request: UnitRequest,
  stage: (session: UnitSession, file: SourceFileRow) => Promise<StagedUnit>,
): Promise<UnitResult> {
  const started = Date.now();
  const file = sourceFileRow(request, new Date(started));
  try {
    const result = await withUnitTransaction(warehouse, async (session) => {
      // Content the transport hashed before loading (a file drop hashes each file as it polls) and the ledger
      // has: skipped before a byte is read. A byte-identical nightly dump costs its hash, not a load.
      // Only when the entry version in force is the one that last read them: a header that picks another version
      // is read first and checked below.
      const known = request.unit.sha256;
      const loadedBefore =
        known && !request.force
          ? await earlierLoadOf(
              session,
              known,
              ledgerChannel(request),
              ledgerReading(request, request.entry),
              request.unit,
              0,
            )
          : undefined;
      if (loadedBefore) throw new AlreadyLoaded(loadedBefore);
      const staged = await stage(session, file);
      const { sourceFileId, entry, read, sha256, encoding, blankLines } = staged;
      // The pipeline's signals, or the entry's declared status field (x-statusSignal) the header has.
      const withdrawals = unitWithdrawals(request.withdrawals, entry, staged.header, staged.columns);
      // Bytes other than those the transport found complete and hashed: the file was written again in between
      // (a writer that paused longer than the drop's stability window). A cut last row would be the provider's
      // rejection and the rest of the file would wait for the next poll: not loaded, not blamed, read again.
      if (known && sha256 !== known) throw changedSinceFound(request.unit.name);
      // A file handed over directly (`ingest`) is not hashed before: it is stated again now that every byte of it
      // is read, against how it was listed. Grown meanwhile, what was read is neither the file before nor after.
      const changed = await changedSinceListed(request.unit);
      if (changed) throw changedWhileLoading(request.unit.name, changed);
      request.onProgress?.(read, 'merge');
      // The ledger is read under the entry's merge lock: two loads of the same content at once (two `ingest`s of
      // one file, a pipeline run whose lock was lost) both read it before either committed; the second now waits
      // for the first and finds it, instead of loading the content again, all `unchanged`.
      await lockEntryForMerge(session, entry.code);
      const earlier = await earlierLoadOf(
        session,
        sha256,
        ledgerChannel(request),
        ledgerReading(request, entry),
        request.unit,
        sourceFileId,
      );
      if (earlier && !request.force) throw new AlreadyLoaded(earlier);
      if (earlier) await markForcedReload(session, sourceFileId, earlier);
      const mergeStarted = Date.now();
      const threshold = await checkThreshold(session, request.thresholds, read);
      const stats = { encoding, blankLines, started };
      if (threshold?.exceeded && staged.mergedWhileReading) throw new ThresholdAfterEarlyMerge();
      if (threshold?.exceeded) return holdBackUnit(session, request, sourceFileId, sha256, stats, threshold);
      const channel = ledgerChannel(request);
      // A withdrawal list is no dump of the provider's records: completeness is a data unit's question.
      const fullDump =
        request.fullDump && request.withdrawalList === undefined
          ? await checkFullDump(session, request.fullDump, channel, sourceFileId)
          : undefined;
      if (fullDump?.exceeded)
        return holdBackTruncatedDump(session, request, sourceFileId, sha256, stats, read, fullDump);
      // Rows saying 异议: their records are read under a lock from here, so a procedure ending one while the unit
      // merges makes the row a conflict, never a silently dropped objection. Before the generation is held: a
      // procedure locks its record, then moves the generation; taken the other way round, the two would deadlock.
      if (withdrawals?.status?.objection) await lockObjectedRecordsBeforeMerge(session, entry.code);
      // Another load of the entry, or a legal procedure (it takes no merge lock), may have changed the entry while
      // the rows were read; from here a procedure waits for this unit.
      if (staged.fingerprintShape !== undefined) await holdEntryGeneration(session, entry.code);
      // Read without the lock: the fast rows stand only on the cache they were recognised by, still current.
      if (
        staged.fast &&
        !sameCache(
          staged.fast.stamp,
          await usableCacheChannel(session, channel, staged.fingerprintShape!, sourceFileId),
        )
      )
        throw new FastPathUnusable('the entry changed while the unit was read');
      // A legacy-layout row equal to the current version on the fields its layout carries re-delivers it.
      await compareLegacyRows(session, entry);
      const merged = await mergeStaged(session, {
        runId: request.runId,
        sourceFileId,
        catalogCode: entry.code,
        catalogVersion: entry.version,
        providerCode: request.providerCode,
        level: request.level,
        precedence: entry.precedence,
        receivedAt: request.unit.receivedAt,
        withdrawals: withdrawals !== undefined || request.withdrawalList !== undefined,
        numberField: entry.businessKey.find(
          (code) => entry.schema.properties[code]?.['x-key'] === 'document-number',
        ),
        fullLineage: request.fullLineage === true,
        ...(staged.fast ? { fast: staged.fast } : {}),
        ...(staged.fingerprintShape !== undefined ? { fingerprintShape: staged.fingerprintShape } : {}),
        ...(staged.mergedWhileReading ? { mergedWhileReading: staged.mergedWhileReading } : {}),
      });
      if (fullDump) await listMissingFromDump(session, channel, sourceFileId, fullDump);
      const objections = withdrawals?.status?.objection ? await objectionRequestsOfUnit(session) : [];
      const objectionsUpdated =
        merged.updated > 0 ? await objectionsOnUpdatedRecords(session, sourceFileId, entry.code) : [];
      // A row saying 异议 marks its record in this transaction (Art. 18): the rows and the marks commit together,
      // and an objection that cannot be opened fails the unit as any fault in this transaction does (a database
      // fault is retried, never blamed on the file).
      const providerObjections =
        objections.length > 0
          ? await raiseProviderObjections(
              session,
              {
                providerCode: request.providerCode,
                fileName: request.unit.name,
                sourceFileId,
                receivedAt: request.unit.receivedAt,
              },
              objections,
            )
          : undefined;
      const counts: OutcomeCounts = { read, ...merged, held: 0 };
      assertCountsAddUp(counts);
      await request.unit.beforeCommit?.(unitCommit(session));
      const errorsByCode = await finishSourceFile(session, sourceFileId, {
        sha256,
        encoding,
        columns: staged.header.map((header, i) => ({ header, field: staged.columns[i] ?? null })),
        counts,
        blankLines,
        threshold,
      });
      // The file's last write: its second digest (set by the database with the first) covers the sha256 and
      // counts just stored, and nothing of the row changes after it (043-delivery-digest).
      const { digest, digestV2 } = await storeFileDigest(session, sourceFileId);
      const stageMs = { read: mergeStarted - staged.readStarted, merge: Date.now() - mergeStarted };
      // A header that did not match the version in force, read by an older one: said, never silent.
      const olderVersion = olderVersionRead(request, staged.header, entry);
      return {
        sourceFileId,
        name: request.unit.name,
        status: 'loaded' as const,
        counts,
        errorsByCode,
        blankLines,
        encoding,
        durationMs: Date.now() - started,
        stageMs,
        digest,
        digestV2,
        fastRows: staged.fast?.rows ?? 0,
        mergedWhileReading: staged.mergedWhileReading ?? 0,
        ...(threshold ? { threshold } : {}),
        ...(earlier ? { sameContentAs: earlier } : {}),
        ...(fullDump ? { fullDump } : {}),
        ...(objectionsUpdated.length > 0 ? { objectionsUpdated } : {}),
        ...(providerObjections ? { providerObjections } : {}),
        ...(olderVersion ? { olderVersion } : {}),
      };
    });
    return result;
  } catch (error) {
    if (error instanceof AlreadyLoaded) return skippedUnit(warehouse, file, error.earlier);
    if (error instanceof FastPathUnusable || error instanceof ThresholdAfterEarlyMerge) throw error;
    return failedUnit(warehouse, file, error);
  }
}

export function ledgerChannel(request: UnitRequest): DeliveryChannel {
  return { catalogCode: request.entry.code, providerCode: request.providerCode, level: request.level };
}

/** How the unit is read, as the ledger compares it: its run's reading fingerprint, the entry version it is read by. */
function ledgerReading(request: UnitRequest, entry: CatalogEntry): LedgerReading {
  return { fingerprint: request.reading, catalogVersion: entry.version };
}

/**
 * A unit over its thresholds after some of its rows were merged while it was read: only rolling the unit back
 * takes them back, so it is read again with merging while reading off (a refused file is read twice).
 */
export class ThresholdAfterEarlyMerge extends Error {
  constructor() {
    super('over its thresholds after merging while reading');
  }
}

/** Content the ledger has seen: the unit's transaction is rolled back and the unit recorded as skipped. */
class AlreadyLoaded extends Error {
  constructor(readonly earlier: EarlierLoad) {
    super(`same content as source file ${earlier.sourceFileId}`);
  }
}

/** Records a unit whose content was loaded before, pointing at that load; nothing of it is applied. */
async function skippedUnit(
  warehouse: Warehouse,
  file: SourceFileRow,
  earlier: EarlierLoad,
): Promise<UnitResult> {
  const sourceFileId = await recordSkippedUnit(warehouse, file, earlier);
  return {
    sourceFileId,
    name: file.unit.name,
    status: 'skipped',
    counts: emptyCounts(),
    errorsByCode: {},
    blankLines: 0,
    encoding: undefined,
    durationMs: Date.now() - file.startedAt.getTime(),
    sameContentAs: earlier,
  };
}

/** Thrown on like a lost connection (failedUnit): nothing is recorded, the file stays for the next poll. */
function changedSinceFound(name: string): DeliveryChangedError {
  return new DeliveryChangedError(
    `${name} changed while it was loading (its bytes differ from those found complete): still being written, ` +
      'it is read again on the next poll',
  );
}
