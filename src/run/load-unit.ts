import type { Encoding, Format, FormatOptions, SourceUnit } from '../../connectors/contracts.ts';
import { SkimDeclined } from '../../connectors/formats/csv-skim.ts';
import { InfrastructureFault, infrastructureFault } from '../../connectors/infrastructure-fault.ts';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { RetryableError } from '../../connectors/transports/retry-with-backoff.ts';
import { timelinessChecker } from '../calendar/timeliness.ts';
import type { CatalogEntry, ChannelLevel } from '../catalog/catalog-entry.ts';
import { type HeaderMatch, withdrawalListColumns, withdrawalListProblem } from '../catalog/match-headers.ts';
import { pickVersionByHeader } from '../catalog/pick-version.ts';
import { CopyWriter } from '../load/copy-writer.ts';
import type { Lookups } from '../normalize/derive-legacy-row.ts';
import type { ValidatorOptions } from '../validate/compile-validator.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  FastPathUnusable,
  hasCacheOfShape,
  holdEntryGeneration,
  loadFingerprintCache,
  usableCacheChannel,
} from '../warehouse/fingerprint-cache-repository.ts';
import { type FastRows, lockEntryForMerge, mergeStaged } from '../warehouse/merge-staged.ts';
import { assertCountsAddUp, emptyCounts, type OutcomeCounts } from '../warehouse/outcome-counts.ts';
import {
  type ObjectionOnUpdatedRecord,
  type ObjectionRequest,
  objectionRequestsOfUnit,
  objectionsOnUpdatedRecords,
} from '../warehouse/provider-objections-repository.ts';
import {
  type DeliveryChannel,
  type EarlierLoad,
  earlierLoadOf,
  finishSourceFile,
  markForcedReload,
  recordFailedUnit,
  recordSkippedUnit,
  type SourceFileRow,
  startSourceFile,
  storeFileDigest,
} from '../warehouse/source-files-repository.ts';
import { COPY_INTO_STAGE, createStageTable } from '../warehouse/staging-repository.ts';
import { type UnitSession, withUnitTransaction } from '../warehouse/unit-session.ts';
import type { ChunkHelpers } from './chunk-settings.ts';
import { compareLegacyRows } from './compare-legacy-rows.ts';
import { type CompiledEntry, compileEntry } from './compiled-entry.ts';
import { EarlyMerges } from './early-merges.ts';
import { FastRedelivery } from './fast-redelivery.ts';
import {
  checkFullDump,
  type FullDumpDecision,
  type FullDumpRule,
  holdBackTruncatedDump,
  listMissingFromDump,
} from './full-dump-check.ts';
import { headerRowHint } from './header-row-hint.ts';
import { type OpenedUnit, openUnitRows } from './open-unit-rows.ts';
import { type ProviderObjections, raiseProviderObjections } from './provider-objections.ts';
import { type RawFingerprinter, rawFingerprinter } from './raw-fingerprint.ts';
import { checkThreshold, holdBackUnit, type ThresholdDecision, type Thresholds } from './reject-threshold.ts';
import { columnNames, compileRowStager, type RowFingerprints } from './stage-row.ts';
import { toUnitFailure, UnitFailure } from './unit-failure.ts';
import { unitCommit } from './watermark-ledger.ts';
import { listSignals, type UnitSignals, unitSignals, type WithdrawalSignals } from './withdrawal-signals.ts';

/** What a unit is doing: reading (and checking) rows, or merging them into the warehouse. */
export type UnitPhase = 'read' | 'merge';

