import type { Encoding, FormatOptions, SourceUnit } from '../../connectors/contracts.ts';
import { InfrastructureFault } from '../../connectors/infrastructure-fault.ts';
import { type Limits, readLimits } from '../../connectors/limits.ts';
import { formatForFile } from '../../connectors/registry.ts';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { pendingTimelinessWarning } from '../calendar/timeliness.ts';
import type { CatalogEntry, ChannelLevel } from '../catalog/catalog-entry.ts';
import { type Catalog, CatalogError } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import type { Lookups } from '../normalize/derive-legacy-row.ts';
import type { ValidatorOptions } from '../validate/compile-validator.ts';
import { fullLineageForced } from '../warehouse/compact-unchanged-runs.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { interruptedByStop } from '../warehouse/interrupted-by-stop.ts';
import { mergeWhileReadingRows } from '../warehouse/merge-while-reading.ts';
import { addCounts, emptyCounts, type OutcomeCounts } from '../warehouse/outcome-counts.ts';
import { recordRunLookups } from '../warehouse/run-lookups-repository.ts';
import { finishRunIfRunning, type RunKind, type RunStatus, startRun } from '../warehouse/runs-repository.ts';
import type { ChunkHelpers } from './chunk-settings.ts';
import { failedUnit, UnitNotRead } from './failed-unit.ts';
import { fastRedeliveryOff } from './fast-redelivery.ts';
import type { FullDumpRule } from './full-dump-check.ts';
import { loadIsolated } from './isolated-unit.ts';
import type { UnitPhase, UnitResult } from './load-unit.ts';
import { objectionUpdatedWarning } from './provider-objections.ts';
import { readingFingerprint } from './reading-fingerprint.ts';
import type { Thresholds } from './reject-threshold.ts';
import { UnitFailure } from './unit-failure.ts';
import { olderVersionText } from './unit-header.ts';
import type { WithdrawalSignals } from './withdrawal-signals.ts';

export interface IngestRequest {
  /**
   * The units, in order. An async iterable (a transport's poll) is consumed lazily: the next unit is asked for
   * only once the one before has been loaded and `onUnitDone` returned, so one unit is fetched at a time.
   */
  units: Iterable<SourceUnit> | AsyncIterable<SourceUnit>;
  /** Catalog entry code or Chinese title. */
  catalog: string;
  providerCode: string;
  level: ChannelLevel;
  encoding: Encoding;
  formatOptions?: Omit<FormatOptions, 'encoding'>;
  kind?: RunKind;
  /** Where an `ingest` run came from, kept in its options (`direct-report`: the console's 数据直报 page). */
  origin?: string;
  validatorOptions?: ValidatorOptions;
  onUnitStart?: (unit: SourceUnit) => void;
  onProgress?: (unit: SourceUnit, rowsRead: number, phase?: UnitPhase) => void;
  /** After each unit (e.g. the transport moves it aside); awaited before the next unit starts. */
  onUnitDone?: (unit: SourceUnit, result: UnitResult) => Promise<void>;
  /**
   * A unit the platform could not read (failed-unit.ts UnitNotRead): not settled, nothing recorded; it stays where
   * it is for the next run. Told instead of `onUnitDone`.
   */
  onUnitNotRead?: (unit: SourceUnit) => void;
  /** Over these a file's rows are not applied and the run ends `failed-threshold`; none = no limit. */
  thresholds?: Thresholds;
  /** Pipeline runs: its name, partition day (backfill) and field mapping. */
  pipeline?: string;
  partitionDate?: string;
  /** The queued job running this run (a worker's). */
  jobId?: string;
  headerMap?: Readonly<Record<string, string>>;
  /** The entry version every unit is read by (a pipeline that names it); none = the header picks among versions. */
  catalogVersion?: number;
  /** A pipeline's integrator bookkeeping columns, read by no field (matchHeaders). */
  ignoreColumns?: readonly string[];
  /** A pipeline's tables for a legacy layout's `lookup` derivations. */
  lookups?: Lookups;
  /** What one unit may cost (heap, time, archive expansion); default the environment's (`readLimits`). */
  limits?: Limits;
  /** Aborted (SIGTERM): the unit being loaded finishes, the others wait for the next run. */
  signal?: AbortSignal;
  /**
   * For a source that stops itself on `signal` (a transport's poll: no new download after SIGTERM): whether it
   * ended with units left unread. The run then ends `interrupted`; without it (or false), a source that ended after
   * the stop had yielded every unit it had, and the run ends as its units did.
   */
  unitsLeft?: () => boolean;
  /**
   * Aborted when the run may no longer go on (its pipeline's lock was lost): no unit starts after it, and the run
   * ends `failed` with the abort's reason, which is thrown on (a retryable fault: the caller decides).
   */
  stop?: AbortSignal;
  /** Load content the sha256 ledger has seen (`ingest --force`): recorded as a forced reload. */
  force?: boolean;
  /** A pipeline's withdrawal signals (soft-delete flag, 当前状态 撤销). */
  withdrawals?: WithdrawalSignals;
  /** Which units are withdrawal lists (every row a withdrawal): the evidence their rows carry, else undefined. */
  withdrawalList?: (unit: SourceUnit) => string | undefined;
  /** A pipeline whose units are complete dumps. */
  fullDump?: FullDumpRule;
  /** Who helps with big files' chunks (a worker's job queue). */
  chunkHelpers?: ChunkHelpers;
  /**
   * What the source saw but could not load (a file name a drop refuses), read when the run ends: kept with the
   * run (its `error`, each line `⚠ …`) and in the summary. A warning never fails the run.
   */
  warnings?: () => readonly RunWarning[];
}

