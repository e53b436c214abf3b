import path from 'node:path';
import picomatch from 'picomatch';
import type { PollOptions, SourceUnit, Transport } from '../../connectors/contracts.ts';
import { TRANSPORTS } from '../../connectors/registry.ts';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { retryWithBackoff } from '../../connectors/transports/retry-with-backoff.ts';
import type { AlertSink } from '../alerts/alert-event.ts';
import { runEndedEvent } from '../alerts/alert-events.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import { recordRunFinished } from '../metrics/process-events.ts';
import { type IngestRequest, ingestUnits, type RunSummary, type RunWarning } from '../run/ingest-files.ts';
import { ledgerReadingOf } from '../run/reading-fingerprint.ts';
import type { Thresholds } from '../run/reject-threshold.ts';
import { watermarkStore } from '../run/watermark-ledger.ts';
import { type WithdrawalTable, withdrawalListText } from '../run/withdrawal-signals.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { interruptedByStop } from '../warehouse/interrupted-by-stop.ts';
import {
  type AttemptRunRow,
  findRun,
  lastRunId,
  RUN_ENDING_RETRY,
  setRunAttempts,
} from '../warehouse/runs-repository.ts';
import { serverGone, whileServerLives } from '../warehouse/server-gone.ts';
import { isAlreadyLoaded } from '../warehouse/source-files-repository.ts';
import {
  endFaultedRun,
  endLeftoverRuns,
  lockedMeanwhile,
  recordFailedRun,
  recordRunBeforeFirstFile,
  runNotRecorded,
} from './failed-attempts.ts';
import { PipelineError, type TransportRegistry } from './load-pipelines.ts';
import { partitionDay } from './partition-day.ts';
import type { PipelineDefinition } from './pipeline-definition.ts';
import { maskedPipelineNames, type PipelineNamesNow } from './pipeline-names-shown.ts';
import { withRetry } from './retry-run.ts';
import { LockTakenMeanwhile, RunLock } from './run-lock.ts';

export interface PipelineRunOptions {
  kind?: 'pipeline' | 'backfill';
  /** Backfill: the partition day (YYYY-MM-DD) the transport should deliver, and only that day's units. */
  partition?: string;
  /** When the run was triggered (default: now); its partition day is the pipeline's `partition` from it. */
  triggeredAt?: Date;
  /** SIGTERM: no new unit starts; the one loading finishes. */
  signal?: AbortSignal;
  /** The queued job running this (worker): stored on the run, so `runs show` and `jobs show` name each other. */
  jobId?: string;
  /** `--max-reject-rate` / `--max-rejected` given on the command line win over the pipeline's. */
  thresholds?: Thresholds;
  /** A worker's job queue, asked for help with big files' chunks. */
  chunkHelpers?: IngestRequest['chunkHelpers'];
  transports?: TransportRegistry;
  /** Where transports put downloads in progress. */
  stagingDir: string;
  onUnitStart?: IngestRequest['onUnitStart'];
  onProgress?: IngestRequest['onProgress'];
  /** Where the transport looked (its `describe()`), once polled: `run` names it when there was nothing. */
  onPolled?: (source: string) => void;
  /** Told when the run ends `failed` or `failed-threshold` (alerts.json); never fails the run. */
  alerts?: AlertSink;
  /** How its alert and its line of a locked pipeline name it (as `pipelines list` does: `…~1`); default masked only. */
  pipelineNames?: PipelineNamesNow;
}

/**
 * `locked`: another process (maybe on another machine) is running this pipeline: nothing was done, or, when it
 * took the lock after this run's session lost it (`meanwhile`), the attempts' runs are stored `failed` with what
 * they loaded and no more is done.
 */
export type PipelineRunResult =
  | { status: 'locked'; meanwhile?: LockedMeanwhile }
  | { status: 'ran'; summary: RunSummary };

/** A run whose lock another process took after this run's session lost it: what its attempts had done by then. */
export interface LockedMeanwhile {
  /** The attempt that found the lock taken. */
  attempt: number;
  /** The runs this run's attempts made, oldest first, each with the files it loaded; undefined: not readable. */
  runs: AttemptRunRow[] | undefined;
}

