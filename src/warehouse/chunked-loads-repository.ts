import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { createStageTable, STAGE_COLUMNS } from './staging-repository.ts';
import { type UnitSession, withUnitTransaction } from './unit-session.ts';

/** A chunk of a file as planned (migrations/022-file-chunks.ts). */
export interface PlannedChunk {
  chunkNo: number;
  startByte: number;
  endByte: number;
  firstRow: number;
  firstLine: number;
  records: number;
  sha256: string;
}

export interface ChunkedLoad {
  id: number;
  /** `chunk_staging.load_<id>`: the file's shared staging table, shaped as the private `stage` table. */
  stagingTable: string;
}

export type ChunkState = 'pending' | 'staged' | 'failed';

export interface ChunkStatus {
  chunkNo: number;
  state: ChunkState;
  stagedRows: number | null;
  blankLines: number | null;
  error: ChunkFailure | null;
}

/** Why a chunk failed: the provider's words, and the original error (the operator's, masked) when they leave it out. */
export interface ChunkFailure {
  code: string;
  message: string;
  detail?: string;
}

/**
 * Records a file about to be loaded in chunks and creates its shared staging table, in one transaction. The table
 * is made LIKE the private `stage` table (staging-repository.ts), so it has the staging shape whatever it is now.
 */