/** Something the operator must see in a run that is not a failure of it: a stable code and the text. */
export interface RunWarning {
  code: string;
  message: string;
}

export interface RunSummary {
  runId: number;
  status: RunStatus;
  counts: OutcomeCounts;
  errorsByCode: Record<string, number>;
  files: UnitResult[];
  /** The source's warnings (IngestRequest.warnings), when there are any. */
  warnings?: RunWarning[];
  /**
   * Files left where they were, with why: the run failed for them. Not read (the platform could not read one:
   * nothing recorded against it, read again by the next run), or loaded or failed but not settled (moved aside).
   */
  unsettled?: string[];
  /**
   * A run that failed as a whole rather than by its files (a drop directory that does not exist, an unknown
   * catalog entry, a server out of reach after the retries): its own error (pipelines/failed-attempts.ts).
   */
  error?: RunError;
}

/**
 * The error of a run that failed as a whole. `code`: an error code of src/report/error-codes.json
 * (`drop-directory-missing`, `catalog`) or the system's (`EACCES`, a SQLSTATE), else `internal-error`.
 * `infrastructure`: a fault of the database, the network or a remote server (connectors/infrastructure-fault.ts),
 * worth another try; otherwise a configuration error or a defect, which trying again cannot fix.
 */
export interface RunError {
  code: string;
  message: string;
  infrastructure: boolean;
}

