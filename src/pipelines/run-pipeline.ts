import type { SourceUnit } from '../../connectors/contracts.ts';
import { TRANSPORTS } from '../../connectors/registry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Logger } from '../log/logger.ts';
import { todayInShanghai } from '../normalize/parse-date.ts';
import { type IngestRequest, ingestUnits, type RunSummary } from '../run/ingest-files.ts';
import { emptyCounts } from '../run/outcome-counts.ts';
import type { Thresholds } from '../run/reject-threshold.ts';
import { finishRun, startRun } from '../run/run-ledger.ts';
import { isAlreadyLoaded } from '../run/source-file-ledger.ts';
import { readWatermark } from '../run/watermark-ledger.ts';
import { withRetry } from '../schedule/retry.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { withPipelineLock } from '../warehouse/pipeline-lock.ts';
import { PipelineError, type TransportRegistry } from './load-pipelines.ts';
import type { PipelineDefinition } from './pipeline-definition.ts';

export interface PipelineRunOptions {
  kind?: 'pipeline' | 'backfill';
  /** Backfill: the partition day (YYYY-MM-DD) the transport should deliver. */
  partition?: string;
  /** SIGTERM: no new unit starts; the one loading finishes. */
  signal?: AbortSignal;
  /** `--max-reject-rate` / `--max-rejected` given on the command line win over the pipeline's. */
  thresholds?: Thresholds;
  transports?: TransportRegistry;
  /** Where transports put downloads in progress. */
  stagingDir: string;
  onUnitStart?: IngestRequest['onUnitStart'];
  onProgress?: IngestRequest['onProgress'];
  /** Where the transport looked (its `describe()`), once polled: `run` names it when there was nothing. */
  onPolled?: (source: string) => void;
}

/** `locked`: another process (maybe on another machine) is running this pipeline; nothing was done. */
export type PipelineRunResult = { status: 'locked' } | { status: 'ran'; summary: RunSummary };

/**
 * One run of a pipeline: take its lock, poll the transport for complete unloaded units, load them in one run,
 * move each aside as it settles. Retryable failures (network, lock timeouts) are tried again with backoff;
 * a fatal one, or the last retryable one, is stored as a failed run with its reason.
 */
export async function runPipeline(
  warehouse: Warehouse,
  catalog: Catalog,
  pipeline: PipelineDefinition,
  options: PipelineRunOptions,
  logger: Logger,
): Promise<PipelineRunResult> {
  const log = logger.child({
    pipeline: pipeline.name,
    ...(options.partition ? { partition: options.partition } : {}),
  });
  const locked = await withPipelineLock(warehouse, pipeline.name, async () => {
    try {
      return await withRetry(
        pipeline.retry,
        (attempt) => attemptRun(warehouse, catalog, pipeline, options, log, attempt),
        {
          ...(options.signal ? { signal: options.signal } : {}),
          onRetry: (attempt, error, delayMs) =>
            log.warn(
              `attempt ${attempt} failed, retrying in ${Math.round(delayMs / 1000)} s: ${(error as Error).message}`,
            ),
        },
      );
    } catch (error) {
      return recordFailedRun(warehouse, pipeline, options, error, log);
    }
  });
  if (!locked.acquired) {
    log.warn(`pipeline ${pipeline.name} is already running in another process: skipped`);
    return { status: 'locked' };
  }
  return { status: 'ran', summary: locked.value };
}

async function attemptRun(
  warehouse: Warehouse,
  catalog: Catalog,
  pipeline: PipelineDefinition,
  options: PipelineRunOptions,
  log: Logger,
  attempt: number,
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
  const transport = factory.create(config as never, {
    stagingDir: options.stagingDir,
    env: process.env,
    readWatermark: (source) => readWatermark(warehouse, source),
  });
  try {
    const polled = transport
      .poll({
        ...(options.partition ? { partition: options.partition } : {}),
        alreadyLoaded: (sha256) =>
          isAlreadyLoaded(warehouse, sha256, {
            catalogCode: entry.code,
            providerCode: pipeline.provider,
            level: pipeline.level,
          }),
        ...(options.signal ? { signal: options.signal } : {}),
      })
      [Symbol.asyncIterator]();
    // The first unit is asked for before the run starts: a source that cannot be reached at all fails the
    // attempt (retried), not a run. The others are fetched one at a time as the run gets to them.
    const first = await polled.next();
    const source = transport.describe?.(options.partition);
    if (source) options.onPolled?.(source);
    log.info(
      `attempt ${attempt}: ${first.done ? 'nothing' : 'units'} to load${source ? ` in ${source}` : ''}`,
    );
    const summary = await ingestUnits(
      warehouse,
      catalog,
      {
        units: resumed(first, polled),
        catalog: pipeline.catalog,
        providerCode: pipeline.provider,
        level: pipeline.level,
        encoding: pipeline.encoding,
        kind: options.kind ?? 'pipeline',
        validatorOptions: { allowPilotCodes: pipeline.allowPilotCodes },
        thresholds: options.thresholds ?? pipeline.thresholds,
        pipeline: pipeline.name,
        ...(options.partition ? { partitionDate: options.partition } : {}),
        headerMap: pipeline.fieldMapping,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onUnitStart ? { onUnitStart: options.onUnitStart } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        onUnitDone: (unit, result) =>
          // A skipped unit's content is in the warehouse already: it goes where loaded files go.
          transport.settle(
            unit,
            result.status === 'loaded' || result.status === 'skipped' ? 'loaded' : 'failed',
          ),
      },
      log,
    );
    if (attempt > 1) await warehouse('runs').where({ id: summary.runId }).update({ attempts: attempt });
    return summary;
  } finally {
    await transport.close();
  }
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

/** A run that never got to its units (transport down, bad configuration): stored with the reason. */
async function recordFailedRun(
  warehouse: Warehouse,
  pipeline: PipelineDefinition,
  options: PipelineRunOptions,
  error: unknown,
  log: Logger,
): Promise<RunSummary> {
  const message = error instanceof Error ? error.message : String(error);
  const attempts = (error as { attempts?: number }).attempts ?? 1;
  const runId = await startRun(
    warehouse,
    options.kind ?? 'pipeline',
    { transport: pipeline.transport.type },
    pipeline.name,
    {
      partitionDate: options.partition,
      thresholds: options.thresholds ?? pipeline.thresholds,
    },
  );
  const counts = emptyCounts();
  await finishRun(warehouse, runId, { status: 'failed', counts, errorsByCode: {}, error: message });
  await warehouse('runs').where({ id: runId }).update({ attempts });
  log.error(`run ${runId} failed after ${attempts} attempt(s): ${message}`, { runId });
  return { runId, status: 'failed', counts, errorsByCode: {}, files: [] };
}