export interface UnitRequest {
  runId: number;
  unit: SourceUnit;
  /** How to read the unit's bytes; not needed for units that give rows. */
  format: Format | undefined;
  encoding: Encoding;
  /** Delimiter, sheet, header row: how to read the unit beyond its encoding. */
  formatOptions?: Omit<FormatOptions, 'encoding'>;
  entry: CatalogEntry;
  providerCode: string;
  level: ChannelLevel;
  validatorOptions?: ValidatorOptions;
  /**
   * Called every batch with the rows read so far, then once with `merge` when all are read and the merge into
   * the warehouse begins (progress display).
   */
  onProgress?: (rowsRead: number, phase?: UnitPhase) => void;
  /** Over these, none of the unit's rows are applied (its rejections are still stored). */
  thresholds?: Thresholds;
  /** A pipeline's field mapping: source header → catalog field code or title, applied before matching. */
  headerMap?: Readonly<Record<string, string>>;
  /**
   * The entry's other versions a header may select (a legacy layout such as the 2016 双公示 one); none when the
   * pipeline names its version.
   */
  otherVersions?: readonly CatalogEntry[];
  /** A pipeline's integrator bookkeeping columns (id, create_time, del_flag…): read by no field, never unknown. */
  ignoreColumns?: readonly string[];
  /** A pipeline's tables for a legacy layout's `lookup` derivations (e.g. 处罚机关 → its USCC). */
  lookups?: Lookups;
  /** Load even content the sha256 ledger has seen (`ingest --force`); recorded as a forced reload. */
  force?: boolean;
  /** A pipeline's withdrawal signals: rows that say 撤销 withdraw their records instead of loading. */
  withdrawals?: WithdrawalSignals;
  /**
   * The unit is a withdrawal list (a 撤销清单 file, a withdrawal table's batch): every row withdraws the record its
   * business key names; this is the evidence its rows carry (`撤销清单`). Only the key columns are needed.
   */
  withdrawalList?: string;
  /** The unit is a complete dump of the channel's records: checked against the previous one. */
  fullDump?: FullDumpRule;
  /** Who helps with a big file's chunks (a worker's job queue); none: a chunked file is staged by this worker. */
  chunkHelpers?: ChunkHelpers;
  /** One lineage row for every delivered row, no compact runs (`CREDIT_ETL_FULL_LINEAGE=1`). */
  fullLineage?: boolean;
  /** `false`: no row is taken by fingerprint (`CREDIT_ETL_FAST_REDELIVERY=0`); fast-redelivery.ts. */
  fastRedelivery?: boolean;
  /** `false`: rows are taken by fingerprint only once parsed, the file's bytes not skimmed (csv-skim.ts). */
  skim?: boolean;
  /** Rows between two early merges (`CREDIT_ETL_MERGE_WHILE_READING`; early-merges.ts); 0 or none: off. */
  mergeWhileReading?: number;
}

export interface UnitResult {
  sourceFileId: number;
  name: string;
  status: 'loaded' | 'failed' | 'failed-threshold' | 'skipped';
  counts: OutcomeCounts;
  errorsByCode: Record<string, number>;
  blankLines: number;
  encoding: string | undefined;
  error?: { code: string; message: string };
  durationMs: number;
  /** Where the time went (benchmark stage split): reading through COPY, and the set-based merge. */
  stageMs?: { read: number; merge: number };
  threshold?: ThresholdDecision;
  /** The earlier load with the same content: why this unit was skipped, or what a forced reload repeated. */
  sameContentAs?: EarlierLoad;
  /** A loaded unit's digest of what it added (source_files.digest), logged so an operator can keep it elsewhere. */
  digest?: string;
  /** A full dump's completeness: the previous dump, what of it is missing, how many records are listed missing. */
  fullDump?: FullDumpDecision;
  /** Rows whose 当前状态 said 异议: the objections they opened. */
  providerObjections?: ProviderObjections;
  /**
   * Records the unit updated while an objection on them is in progress: the provider's corrected delivery may
   * settle it (`objection close --version`), which only an officer can decide.
   */
  objectionsUpdated?: ObjectionOnUpdatedRecord[];
  /** Rows the fast path of a re-delivery took by fingerprint (fast-redelivery.ts); 0 when it was not used. */
  fastRows?: number;
  /** New records written while the unit was read (merge-while-reading.ts); 0 when none were. */
  mergedWhileReading?: number;
}