/** One run over a list of units: each unit loads whole or not at all; the run records the totals. */
export async function ingestUnits(
  warehouse: Warehouse,
  catalog: Catalog,
  request: IngestRequest,
  logger: Logger,
): Promise<RunSummary> {
  // What reads the run's units: the ledger skips only bytes the channel's latest load read the same way.
  const reading = readingFingerprint(catalog, request);
  // The run and the lookup tables its files are read with, together: a notice keys its rejected rows with them.
  const runId = await warehouse.transaction(async (trx) => {
    const id = await startRun(
      trx,
      request.kind ?? 'ingest',
      {
        catalog: request.catalog,
        provider: request.providerCode,
        level: request.level,
        encoding: request.encoding,
        ...(request.origin ? { origin: request.origin } : {}),
        ...(Array.isArray(request.units)
          ? { files: request.units.map((unit: SourceUnit) => unit.name) }
          : {}),
        reading,
      },
      request.pipeline,
      { partitionDate: request.partitionDate, thresholds: request.thresholds, jobId: request.jobId },
    );
    if (request.lookups && Object.keys(request.lookups).length > 0)
      await recordRunLookups(trx, id, request.lookups);
    return id;
  });
  const log = logger.child({ runId });
  log.info(`run ${runId} started: catalog ${request.catalog}`);
  const files: UnitResult[] = [];
  let stoppedEarly = false;
  let broken: { error: unknown } | undefined;
  const settleFailures: string[] = [];
  // Units the platform could not read (UnitNotRead), left where they are: the run fails for them.
  const notRead: string[] = [];
  const settle = recordingSettleFailures(request.onUnitDone, settleFailures, log);
  try {
    for await (const unit of request.units) {
      if (request.stop?.aborted) break;
      if (request.signal?.aborted) {
        stoppedEarly = true;
        break;
      }
      request.onUnitStart?.(unit);
      const result = await loadOne(warehouse, catalog, request, runId, reading, unit).catch(
        (error: unknown) => {
          if (!(error instanceof UnitNotRead)) throw error;
          notRead.push(error.message);
          log.error(`file ${unit.name} not read: ${error.reason}`, { code: error.code });
          request.onUnitNotRead?.(unit);
          return undefined;
        },
      );
      if (!result) {
        if (request.stop?.aborted) break;
        continue;
      }
      files.push(result);
      await settle(unit, result);
      if (result.status === 'skipped') {
        log.info(
          `file ${unit.name} skipped: same content as source file ${result.sameContentAs?.sourceFileId}`,
          {
            sourceFileId: result.sourceFileId,
          },
        );
      } else if (result.status === 'loaded') {
        log.info(`file ${unit.name} loaded`, {
          sourceFileId: result.sourceFileId,
          counts: result.counts,
          stageMs: result.stageMs,
          ...(result.fastRows ? { fastRows: result.fastRows } : {}),
          ...(result.mergedWhileReading ? { mergedWhileReading: result.mergedWhileReading } : {}),
          digest: result.digest,
          digestV2: result.digestV2,
        });
        for (const update of result.objectionsUpdated ?? [])
          log.warn(objectionUpdatedWarning(update), {
            sourceFileId: result.sourceFileId,
            code: 'objection-record-updated',
            recordId: update.recordId,
            objectionId: update.objectionId,
            versionNo: update.versionNo,
          });
        if (result.olderVersion)
          log.warn(`file ${unit.name} ${olderVersionText(result.olderVersion)}`, {
            sourceFileId: result.sourceFileId,
            code: 'older-catalog-version',
          });
        if (result.counts.pending > 0)
          log.warn(pendingTimelinessWarning(result.counts.pending), {
            sourceFileId: result.sourceFileId,
            code: 'timeliness-pending',
          });
      } else {
        // The original error the provider's message leaves out (a defect, a crashed worker) is the operator's.
        log.error(`file ${unit.name} failed: ${result.error?.message}`, {
          sourceFileId: result.sourceFileId,
          code: result.error?.code,
          ...(result.operatorDetail ? { detail: result.operatorDetail } : {}),
        });
      }
      // Checked before the source is asked for its next unit: that may already download or query.
      if (request.stop?.aborted) break;
    }
    if (request.stop?.aborted) broken = { error: request.stop.reason };
    // A source may itself stop early when told to (no new download after SIGTERM): interrupted if it left units
    // unread. One that ran out (the stop came during its last unit) left nothing: the run is complete.
    if (request.signal?.aborted && request.unitsLeft?.()) stoppedEarly = true;
  } catch (error) {
    // The source broke off mid-run (a server gone), or the database failed under a unit (an InfrastructureFault
    // the loader threw on): what loaded stays, the run ends failed, the caller retries.
    broken = { error };
  }
  const counts = files.reduce((total, file) => addCounts(total, file.counts), emptyCounts());
  const errorsByCode: Record<string, number> = {};
  for (const file of files) {
    for (const [code, count] of Object.entries(file.errorsByCode))
      errorsByCode[code] = (errorsByCode[code] ?? 0) + count;
  }
  const failed = files.filter((file) => file.status === 'failed' || file.status === 'failed-threshold');
  // A file left where it was (not read, or not moved aside) needs the operator: the run failed, even if every row
  // loaded.
  const unsettled = [...notRead, ...settleFailures];
  const status = broken || unsettled.length > 0 ? 'failed' : runStatus(files, stoppedEarly);
  // The run's error is read by operators (`runs show --json`, the console's run page, alerts, the job's error): a
  // failure's original error follows the provider's words, its first line only (the log has the stack); masked
  // when stored (finishRun).
  const reasons = [...failed.map(failureReason), ...unsettled];
  if (status === 'interrupted') reasons.push(stopReason(request.signal?.reason));
  if (broken) {
    const message = broken.error instanceof Error ? broken.error.message : String(broken.error);
    // A fault thrown on by the loader names its side (database, network) and the file itself; so does a stop.
    const named = broken.error instanceof InfrastructureFault || broken.error === request.stop?.reason;
    reasons.push(named ? message : `transport: ${message}`);
  }
  const warnings = [...(request.warnings?.() ?? [])];
  const error = [...reasons, ...warnings.map((warning) => `⚠ ${warning.message}`)].join('\n') || undefined;
  const result = { status, counts, errorsByCode, ...(error ? { error } : {}) };
  // Stopped by a signal that closed the pool: the stop ends this run `interrupted` (with-warehouse.ts); ending it
  // here would fail on the closed pool, and say so with counts the rollback undid.
  if (interruptedByStop(warehouse)) {
    if (broken && typeof broken.error === 'object' && broken.error !== null)
      Object.assign(broken.error, { runId });
    throw broken?.error ?? new Error(`run ${runId} stopped: it is ended interrupted by the stop`);
  }
  if (!broken) {
    if (await finishRunIfRunning(warehouse, runId, result)) log.info(`run ${runId} ${status}`, { counts });
    else
      log.warn(`run ${runId} was ended by another process before it could be marked ${status}`, { counts });
    return {
      runId,
      status,
      counts,
      errorsByCode,
      files,
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(unsettled.length > 0 ? { unsettled } : {}),
    };
  }
  // The server may be restarting under this run: ending it waits for the server (finishRunIfRunning retries), and
  // what the caller gets is the fault that ended the run, never a failure to record it. A run that could not be
  // ended is ended by the caller (a pipeline's next attempt, the command's exit: with-warehouse.ts).
  await finishRunIfRunning(warehouse, runId, result).then(
    () => log.info(`run ${runId} ${status}`, { counts }),
    (finishError: unknown) =>
      // Not an error of its own: the fault is what the caller reports, and whoever ends this process's runs
      // (a stop's handler, the next attempt, the command's exit, the next command) ends this one.
      log.warn(
        `run ${runId} is left to be ended by this process's exit or the next command (${(finishError as Error).message})`,
        { counts },
      ),
  );
  // The run's id goes with the fault: `ingest --json`'s failure names the run it stored (exit-codes.ts).
  if (typeof broken.error === 'object' && broken.error !== null) Object.assign(broken.error, { runId });
  throw broken.error;
}