/**
 * One run of a pipeline: take its lock, poll the transport for complete unloaded units, load them in one run,
 * move each aside as it settles. Every run has a partition day (a backfill's, else the pipeline's `partition`
 * from the trigger day), stored on the run and given to the transport for `{date}`.
 * An infrastructure fault (database, network, remote server; connectors/infrastructure-fault.ts) ends the
 * attempt without blaming the file being loaded, and the attempt is made again after a pause, per the
 * pipeline's `retry`: the ledger skips what already loaded. Each attempt works under the lock, taken again when
 * a restart lost it (run-lock.ts): a run that lost it with nothing left to load ends as its files did, with a
 * warning. Any other error, or the fault of the last attempt, is stored as a failed run with its reason; the files
 * not loaded stay for the next run.
 */
export async function runPipeline(
  warehouse: Warehouse,
  catalog: Catalog,
  pipeline: PipelineDefinition,
  options: PipelineRunOptions,
  logger: Logger,
): Promise<PipelineRunResult> {
  const day = options.partition ?? partitionDay(pipeline.partition, options.triggeredAt ?? new Date());
  const log = logger.child({ pipeline: pipeline.name, partition: day });
  const started = Date.now();
  const lock = await RunLock.take(warehouse, pipeline.name);
  if (!lock) {
    // Named as the listings name it (`…~2`: two pipelines masking alike not told apart in the log otherwise).
    log.warn(
      `pipeline ${await shownName(options, pipeline.name)} is already running in another process: skipped`,
    );
    return { status: 'locked' };
  }
  let ended: RunSummary | LockedMeanwhile;
  try {
    ended = await attemptsUnderLock(warehouse, catalog, pipeline, { ...options, day }, log, lock);
  } finally {
    await lock.release();
  }
  if (!('runId' in ended)) return { status: 'locked', meanwhile: ended };
  const summary = ended;
  recordRunFinished(options.kind ?? 'pipeline', summary.status, (Date.now() - started) / 1000);
  if (options.alerts && (summary.status === 'failed' || summary.status === 'failed-threshold')) {
    const event = runEndedEvent({
      pipeline: pipeline.name,
      shown: await shownName(options, pipeline.name),
      runId: summary.runId,
      status: summary.status,
      partition: day,
      counts: summary.counts,
      error: summary.status === 'failed' ? await runError(warehouse, summary.runId) : undefined,
    });
    if (event) await options.alerts.alert(event);
  }
  return { status: 'ran', summary };
}

/** The pipeline's name as the listings show it (options.pipelineNames); a listing that cannot be read: masked only. */
async function shownName(options: PipelineRunOptions, name: string): Promise<string> {
  return (await (options.pipelineNames ?? maskedPipelineNames)().catch(() => maskPersonalText))(name);
}

/**
 * The attempts of a run, each under the pipeline's lock (run-lock.ts); when another process took the lock after
 * this run's session lost it, what the attempts had done by then. Before each retry and at the end, a run an
 * attempt left `running` (the server was still down when the attempt tried to end it) ends `failed` with that
 * attempt's fault and what it loaded.
 */