/** Reads, normalizes, validates, stages and merges one unit in one transaction. Never throws for bad data. */
export async function loadUnit(warehouse: Warehouse, request: UnitRequest): Promise<UnitResult> {
  let attempt = request;
  for (;;) {
    try {
      return await loadStaged(warehouse, attempt, (session, file) => stageUnitRows(session, attempt, file));
    } catch (error) {
      if (error instanceof ThresholdAfterEarlyMerge) {
        // Rolled back whole: read again with every row merged at the end, so the hold-back applies nothing.
        attempt = { ...attempt, mergeWhileReading: 0 };
        continue;
      }
      if (!(error instanceof FastPathUnusable) || attempt.fastRedelivery === false) throw error;
      // Rolled back whole: the same unit again, its rows parsed (the skim gave up), or every row on the full path.
      attempt =
        error.skimOnly && attempt.skim !== false
          ? { ...attempt, skim: false }
          : { ...attempt, fastRedelivery: false };
    }
  }
}

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
  let objections: ObjectionRequest[] = [];
  try {
    const result = await withUnitTransaction(warehouse, async (session) => {
      // Content the transport hashed before loading (a file drop hashes each file as it polls) and the ledger
      // has: skipped before a byte is read. A byte-identical nightly dump costs its hash, not a load.
      const known = request.unit.sha256;
      const loadedBefore =
        known && !request.force ? await earlierLoadOf(session, known, ledgerChannel(request), 0) : undefined;
      if (loadedBefore) throw new AlreadyLoaded(loadedBefore);
      const staged = await stage(session, file);
      const { sourceFileId, entry, read, sha256, encoding, blankLines } = staged;
      // Bytes other than those the transport found complete and hashed: the file was written again in between
      // (a writer that paused longer than the drop's stability window). A cut last row would be the provider's
      // rejection and the rest of the file would wait for the next poll: not loaded, not blamed, read again.
      if (known && sha256 !== known) throw changedSinceFound(request.unit.name);
      request.onProgress?.(read, 'merge');
      // The ledger is read under the entry's merge lock: two loads of the same content at once (two `ingest`s of
      // one file, a pipeline run whose lock was lost) both read it before either committed; the second now waits
      // for the first and finds it, instead of loading the content again, all `unchanged`.
      await lockEntryForMerge(session, entry.code);
      const earlier = await earlierLoadOf(session, sha256, ledgerChannel(request), sourceFileId);
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
      // A legal procedure may have changed the entry while the rows were read (it takes no merge lock); from
      // here it waits for this unit.
      if (staged.fingerprintShape !== undefined) await holdEntryGeneration(session, entry.code);
      if (
        staged.fast &&
        (await usableCacheChannel(session, channel, staged.fingerprintShape!, sourceFileId)) === undefined
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
        withdrawals: request.withdrawals !== undefined || request.withdrawalList !== undefined,
        numberField: entry.businessKey.find(
          (code) => entry.schema.properties[code]?.['x-key'] === 'document-number',
        ),
        fullLineage: request.fullLineage === true,
        ...(staged.fast ? { fast: staged.fast } : {}),
        ...(staged.fingerprintShape !== undefined ? { fingerprintShape: staged.fingerprintShape } : {}),
        ...(staged.mergedWhileReading ? { mergedWhileReading: staged.mergedWhileReading } : {}),
      });
      if (fullDump) await listMissingFromDump(session, channel, sourceFileId, fullDump);
      if (request.withdrawals?.status?.objection) objections = await objectionRequestsOfUnit(session);
      const objectionsUpdated =
        merged.updated > 0 ? await objectionsOnUpdatedRecords(session, sourceFileId, entry.code) : [];
      const digest = await storeFileDigest(session, sourceFileId);
      const stageMs = { read: mergeStarted - staged.readStarted, merge: Date.now() - mergeStarted };
      const counts: OutcomeCounts = { read, ...merged };
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
        fastRows: staged.fast?.rows ?? 0,
        mergedWhileReading: staged.mergedWhileReading ?? 0,
        ...(threshold ? { threshold } : {}),
        ...(earlier ? { sameContentAs: earlier } : {}),
        ...(fullDump ? { fullDump } : {}),
        ...(objectionsUpdated.length > 0 ? { objectionsUpdated } : {}),
      };
    });
    if (result.status !== 'loaded' || objections.length === 0) return result;
    const delivery = {
      providerCode: request.providerCode,
      fileName: request.unit.name,
      sourceFileId: result.sourceFileId,
      receivedAt: request.unit.receivedAt,
    };
    return { ...result, providerObjections: await raiseProviderObjections(warehouse, delivery, objections) };
  } catch (error) {
    if (error instanceof AlreadyLoaded) return skippedUnit(warehouse, file, error.earlier);
    if (error instanceof FastPathUnusable || error instanceof ThresholdAfterEarlyMerge) throw error;
    return failedUnit(warehouse, file, error);
  }
}