/** A failed file in the run's error: the provider's words, then the original error (operators'), if any. */
function failureReason(file: UnitResult): string {
  const detail = file.operatorDetail?.split('\n', 1)[0];
  return `${file.name}: ${file.error?.message}${detail ? ` (original error: ${detail})` : ''}`;
}

/** Why a run stopped before its last unit, as its stopper said (a signal, a cancelled job), for `runs show`. */
function stopReason(reason: unknown): string {
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return 'stopped before the last file: the files not read are left for the next run';
}

/** A file that failed outright outranks a threshold; a stop before the last unit is `interrupted`. */
function runStatus(files: UnitResult[], stoppedEarly: boolean): RunStatus {
  if (files.some((file) => file.status === 'failed')) return 'failed';
  if (files.some((file) => file.status === 'failed-threshold')) return 'failed-threshold';
  return stoppedEarly ? 'interrupted' : 'completed';
}

/**
 * `onUnitDone` that cannot stop the run: a unit that loaded (or failed) stays so when the transport cannot settle
 * it (move it aside); the failure is recorded for the run and the next unit starts.
 */
function recordingSettleFailures(
  onUnitDone: IngestRequest['onUnitDone'],
  failures: string[],
  log: Logger,
): (unit: SourceUnit, result: UnitResult) => Promise<void> {
  return async (unit, result) => {
    try {
      await onUnitDone?.(unit, result);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${unit.name}: ${result.status}, but the transport could not settle it: ${message}`);
      log.error(`file ${unit.name} could not be settled (moved aside): ${message}`);
    }
  };
}

async function loadOne(
  warehouse: Warehouse,
  catalog: Catalog,
  request: IngestRequest,
  runId: number,
  reading: string,
  unit: SourceUnit,
): Promise<UnitResult> {
  const format = formatForFile(unit.name);
  const file = {
    runId,
    unit,
    format: format?.name ?? 'unknown',
    catalogCode: request.catalog,
    catalogVersion: undefined,
    providerCode: request.providerCode,
    level: request.level,
    startedAt: new Date(),
  };
  if (!format && !unit.rows) {
    return failedUnit(
      warehouse,
      file,
      new UnitFailure('unsupported-format', unsupportedFormatText(unit.name)),
    );
  }
  let entry: CatalogEntry;
  try {
    entry = catalog.resolve(request.catalog, todayInShanghai(unit.receivedAt));
    if (request.catalogVersion !== undefined) entry = namedVersion(catalog, entry, request.catalogVersion);
  } catch (error) {
    return failedUnit(warehouse, file, error);
  }
  const withdrawalList = request.withdrawalList?.(unit);
  // Without a named version, the header may be in another version's layout (the 2016 双公示 one).
  const otherVersions =
    request.catalogVersion === undefined ? catalog.entries.filter((other) => other.code === entry.code) : [];
  return loadIsolated(
    warehouse,
    {
      runId,
      unit,
      format,
      encoding: request.encoding,
      ...(request.formatOptions ? { formatOptions: request.formatOptions } : {}),
      entry,
      providerCode: request.providerCode,
      level: request.level,
      ...(request.validatorOptions ? { validatorOptions: request.validatorOptions } : {}),
      ...(request.thresholds ? { thresholds: request.thresholds } : {}),
      ...(request.headerMap ? { headerMap: request.headerMap } : {}),
      otherVersions,
      ...(request.ignoreColumns ? { ignoreColumns: request.ignoreColumns } : {}),
      ...(request.lookups ? { lookups: request.lookups } : {}),
      ...(request.force ? { force: true } : {}),
      reading,
      ...(request.withdrawals ? { withdrawals: request.withdrawals } : {}),
      ...(withdrawalList !== undefined ? { withdrawalList } : {}),
      ...(request.fullDump ? { fullDump: request.fullDump } : {}),
      ...(request.chunkHelpers ? { chunkHelpers: request.chunkHelpers } : {}),
      // Read here, in the scheduling thread: a warm unit worker keeps the environment it started with.
      ...(fullLineageForced() ? { fullLineage: true } : {}),
      ...(fastRedeliveryOff() ? { fastRedelivery: false } : {}),
      mergeWhileReading: mergeWhileReadingRows(),
      onProgress: (rows, phase) => request.onProgress?.(unit, rows, phase),
    },
    request.limits ?? readLimits(),
  );
}

/** The version a pipeline names (`catalogVersion`), of the entry it loads. */
function namedVersion(catalog: Catalog, inForce: CatalogEntry, version: number): CatalogEntry {
  const named = catalog.entries.find((entry) => entry.code === inForce.code && entry.version === version);
  if (!named) {
    const known = catalog.entries
      .filter((entry) => entry.code === inForce.code)
      .map((entry) => `v${entry.version}`);
    throw new CatalogError(
      `catalog entry ${inForce.code} has no version ${version} (known: ${known.join(', ')}): correct the pipeline's catalogVersion`,
    );
  }
  return named;
}