async function attemptsUnderLock(
  warehouse: Warehouse,
  catalog: Catalog,
  pipeline: PipelineDefinition,
  options: PipelineRunOptions & { day: string },
  log: Logger,
  lock: RunLock,
): Promise<RunSummary | LockedMeanwhile> {
  // The lock is held: this pipeline's runs by this process after this one are this run's attempts.
  const runsBefore = await lastRunId(warehouse);
  // The fault of the last attempt that worked, for a run it may have left `running`.
  let fault: unknown;
  let attempts = 1;
  let summary: RunSummary;
  // An embedded server that ended under the command (its postmaster killed) never comes back by itself: an attempt
  // failing then is the last, with no pause (server-gone.ts).
  const serverEnded = new AbortController();
  try {
    summary = await withRetry(
      pipeline.retry,
      async (attempt) => {
        attempts = attempt;
        try {
          if (fault !== undefined) await endLeftoverRuns(warehouse, pipeline.name, runsBefore, fault);
          fault = undefined;
          const lockLost = await lock.forAttempt();
          return await attemptRun(warehouse, catalog, pipeline, options, log, attempt, lockLost, lock).catch(
            (error: unknown) => {
              fault = error;
              throw error;
            },
          );
        } catch (error) {
          if (await serverGone(warehouse)) serverEnded.abort();
          throw error;
        }
      },
      {
        signal: options.signal ? AbortSignal.any([options.signal, serverEnded.signal]) : serverEnded.signal,
        onRetry: (attempt, error, delayMs) =>
          log.warn(
            `attempt ${attempt} failed, retrying in ${Math.round(delayMs / 1000)} s: ${(error as Error).message}`,
          ),
      },
    );
  } catch (error) {
    // A signal's stop closed the pool and ends this run's runs `interrupted` itself (interrupted-by-stop.ts): none
    // is failed, recorded or said stale here, where every statement would fail on the closed pool.
    if (interruptedByStop(warehouse)) throw error;
    // Nothing is stored on an embedded server that ended under the command: the command starts it again as it exits
    // and stores this process's runs `failed` there with this error (src/cli/with-warehouse.ts), which names the
    // attempt's run when it had one (`runId`, set by the loader).
    if (serverEnded.signal.aborted || (await serverGone(warehouse))) {
      log.error(
        `attempt ${attempts} failed and the embedded PostgreSQL ended under this command: no further attempt, ` +
          `the run is stored failed as the command exits: ${(error as Error).message}`,
      );
      throw error;
    }
    await endLeftoverRuns(warehouse, pipeline.name, runsBefore, fault ?? error).catch((endError: unknown) =>
      log.error(`runs of this run left running could not be marked failed: ${(endError as Error).message}`),
    );
    if (error instanceof LockTakenMeanwhile) {
      log.warn(`${error.message}: no further attempt`);
      return lockedMeanwhile(warehouse, pipeline.name, runsBefore, error, log);
    }
    // Stopped (SIGTERM/SIGINT) before the attempt got to a unit, e.g. while the transport waited for a file's size
    // to settle: the poll's abort is no failure. The run ends `interrupted`, as one stopped between two files (exit
    // 0, no alert). An attempt that had started its run already ended it (ingest-files.ts, endFaultedRun).
    if (options.signal?.aborted && (error as { runId?: number }).runId === undefined)
      return recordInterruptedRun(warehouse, pipeline, options, error, log);
    return recordFailedRun(warehouse, pipeline, options, error, log);
  }
  // Counted after the attempts, not in one: its write failing is no fault of the run's files, to be tried again.
  if (attempts > 1) await countAttempts(warehouse, summary, attempts, log);
  return summary;
}

/**
 * A run that ended in a later attempt, its attempts counted: the server restarting then is waited out as the run's
 * end is (RUN_ENDING_RETRY), an embedded server that ended under the command not at all. Out of reach after that,
 * the run keeps the end it has stored (completed, its files loaded) and the error names it (runNotRecorded: `run
 * --json` says what `runs show` says of it may be stale), rather than another attempt, or a failed run of its own,
 * for a run that loaded.
 */
async function countAttempts(
  warehouse: Warehouse,
  summary: RunSummary,
  attempts: number,
  log: Logger,
): Promise<void> {
  try {
    await retryWithBackoff(
      RUN_ENDING_RETRY,
      whileServerLives(warehouse, () => setRunAttempts(warehouse, summary.runId, attempts)),
    );
  } catch (error) {
    // A signal's stop closed the pool: the run's end is the stop's (interrupted-by-stop.ts), nothing is stale here.
    if (interruptedByStop(warehouse)) throw error;
    log.error(
      `run ${summary.runId} ended ${summary.status} after ${attempts} attempts, but its attempt count could not be stored: ${(error as Error).message}`,
      { runId: summary.runId },
    );
    throw runNotRecorded(error, summary.runId);
  }
}