export async function createChunkedLoad(
  warehouse: Warehouse,
  load: {
    runId: number;
    unitName: string;
    path: string;
    sizeBytes: number;
    sha256: string;
    request: unknown;
    chunks: readonly PlannedChunk[];
  },
): Promise<ChunkedLoad> {
  return withUnitTransaction(warehouse, async (session) => {
    const [next] = await session.query<{ id: number }>(
      `SELECT nextval('chunked_loads_id_seq')::bigint AS id`,
    );
    const id = next!.id;
    const stagingTable = `chunk_staging.load_${id}`;
    await session.query(
      `INSERT INTO chunked_loads (id, run_id, unit_name, path, size_bytes, sha256, staging_table, chunk_count, request)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        id,
        load.runId,
        load.unitName,
        load.path,
        load.sizeBytes,
        load.sha256,
        stagingTable,
        load.chunks.length,
        JSON.stringify(load.request),
      ],
    );
    const column = <K extends keyof PlannedChunk>(key: K) => load.chunks.map((chunk) => chunk[key]);
    await session.query(
      `INSERT INTO file_chunks (load_id, chunk_no, start_byte, end_byte, first_row, first_line, records, sha256)
       SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::int[], $6::int[], $7::int[], $8::text[])`,
      [
        id,
        column('chunkNo'),
        column('startByte'),
        column('endByte'),
        column('firstRow'),
        column('firstLine'),
        column('records'),
        column('sha256'),
      ],
    );
    await createStageTable(session);
    await session.query(`CREATE UNLOGGED TABLE ${stagingTable} (LIKE pg_temp.stage)`);
    return { id, stagingTable };
  });
}

/**
 * What a worker needs to stage chunks of a load: its table and the request the coordinator stored. Only loads
 * whose run is still running: no one would merge the chunks of an ended (interrupted, failed) run.
 */
export async function chunkedLoadToHelp(
  warehouse: Warehouse,
  loadId: number | undefined,
): Promise<(ChunkedLoad & { request: unknown; path: string; sizeBytes: number }) | undefined> {
  const rows = await warehouse.raw<{
    rows: { id: number; staging_table: string; request: unknown; path: string; size_bytes: number }[];
  }>(
    `SELECT l.id, l.staging_table, l.request, l.path, l.size_bytes FROM chunked_loads l
     WHERE l.state = 'staging' AND (?::bigint IS NULL OR l.id = ?::bigint)
       AND EXISTS (SELECT 1 FROM file_chunks c WHERE c.load_id = l.id AND c.state = 'pending')
       AND EXISTS (SELECT 1 FROM runs r WHERE r.id = l.run_id AND r.status = 'running')
     ORDER BY l.id LIMIT 1`,
    [loadId ?? null, loadId ?? null],
  );
  const row = rows.rows[0];
  return row
    ? {
        id: row.id,
        stagingTable: row.staging_table,
        request: row.request,
        path: row.path,
        sizeBytes: row.size_bytes,
      }
    : undefined;
}

/**
 * Claims the next pending chunk of a load for the caller's transaction: its row stays locked until that
 * transaction ends, so no other worker takes it, and a worker that dies releases it (and its staged rows) at once.
 */
export async function claimPendingChunk(
  session: UnitSession,
  loadId: number,
): Promise<PlannedChunk | undefined> {
  const [row] = await session.query<{
    chunk_no: number;
    start_byte: number;
    end_byte: number;
    first_row: number;
    first_line: number;
    records: number;
    sha256: string;
  }>(
    `SELECT chunk_no, start_byte, end_byte, first_row, first_line, records, sha256 FROM file_chunks
     WHERE load_id = $1 AND state = 'pending' ORDER BY chunk_no LIMIT 1 FOR UPDATE SKIP LOCKED`,
    [loadId],
  );
  if (!row) return undefined;
  return {
    chunkNo: row.chunk_no,
    startByte: row.start_byte,
    endByte: row.end_byte,
    firstRow: row.first_row,
    firstLine: row.first_line,
    records: row.records,
    sha256: row.sha256,
  };
}

/** The COPY that fills a load's shared staging table, with the columns stage-lines.ts writes. */
export function copyIntoChunkStage(load: ChunkedLoad): string {
  return `COPY ${load.stagingTable} (${STAGE_COLUMNS.join(', ')}) FROM STDIN`;
}

export async function markChunkStaged(
  session: UnitSession,
  loadId: number,
  chunkNo: number,
  staged: { rows: number; blankLines: number; worker: string },
): Promise<void> {
  await session.query(
    `UPDATE file_chunks SET state = 'staged', staged_rows = $3, blank_lines = $4, worker = $5, staged_at = now()
     WHERE load_id = $1 AND chunk_no = $2 AND state = 'pending'`,
    [loadId, chunkNo, staged.rows, staged.blankLines, staged.worker],
  );
}

/** A chunk that cannot be staged for a reason of the file's own (or a defect): the whole file fails with it. */
export async function markChunkFailed(
  warehouse: Warehouse,
  loadId: number,
  chunkNo: number,
  failure: ChunkFailure & { worker: string },
): Promise<void> {
  const { code, message, detail } = failure;
  const error = { code, message, ...(detail ? { detail: maskPersonalText(detail) } : {}) };
  await warehouse.raw(
    `UPDATE file_chunks SET state = 'failed', error = ?::jsonb, worker = ?
     WHERE load_id = ? AND chunk_no = ? AND state = 'pending'`,
    [JSON.stringify(error), failure.worker, loadId, chunkNo],
  );
}

export async function chunkStatuses(warehouse: Warehouse, loadId: number): Promise<ChunkStatus[]> {
  const rows = await warehouse.raw<{
    rows: {
      chunk_no: number;
      state: ChunkState;
      staged_rows: number | null;
      blank_lines: number | null;
      error: ChunkFailure | null;
    }[];
  }>(
    'SELECT chunk_no, state, staged_rows, blank_lines, error FROM file_chunks WHERE load_id = ? ORDER BY chunk_no',
    [loadId],
  );
  return rows.rows.map((row) => ({
    chunkNo: row.chunk_no,
    state: row.state,
    stagedRows: row.staged_rows,
    blankLines: row.blank_lines,
    error: row.error,
  }));
}

/**
 * Fills the merge transaction's private `stage` table from the load's shared one, and counts what came: rows lost
 * since they were staged (the shared table is UNLOGGED: a server crash empties it) must fail the merge.
 */
export async function stageFromChunks(session: UnitSession, load: ChunkedLoad): Promise<number> {
  const columns = STAGE_COLUMNS.join(', ');
  await createStageTable(session);
  return session.execute(`INSERT INTO stage (${columns}) SELECT ${columns} FROM ${load.stagingTable}`);
}

/**
 * Ends a load: its state is recorded and its shared staging table dropped. Loads whose coordinator is gone
 * (still `staging` after `staleAfterSeconds`, longer than any unit may take) are ended as abandoned.
 */
export async function finishChunkedLoad(
  warehouse: Warehouse,
  load: ChunkedLoad,
  state: 'merged' | 'failed',
): Promise<void> {
  await warehouse.raw(`UPDATE chunked_loads SET state = ?, finished_at = now() WHERE id = ?`, [
    state,
    load.id,
  ]);
  await warehouse.raw(`DROP TABLE IF EXISTS ${load.stagingTable}`);
}

export async function abandonStaleChunkedLoads(
  warehouse: Warehouse,
  staleAfterSeconds: number,
): Promise<number> {
  const stale = await warehouse.raw<{ rows: { id: number; staging_table: string }[] }>(
    `UPDATE chunked_loads SET state = 'abandoned', finished_at = now()
     WHERE state = 'staging' AND created_at < now() - make_interval(secs => ?)
     RETURNING id, staging_table`,
    [staleAfterSeconds],
  );
  for (const row of stale.rows) await warehouse.raw(`DROP TABLE IF EXISTS ${row.staging_table}`);
  return stale.rows.length;
}

/**
 * Ends the loads still `staging` whose run has ended: their coordinator was killed or lost its worker, and a
 * sweep ended the run (`interrupted`); no one will merge them. Their shared staging tables are dropped at once
 * instead of waiting for a later chunked load to find them stale.
 */
export async function abandonChunkedLoadsOfEndedRuns(warehouse: Warehouse): Promise<number> {
  const ended = await warehouse.raw<{ rows: { id: number; staging_table: string }[] }>(
    `UPDATE chunked_loads l SET state = 'abandoned', finished_at = now()
     FROM runs r WHERE r.id = l.run_id AND l.state = 'staging' AND r.status <> 'running'
     RETURNING l.id, l.staging_table`,
  );
  for (const row of ended.rows) await warehouse.raw(`DROP TABLE IF EXISTS ${row.staging_table}`);
  return ended.rows.length;
}