/** Spreadsheets saved in a format that cannot be read, and what each is, for the provider's message. */
const UNREADABLE_SPREADSHEETS: Record<string, string> = {
  xls: 'Excel 97-2003 工作簿',
  xlsm: '启用宏的 Excel 工作簿',
  xlsb: 'Excel 二进制工作簿',
  et: 'WPS 表格文件',
  ods: 'OpenDocument 表格',
};

function unsupportedFormatText(name: string): string {
  const extension = name.includes('.') ? (name.split('.').pop() ?? '') : '';
  const spreadsheet = UNREADABLE_SPREADSHEETS[extension.toLowerCase()];
  if (spreadsheet) {
    return `${name} 是${spreadsheet}（.${extension}），无法直接读取：请在 Excel 或 WPS 中另存为 .xlsx 工作簿或 CSV（UTF-8）后重新报送`;
  }
  const supported = '支持 .csv .txt .tsv .xlsx，及装有这些文件的 .zip .gz';
  // Said the same to whoever reads it (the CLI's summary, the direct-report page, a review notice): no option.
  if (!extension)
    return `文件没有扩展名，无法判断文件类型：${name}（${supported}）。请按文件格式加上扩展名（如 .csv、.xlsx）后重新报送`;
  return `不支持的文件类型 .${extension}：${name}（${supported}）`;
}