/** Opens the unit's bytes (or rows), records its `source_files` row and stages every row. */
async function stageUnitRows(
  session: UnitSession,
  request: UnitRequest,
  file: SourceFileRow,
): Promise<StagedUnit> {
  const opened = await openUnitRows(request.unit, request.format, {
    ...request.formatOptions,
    encoding: request.encoding,
    headerFits: (header) => headerFits(request, header),
  });
  const { rows } = opened;
  const readStarted = Date.now();
  // Whatever stops the unit before its rows are all read releases the input (and a workbook's temp copy).
  const { sourceFileId, picked, columns, read, fingerprintShape, fast, reading, mergedWhileReading } =
    await (async () => {
      // Signal columns first: a soft-delete flag no catalog field takes is the pipeline's, not an unknown column.
      const signals = signalsOf(request, rows.header);
      // The header says which version of the entry the file is in (a legacy layout): recorded from the start.
      const picked = pickedVersion(request, rows.header, signals);
      const id = await startSourceFile(session, { ...file, catalogVersion: picked.entry.version });
      return {
        sourceFileId: id,
        picked,
        ...(await stageRows(session, request, opened, picked, signals, id)),
      };
    })().catch((error: unknown) => {
      opened.abort();
      throw error;
    });
  return {
    sourceFileId,
    entry: picked.entry,
    header: rows.header,
    columns,
    read,
    sha256: await reading.sha256(),
    encoding: rows.encoding,
    blankLines: reading.rows.stats().blankLines,
    readStarted,
    ...(fingerprintShape !== undefined ? { fingerprintShape } : {}),
    ...(fast ? { fast } : {}),
    ...(mergedWhileReading ? { mergedWhileReading } : {}),
  };
}

function ledgerChannel(request: UnitRequest): DeliveryChannel {
  return { catalogCode: request.entry.code, providerCode: request.providerCode, level: request.level };
}

/**
 * A unit over its thresholds after some of its rows were merged while it was read: only rolling the unit back
 * takes them back, so it is read again with merging while reading off (a refused file is read twice).
 */
