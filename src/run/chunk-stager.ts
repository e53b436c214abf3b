import type { CsvLayout } from '../../connectors/formats/csv-chunks.ts';
import { readCsvChunk } from '../../connectors/formats/csv-chunks.ts';
import { infrastructureFault } from '../../connectors/infrastructure-fault.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { CopyWriter } from '../load/copy-writer.ts';
import type { Lookups } from '../normalize/derive-legacy-row.ts';
import {
  type ChunkedLoad,
  claimPendingChunk,
  copyIntoChunkStage,
  markChunkFailed,
  markChunkStaged,
} from '../warehouse/chunked-loads-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { withUnitTransaction } from '../warehouse/unit-session.ts';
import { compileEntry } from './compiled-entry.ts';
import { compileRowStager } from './stage-row.ts';
import { toUnitFailure } from './unit-failure.ts';
import { unitSignals, type WithdrawalSignals } from './withdrawal-signals.ts';

/**
 * Everything a worker needs to read and check any chunk of a file exactly as the single-worker load would:
 * stored with the load as JSON (chunked_loads.request), so a worker on another machine needs nothing else.
 */
export interface ChunkWork {
  unitName: string;
  path: string;
  /** The unit's received time (ISO), for rows without a time of their own (timeliness). */
  receivedAt: string;
  layout: CsvLayout;
  /** The entry version the header picked, and the field of each column (null: no field). */
  entry: CatalogEntry;
  columns: (string | null)[];
  headerMap?: Readonly<Record<string, string>>;
  withdrawals?: WithdrawalSignals;
  lookups?: Lookups;
  allowPilotCodes?: boolean;
  /** The day rows are checked against (dates not in the future), as the coordinator saw it. */
  today: string;
  /** The reading limits in force where the file was planned. */
  limits: { maxLineBytes: number; maxCellsPerRow: number; maxCellBytes: number };
}

export type ChunkOutcome = 'staged' | 'failed' | 'none';

/**
 * Claims one pending chunk of the load, reads and checks its rows and COPYs them into the load's shared staging
 * table, all in one transaction that also marks the chunk staged: a worker that dies midway leaves neither rows
 * nor a claim behind, and the chunk is taken again. A chunk that fails for a reason that is not the
 * infrastructure's is marked failed (the file then fails whole); an infrastructure fault is thrown, the chunk
 * left pending for a retry.
 */
export async function stageNextChunk(
  warehouse: Warehouse,
  load: ChunkedLoad,
  work: ChunkWork,
  worker: string,
): Promise<ChunkOutcome> {
  let claimed: number | undefined;
  try {
    return await withUnitTransaction(warehouse, async (session) => {
      const chunk = await claimPendingChunk(session, load.id);
      if (!chunk) return 'none';
      claimed = chunk.chunkNo;
      const header = work.layout.header;
      const columns = work.columns.map((column) => column ?? undefined);
      const signals = unitSignals(work.withdrawals, header, work.headerMap);
      const compiled = compileEntry(
        work.entry,
        {
          ...(work.allowPilotCodes !== undefined ? { allowPilotCodes: work.allowPilotCodes } : {}),
          today: () => work.today,
        },
        work.lookups,
      );
      const stageRow = compileRowStager(
        compiled,
        columns,
        header,
        new Date(work.receivedAt),
        undefined,
        work.limits.maxCellBytes,
        signals,
      );
      const reader = readCsvChunk(work.path, work.layout, chunk, work.limits);
      const copy = new CopyWriter(session.copyFrom(copyIntoChunkStage(load)));
      let rows = 0;
      try {
        for await (const batch of reader.rows.batches) {
          for (const row of batch) await copy.write(stageRow(row));
          rows += batch.length;
        }
        await copy.end();
      } catch (error) {
        copy.abort(error as Error);
        throw error;
      }
      reader.check(rows);
      await markChunkStaged(session, load.id, chunk.chunkNo, {
        rows,
        blankLines: reader.rows.stats().blankLines,
        worker,
      });
      return 'staged';
    });
  } catch (error) {
    if (claimed === undefined || infrastructureFault(error)) throw error;
    const failure = toUnitFailure(error);
    await markChunkFailed(warehouse, load.id, claimed, {
      code: failure.code,
      message: failure.message,
      ...(failure.detail ? { detail: failure.detail } : {}),
      worker,
    });
    return 'failed';
  }
}
