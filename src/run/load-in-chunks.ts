import { setTimeout as sleep } from 'node:timers/promises';
import { type CsvChunkPlan, planCsvChunks } from '../../connectors/formats/csv-chunks.ts';
import type { Limits } from '../../connectors/limits.ts';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import {
  abandonStaleChunkedLoads,
  type ChunkedLoad,
  chunkStatuses,
  createChunkedLoad,
  finishChunkedLoad,
  stageFromChunks,
} from '../warehouse/chunked-loads-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { startSourceFile } from '../warehouse/source-files-repository.ts';
import type { ChunkHelpers } from './chunk-settings.ts';
import { type ChunkWork, stageNextChunk } from './chunk-stager.ts';
import { failedUnit, sourceFileRow } from './failed-unit.ts';
import { loadStaged } from './load-staged.ts';
import type { UnitRequest, UnitResult } from './load-unit.ts';
import { UnitFailure } from './unit-failure.ts';
import { pickedVersion } from './unit-header.ts';
import { unitSignals, unitWithdrawals } from './withdrawal-signals.ts';

/** How often the coordinator looks whether chunks other workers hold are staged. */
const POLL_MS = 100;

/**
 * Loads a big CSV file in chunks (issue #19): one pass plans chunks at record boundaries (connectors/formats/
 * csv-chunks.ts), other workers are asked to help, and this worker stages chunks too until none is pending —
 * so the file loads even when no other worker comes. When every chunk is staged, this worker merges the file
 * once, in the same transaction and with the same code as a single-worker load (loadStaged): the ledger, the
 * thresholds over the whole file, duplicates across chunks, versions, lineage in row order.
 *
 * Returns undefined for a file it does not split — not a CSV file on this machine, not bigger than `chunkBytes`,
 * UTF-16, a header the entry does not accept, a file the reader refuses — which the caller loads whole (and so fails
 * exactly as it would have, had chunks never been tried).
 */
export async function loadInChunks(
  warehouse: Warehouse,
  request: UnitRequest,
  limits: Limits,
  chunkBytes: number,
  helpers?: ChunkHelpers,
): Promise<UnitResult | undefined> {
  const { unit } = request;
  const path = unit.locator?.kind === 'file' ? unit.locator.path : undefined;
  if (!path || request.format?.name !== 'csv' || unit.rows || unit.beforeCommit) return undefined;
  // A withdrawal list (撤销清单) is read by its own rules and is small: it loads whole.
  if (request.withdrawalList !== undefined) return undefined;
  if (unit.sizeBytes !== undefined && unit.sizeBytes <= chunkBytes) return undefined;
  const started = new Date();
  const formatOptions = { ...request.formatOptions, encoding: request.encoding, limits };
  const plan = await planCsvChunks(path, formatOptions, chunkBytes).catch(() => undefined);
  if (!plan) return undefined;
  const picked = headerMatch(request, plan);
  if (!picked) return undefined;
  const withdrawals = unitWithdrawals(
    request.withdrawals,
    picked.entry,
    plan.layout.header,
    picked.match.columns,
  );
  await abandonStaleChunkedLoads(warehouse, 2 * limits.unitTimeoutSeconds);
  const work: ChunkWork = {
    unitName: unit.name,
    path,
    receivedAt: unit.receivedAt.toISOString(),
    layout: plan.layout,
    entry: picked.entry,
    columns: picked.match.columns.map((column) => column ?? null),
    ...(request.headerMap ? { headerMap: request.headerMap } : {}),
    ...(withdrawals ? { withdrawals } : {}),
    ...(request.lookups ? { lookups: request.lookups } : {}),
    ...(request.validatorOptions?.allowPilotCodes !== undefined
      ? { allowPilotCodes: request.validatorOptions.allowPilotCodes }
      : {}),
    today: (request.validatorOptions?.today ?? todayInShanghai)(),
    limits: {
      maxLineBytes: limits.maxLineBytes,
      maxCellsPerRow: limits.maxCellsPerRow,
      maxCellBytes: limits.maxCellBytes,
    },
  };
  const load = await createChunkedLoad(warehouse, {
    runId: request.runId,
    unitName: unit.name,
    path,
    sizeBytes: plan.sizeBytes,
    sha256: plan.sha256,
    request: work,
    chunks: plan.chunks,
  });
  let state: 'merged' | 'failed' = 'failed';
  try {
    await helpers?.request(load.id, plan.chunks.length - 1);
    const staged = await stageAll(warehouse, load, work, request);
    if ('failure' in staged) return failedUnit(warehouse, sourceFileRow(request, started), staged.failure);
    const result = await loadStaged(warehouse, request, async (session, file) => {
      const sourceFileId = await startSourceFile(session, { ...file, catalogVersion: picked.entry.version });
      const readStarted = Date.now();
      const read = await stageFromChunks(session, load);
      if (read !== staged.rows) {
        throw new Error(
          `${unit.name}: ${read} rows in the shared staging table, ${staged.rows} staged (the table is unlogged: a database restart empties it); load the file again`,
        );
      }
      return {
        sourceFileId,
        entry: picked.entry,
        header: plan.layout.header,
        columns: picked.match.columns,
        read,
        sha256: plan.sha256,
        encoding: plan.layout.encoding,
        blankLines: staged.blankLines,
        readStarted,
      };
    });
    if (result.status !== 'failed') state = 'merged';
    return result;
  } finally {
    // A database that is gone now leaves the load `staging`: the next chunked load ends it as abandoned.
    await finishChunkedLoad(warehouse, load, state).catch(() => undefined);
  }
}

/** The header's match to an entry version, or undefined when it has a problem (the whole-file load reports it). */
function headerMatch(request: UnitRequest, plan: CsvChunkPlan) {
  try {
    const signals = unitSignals(request.withdrawals, plan.layout.header, request.headerMap);
    const picked = pickedVersion(request, plan.layout.header, signals);
    return picked.match.problems.length === 0 ? picked : undefined;
  } catch (error) {
    if (error instanceof UnitFailure) return undefined;
    throw error;
  }
}

/**
 * Stages chunks until none is pending, then waits for those other workers hold. Ends with the rows and blank
 * lines staged, or the failure of the first chunk that failed (in file order, as a whole-file read would meet it).
 */
async function stageAll(
  warehouse: Warehouse,
  load: ChunkedLoad,
  work: ChunkWork,
  request: UnitRequest,
): Promise<{ rows: number; blankLines: number } | { failure: UnitFailure }> {
  const worker = `coordinator ${process.pid}`;
  for (;;) {
    const outcome = await stageNextChunk(warehouse, load, work, worker);
    if (outcome === 'staged') continue;
    const statuses = await chunkStatuses(warehouse, load.id);
    const failed = statuses.find((status) => status.state === 'failed');
    const pending = statuses.some((status) => status.state === 'pending');
    if (failed?.error && !pending)
      return { failure: new UnitFailure(failed.error.code, failed.error.message, failed.error.detail) };
    const staged = statuses.filter((status) => status.state === 'staged');
    const rows = staged.reduce((sum, status) => sum + (status.stagedRows ?? 0), 0);
    request.onProgress?.(rows);
    if (staged.length === statuses.length) {
      return { rows, blankLines: staged.reduce((sum, status) => sum + (status.blankLines ?? 0), 0) };
    }
    await sleep(POLL_MS);
  }
}