/** A run stopped before its first unit: stored `interrupted`, with why (the stopper's words) and the attempts. */
async function recordInterruptedRun(
  warehouse: Warehouse,
  pipeline: PipelineDefinition,
  options: PipelineRunOptions & { day: string },
  error: unknown,
  log: Logger,
): Promise<RunSummary> {
  const reason = options.signal?.reason;
  const stopped =
    typeof reason === 'string'
      ? reason
      : reason instanceof Error && reason.name !== 'AbortError'
        ? reason.message
        : 'stopped before the first file: the files not read are left for the next run';
  // A fault the attempt was waiting out when the stop came (a retry's pause) is said too: it is what went wrong.
  const fault = error instanceof Error && error.name !== 'AbortError' ? error.message : undefined;
  const message = fault ? `${stopped} (before that: ${fault})` : stopped;
  const { attempts = 1 } = error as { attempts?: number };
  const summary = await recordRunBeforeFirstFile(
    warehouse,
    pipeline,
    options,
    'interrupted',
    message,
    attempts,
  );
  log.warn(`run ${summary.runId} interrupted before its first file: ${message}`, { runId: summary.runId });
  return summary;
}

/** The stored reason of a failed run (already masked by finishRun), for its alert. */
async function runError(warehouse: Warehouse, runId: number): Promise<string | undefined> {
  const run = await findRun(warehouse, runId).catch(() => undefined);
  return run?.error ?? undefined;
}