class ThresholdAfterEarlyMerge extends Error {
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
function changedSinceFound(name: string): RetryableError {
  return new RetryableError(
    'file-changed',
    `${name} changed while it was loading (its bytes differ from those found complete): still being written, ` +
      'it is read again on the next poll',
  );
}

/** The `source_files` row a unit is recorded under, loaded or failed. */
export function sourceFileRow(request: UnitRequest, startedAt: Date): SourceFileRow {
  return {
    runId: request.runId,
    unit: request.unit,
    format: request.format?.name ?? 'rows',
    catalogCode: request.entry.code,
    catalogVersion: request.entry.version,
    providerCode: request.providerCode,
    level: request.level,
    startedAt,
  };
}

/**
 * Records why a unit could not be loaded (after its transaction rolled back) and reports it as failed. An
 * infrastructure fault (database, network) is not the file's: it is thrown on, naming the file, and nothing
 * is recorded against the file, so the run's attempt ends and the file loads on the next one.
 */
export async function failedUnit(
  warehouse: Warehouse,
  file: SourceFileRow,
  error: unknown,
): Promise<UnitResult> {
  if (error instanceof InfrastructureFault) throw error;
  if (infrastructureFault(error)) {
    // The loader's connection is the warehouse's: a socket error here (EPIPE, ECONNRESET) is the database's.
    // Only a transport's own error (a unit streamed from a remote server) names the network.
    const side = error instanceof RetryableError ? 'network' : 'database';
    throw new InfrastructureFault(side, file.unit.name, error);
  }
  const failure = toUnitFailure(error);
  const sourceFileId = await recordFailedUnit(warehouse, file, failure);
  return {
    sourceFileId,
    name: file.unit.name,
    status: 'failed',
    counts: emptyCounts(),
    errorsByCode: {},
    blankLines: 0,
    encoding: undefined,
    error: { code: failure.code, message: failure.message },
    durationMs: Date.now() - file.startedAt.getTime(),
  };
}

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
function signalsOf(request: UnitRequest, header: readonly string[]): UnitSignals {
  return request.withdrawalList !== undefined
    ? listSignals(request.withdrawalList)
    : unitSignals(request.withdrawals, header, request.headerMap);
}

/** Whether a sheet's header is this unit's: it matches a version of the entry, withdrawal signal columns included. */
function headerFits(request: UnitRequest, header: readonly string[]): boolean {
  try {
    const signals = signalsOf(request, header);
    return pickedVersion(request, header, signals).match.problems.length === 0;
  } catch (error) {
    if (error instanceof UnitFailure) return false;
    throw error;
  }
}

/**
 * Checks the header's match to the entry version it picked and COPYs every row, staged, into the unit's
 * staging table. Returns the field of each column and the number of rows read.
 */
async function stageRows(
  session: UnitSession,
  request: UnitRequest,
  opened: OpenedUnit,
  { entry, match }: { entry: CatalogEntry; match: HeaderMatch },
  signals: UnitSignals,
  sourceFileId: number,
): Promise<{
  columns: (string | undefined)[];
  read: number;
  fingerprintShape?: string;
  fast?: FastRows;
  /** The unit as read: `opened`, or the same bytes opened again through a skim. */
  reading: OpenedUnit;
  mergedWhileReading?: number;
}> {
  const { rows } = opened;
  if (match.problems.length > 0) {
    const hint = await headerRowHint(rows, (cells) => headerFits(request, cells));
    throw new UnitFailure(
      match.problems[0]!.code,
      [...match.problems.map((problem) => problem.message), ...(hint ? [hint] : [])].join('；'),
    );
  }
  // Before the COPY starts: whatever compiling the stager throws, a connection left in COPY mode
  // could not roll back.
  const compiled: CompiledEntry = compileEntry(entry, request.validatorOptions, request.lookups);
  const fingerprints = await rowFingerprints(session, request, entry, match.columns, rows, sourceFileId);
  const stageRow = compileRowStager(
    compiled,
    match.columns,
    rows.header,
    request.unit.receivedAt,
    rows.serialToDate?.bind(rows),
    undefined,
    signals,
    fingerprints,
  );
  await createStageTable(session);
  // The stage table first: past the reopening, what fails is the loop below, which lets go of the unit again.
  const reading = fingerprints?.redelivery
    ? await skimmedAgain(request, opened, fingerprints.fingerprinter, fingerprints.redelivery)
    : opened;
  let copy = new CopyWriter(session.copyFrom(COPY_INTO_STAGE));
  const every = fingerprints?.redelivery ? 0 : mergeWhileReadingEvery(request, entry);
  const early =
    every > 0
      ? new EarlyMerges(
          session,
          { catalogCode: entry.code, catalogVersion: entry.version, level: request.level, sourceFileId },
          every,
        )
      : undefined;
  let read = 0;
  let mergedWhileReading = 0;
  try {
    for await (const batch of reading.rows.batches) {
      for (const row of batch) {
        const line = stageRow(row);
        if (line) await copy.write(line);
      }
      read += batch.length;
      request.onProgress?.(read + reading.skimmed().taken);
      if (early && batch.length > 0)
        copy = await early.afterBatch(copy, read, batch[batch.length - 1]!.rowNumber);
    }
    await copy.end();
    mergedWhileReading = (await early?.finish()) ?? 0;
  } catch (error) {
    copy.abort(error as Error);
    await early?.settled();
    if (reading !== opened) reading.abort();
    const declined = reading.skimmed().declined;
    if (declined) throw new FastPathUnusable(declined.message, true);
    throw early ? early.cause(error) : error;
  }
  read += reading.skimmed().taken;
  const redelivery = fingerprints?.redelivery;
  const shape = fingerprints ? { fingerprintShape: fingerprints.fingerprinter.shape } : {};
  if (!redelivery || redelivery.rows === 0)
    return { columns: match.columns, read, ...shape, reading, mergedWhileReading };
  const notTaken = await redelivery.expand(session, entry.code);
  if (redelivery.rows === 0) return { columns: match.columns, read, ...shape, reading };
  const fast = {
    rows: redelivery.rows,
    late: redelivery.lateRows,
    channelId: fingerprints.channelId!,
    notTaken,
  };
  return { columns: match.columns, read, ...shape, fast, reading };
}

/**
 * Rows between two early merges (merge-while-reading.ts), or 0: only for a unit whose merge decides nothing from the
 * whole file before it writes new records (withdrawal signals and lists, a full dump's completeness and a legacy
 * layout's comparison each need every row staged first), and not the fast path's (a re-delivery has few new keys).
 */
function mergeWhileReadingEvery(request: UnitRequest, entry: CatalogEntry): number {
  const eligible =
    request.withdrawals === undefined &&
    request.withdrawalList === undefined &&
    request.fullDump === undefined &&
    entry.legacyLayout === undefined;
  return eligible ? (request.mergeWhileReading ?? 0) : 0;
}

/**
 * A UTF-8 CSV unit the fast path may serve is opened again through a skim (csv-skim.ts): its records are offered
 * to the fast path as bytes, and only those it leaves are parsed. Not for a title row above the header (the skim
 * reads the header on the first line) or a retry after the skim gave up.
 */
async function skimmedAgain(
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
 * row staged). The entry's merge lock is taken before the cache is read and held to the merge: no other unit can
 * change the entry's records under the fast rows.
 */
async function rowFingerprints(
  session: UnitSession,
  request: UnitRequest,
  entry: CatalogEntry,
  columns: (string | undefined)[],
  rows: OpenedUnit['rows'],
  sourceFileId: number,
): Promise<(RowFingerprints & { channelId?: number }) | undefined> {
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
  await lockEntryForMerge(session, entry.code);
  const channelId = await usableCacheChannel(session, channel, fingerprinter.shape, sourceFileId);
  if (channelId === undefined) return { fingerprinter };
  const cache = await loadFingerprintCache(session, channelId);
  const received = todayInShanghai(request.unit.receivedAt);
  return { fingerprinter, redelivery: new FastRedelivery(cache, received, timelinessChecker()), channelId };
}

/** The header as matched: a pipeline's field mapping (source header → field code or title) applied. */
function mappedHeader(request: UnitRequest, header: readonly string[]): string[] {
  const headerMap = request.headerMap ?? {};
  return header.map((name) => headerMap[name] ?? name);
}