async function attemptRun(
  warehouse: Warehouse,
  catalog: Catalog,
  pipeline: PipelineDefinition,
  options: PipelineRunOptions & { day: string },
  log: Logger,
  attempt: number,
  /** Aborted when the pipeline's lock is lost: no unit starts after it (run-lock.ts, unitsUnderLock). */
  lockLost: AbortSignal,
  lock: RunLock,
): Promise<RunSummary> {
  const transports = options.transports ?? TRANSPORTS;
  const factory = transports[pipeline.transport.type];
  if (!factory) {
    throw new PipelineError([
      {
        file: pipeline.file,
        path: '/transport/type',
        message: `transport type "${pipeline.transport.type}" is not registered`,
      },
    ]);
  }
  const entry = catalog.resolve(pipeline.catalog, todayInShanghai(new Date()));
  const { type: _type, ...config } = pipeline.transport;
  // What the transport saw but could not load (a refused file name): logged, and kept with this attempt's run.
  const warnings: RunWarning[] = [];
  const context = {
    stagingDir: options.stagingDir,
    env: process.env,
    watermarks: watermarkStore(warehouse),
    pipeline: pipeline.name,
    warn: (message: string, code?: string) => {
      const warning = { code: code ?? 'transport-warning', message };
      // Said once for the run: a source polled again (whenLockLost, once the lock was lost) repeats what it saw.
      if (warnings.some((said) => said.code === warning.code && said.message === message)) return;
      warnings.push(warning);
      log.warn(message, code ? { code } : {});
    },
    notice: (message: string) => log.info(message),
  };
  const transport = factory.create(config as never, context);
  const lists = withdrawalLists(
    pipeline,
    (listConfig) => factory.create(listConfig as never, context),
    context.warn,
  );
  // How the run reads its units: the transport's pre-check of the ledger compares what the run will store.
  const reading = {
    catalog: pipeline.catalog,
    encoding: pipeline.encoding,
    formatOptions: readOptions(pipeline),
    validatorOptions: { allowPilotCodes: pipeline.allowPilotCodes },
    headerMap: pipeline.fieldMapping,
    ...(pipeline.withdrawals ? { withdrawals: pipeline.withdrawals } : {}),
    ...(pipeline.ignoreColumns ? { ignoreColumns: pipeline.ignoreColumns } : {}),
    ...(pipeline.lookups ? { lookups: pipeline.lookups } : {}),
    ...(pipeline.catalogVersion !== undefined ? { catalogVersion: pipeline.catalogVersion } : {}),
  };
  const ledgerReading = ledgerReadingOf(catalog, reading);
  // The stop as the transport sees it: whether the poll ended for it with units left (interrupted) or ran out.
  const stop = options.signal ? watchedStop(options.signal) : undefined;
  try {
    const pollOptions = {
      ...(options.partition ? { partition: options.partition } : {}),
      partitionDay: options.day,
      alreadyLoaded: (sha256: string) =>
        isAlreadyLoaded(
          warehouse,
          sha256,
          { catalogCode: entry.code, providerCode: pipeline.provider, level: pipeline.level },
          ledgerReading,
        ),
      ...(stop ? { signal: stop.signal } : {}),
    };
    const polled = transport.poll(pollOptions)[Symbol.asyncIterator]();
    // The first unit is asked for before the run starts: a source that cannot be reached at all fails the
    // attempt (retried), not a run. The others are fetched one at a time as the run gets to them.
    const first = await polled.next();
    const source = transport.describe?.(options.day);
    if (source) options.onPolled?.(source);
    log.info(
      `attempt ${attempt}: ${first.done ? 'nothing' : 'units'} to load${source ? ` in ${source}` : ''}`,
    );
    const lastRunBefore = await lastRunId(warehouse);
    lockLost.throwIfAborted(); // no run is started without the lock
    // The run's stop: aborted (with the lock's loss, or who holds the lock now) when the lock was lost and units may
    // be left. Nothing else stops the run: a lock lost after the last unit leaves it its files' outcome.
    const stopRun = new AbortController();
    const afterLockLost = async (): Promise<void> => {
      const stopped = await whenLockLost(warehouse, lockLost, lock, options, log, async () => {
        // A poll of its own, under the lock taken again; the run's stop as it is (not watchedStop's): a stop
        // during this look is no sign of units left unread.
        const { signal: _watched, ...unwatched } = pollOptions;
        const lookOptions = { ...unwatched, ...(options.signal ? { signal: options.signal } : {}) };
        const again = lists.after(transport.poll(lookOptions), lookOptions)[Symbol.asyncIterator]();
        try {
          return !(await again.next()).done;
        } finally {
          await again.return?.();
        }
      });
      if (stopped) stopRun.abort(stopped);
      else context.warn(lockLostWarning(pipeline.name, lockLost.reason), 'pipeline-lock-lost');
    };
    const summary = await ingestUnits(
      warehouse,
      catalog,
      {
        // A withdrawal table's batches after the data's: a record delivered and withdrawn in one run is withdrawn.
        units: unitsUnderLock(lists.after(resumed(first, polled), pollOptions), lockLost, afterLockLost),
        ...reading,
        providerCode: pipeline.provider,
        level: pipeline.level,
        kind: options.kind ?? 'pipeline',
        thresholds: options.thresholds ?? pipeline.thresholds,
        pipeline: pipeline.name,
        partitionDate: options.day,
        ...(options.jobId ? { jobId: options.jobId } : {}),
        withdrawalList: lists.evidence,
        ...(pipeline.fullDump ? { fullDump: pipeline.fullDump } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(stop ? { unitsLeft: stop.lookedAfterStop } : {}),
        stop: stopRun.signal,
        ...(options.chunkHelpers ? { chunkHelpers: options.chunkHelpers } : {}),
        ...(options.onUnitStart ? { onUnitStart: options.onUnitStart } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        warnings: () => warnings,
        onUnitDone: (unit, result) => {
          // A skipped unit's content is in the warehouse already: it goes where loaded files go.
          const outcome = result.status === 'loaded' || result.status === 'skipped' ? 'loaded' : 'failed';
          lists.settled(unit, outcome);
          return lists.transportOf(unit, transport).settle(unit, outcome);
        },
        // Not read by the platform (its permission): not settled, so it stays where it is for the next run; and
        // no withdrawal is read after a unit of data left unread.
        onUnitNotRead: (unit) => lists.settled(unit, 'failed'),
      },
      log,
    ).catch(async (error: unknown) => {
      throw await endFaultedRun(warehouse, pipeline.name, lastRunBefore, attempt, error, log);
    });
    return summary;
  } finally {
    await transport.close();
    await lists.close();
  }
}

/**
 * The run's units, each asked of the source only while the pipeline's lock is held. Once it is lost (looked at
 * before the source is asked for its next unit: that may already download or query), the poll made under the
 * lost lock is closed and asked nothing more, and `afterLoss` (whenLockLost) settles whether the run stops or ends
 * here with the units it loaded.
 */
async function* unitsUnderLock(
  units: AsyncIterable<SourceUnit>,
  lockLost: AbortSignal,
  afterLoss: () => Promise<void>,
): AsyncGenerator<SourceUnit> {
  const source = units[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (lockLost.aborted) {
        await source.return?.();
        await afterLoss();
        return;
      }
      const next = await source.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await source.return?.();
  }
}

/**
 * The pipeline's lock was lost while the run loaded (every unit it took has ended: committed, or rolled back as
 * failed). Units are loaded whole by sessions of their own, so what committed stays and is this run's work; what
 * the run does not know is whether units are left. The lock is taken again (run-lock.ts; at once, or waiting out a
 * restarting server as ending a run does, not an embedded server that ended under the command) and the source
 * polled afresh under it. Nothing left: undefined, and the run ends as its units did, the loss a warning. Units
 * left, a stop (SIGTERM), or no answer: the loss, for which the run stops as before (the next attempt loads them);
 * another process holding the lock by then: LockTakenMeanwhile.
 */
async function whenLockLost(
  warehouse: Warehouse,
  lockLost: AbortSignal,
  lock: RunLock,
  options: PipelineRunOptions,
  log: Logger,
  unitsLeft: () => Promise<boolean>,
): Promise<unknown> {
  const loss: unknown = lockLost.reason;
  if (options.signal?.aborted) return loss;
  try {
    const left = await retryWithBackoff(
      RUN_ENDING_RETRY,
      whileServerLives(warehouse, async () => {
        await lock.forAttempt();
        return unitsLeft();
      }),
      options.signal ? { signal: options.signal } : {},
    );
    // A stop during the look may have ended the poll early: units may be left.
    if (options.signal?.aborted) return loss;
    if (left)
      log.warn('the lock was taken again and units are left: this attempt stops, the next loads them');
    return left ? loss : undefined;
  } catch (error) {
    if (error instanceof LockTakenMeanwhile) return error;
    log.warn(`the lock was lost and units left could not be looked for: ${(error as Error).message}`);
    return loss;
  }
}

/** The warning of a run whose lock was lost after its last unit started, once nothing is found left to load. */
function lockLostWarning(pipeline: string, loss: unknown): string {
  const cause = loss instanceof Error && loss.cause instanceof Error ? loss.cause.message : String(loss);
  return (
    `the database session holding pipeline ${pipeline}'s lock ended while the run's last file loaded or just ` +
    `after (${cause}); the lock was taken again and nothing was left to load: the run ends as its files did`
  );
}

/**
 * The run's stop signal as a transport's poll gets it, noting whether the transport looked at it (read `aborted`)
 * once the run was stopped. A transport that stops itself checks the signal before each unit it has not fetched
 * yet, and ends (connectors/contracts.ts PollOptions.signal; the file drops do): a poll that looked after the stop
 * and then ended left units for the next run, and the run ends `interrupted`; one that ended without looking ran
 * out of units (the stop came during its last one), and the run ends as its units did.
 */
function watchedStop(runSignal: AbortSignal): { signal: AbortSignal; lookedAfterStop: () => boolean } {
  const signal = AbortSignal.any([runSignal]);
  let looked = false;
  Object.defineProperty(signal, 'aborted', {
    get: () => {
      if (runSignal.aborted) looked = true;
      return runSignal.aborted;
    },
  });
  return { signal, lookedAfterStop: () => looked };
}

/** A pipeline's withdrawal lists: files matching its `withdrawals.file` pattern, batches of its withdrawal table. */
interface WithdrawalLists {
  /**
   * The data units, then the withdrawal table's batches (none without a table, and none in a run where a data
   * unit failed: a withdrawal must not come before the record it withdraws, left unread for the next run).
   */
  after(units: AsyncIterable<SourceUnit>, poll: PollOptions): AsyncIterable<SourceUnit>;
  /** A unit's outcome, as the run settles it. */
  settled(unit: SourceUnit, outcome: 'loaded' | 'failed'): void;
  /** The evidence a withdrawal list's rows carry (`撤销清单`), or undefined for a unit of data. */
  evidence(unit: SourceUnit): string | undefined;
  /** The transport a unit came from, to settle it. */
  transportOf(unit: SourceUnit, dataTransport: Transport): Transport;
  close(): Promise<void>;
}

function withdrawalLists(
  pipeline: PipelineDefinition,
  createTransport: (config: Record<string, unknown>) => Transport,
  warn: (message: string, code: string) => void,
): WithdrawalLists {
  const { file, table } = pipeline.withdrawals ?? {};
  const matchesFile = file ? picomatch(file.pattern, { nocase: true, dot: false }) : undefined;
  const tableTransport = table ? createTransport(withdrawalTableConfig(pipeline, table)) : undefined;
  const tableUnits = new WeakSet<SourceUnit>();
  let dataFailed = false;
  return {
    async *after(units, poll) {
      yield* units;
      if (!tableTransport || !table) return;
      if (dataFailed) {
        warn(
          `前置库撤销表 ${table.table} 本次未读取：数据表有一批未能入库，其后的数据留待下次运行；撤销请求随之在下次运行读取，` +
            '以免撤销先于被撤销的记录到达 (the withdrawal table is read in the next run, after the data left unread)',
          'table-rows-left',
        );
        return;
      }
      for await (const unit of tableTransport.poll(poll)) {
        tableUnits.add(unit);
        yield unit;
      }
    },
    evidence(unit) {
      if (table && tableUnits.has(unit)) return withdrawalListText.table(table.table);
      if (matchesFile?.(path.basename(unit.name))) return withdrawalListText.file;
      return undefined;
    },
    settled(unit, outcome) {
      if (outcome === 'failed' && !tableUnits.has(unit)) dataFailed = true;
    },
    transportOf: (unit, dataTransport) =>
      tableTransport && tableUnits.has(unit) ? tableTransport : dataTransport,
    close: async () => tableTransport?.close(),
  };
}

/** The pipeline's table transport with the withdrawal table's table, columns, cursor and watermark. */
function withdrawalTableConfig(
  pipeline: PipelineDefinition,
  table: WithdrawalTable,
): Record<string, unknown> {
  const { type: _type, columns: _columns, watermark: _watermark, ...shared } = pipeline.transport;
  return {
    ...shared,
    table: table.table,
    ...(table.columns ? { columns: table.columns } : {}),
    ...(table.cursor ? { cursor: table.cursor } : {}),
    ...(table.watermark ? { watermark: table.watermark } : {}),
  };
}

/** The pipeline's `delimiter`, `sheet` and `headerRow`, for the format of each unit (its encoding goes apart). */
function readOptions({ delimiter, sheet, headerRow }: PipelineDefinition): IngestRequest['formatOptions'] {
  return {
    ...(delimiter === undefined ? {} : { delimiter }),
    ...(sheet === undefined ? {} : { sheet }),
    ...(headerRow === undefined ? {} : { headerRow }),
  };
}

/** The poll again from its first result: the rest is pulled only as the run asks for it. */
async function* resumed(
  first: IteratorResult<SourceUnit>,
  rest: AsyncIterator<SourceUnit>,
): AsyncGenerator<SourceUnit> {
  if (first.done) return;
  try {
    yield first.value;
    yield* { [Symbol.asyncIterator]: () => rest };
  } finally {
    await rest.return?.(); // a stop before the first unit still lets the poll clean up
  }
}
