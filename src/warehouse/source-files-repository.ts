import type { SourceUnit } from '../../connectors/contracts.ts';
import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { Warehouse } from './connect-warehouse.ts';
import type { OutcomeCounts } from './outcome-counts.ts';
import { rejectionsByCode } from './rejections-repository.ts';
import type { ThresholdDecision } from './threshold-decision.ts';
import { type UnitSession, withUnitTransaction } from './unit-session.ts';

/** Why a unit failed, as the ledger stores it (src/run/unit-failure.ts). */
interface FailureText {
  code: string;
  message: string;
}

/** What the ledger knows about a unit before reading it. */
export interface SourceFileRow {
  runId: number;
  unit: SourceUnit;
  format: string;
  catalogCode: string;
  catalogVersion: number | undefined;
  providerCode: string;
  level: ChannelLevel;
  startedAt: Date;
}

const INSERT = `INSERT INTO source_files (run_id, name, path, size_bytes, format, catalog_code, catalog_version,
  provider_code, level, received_at, status, started_at, error_code, error)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`;

function insertValues(file: SourceFileRow, status: string, failure?: FailureText): unknown[] {
  const { unit } = file;
  return [
    file.runId,
    unit.name,
    unit.path ?? null,
    unit.sizeBytes ?? null,
    file.format,
    file.catalogCode,
    file.catalogVersion ?? null,
    file.providerCode,
    file.level,
    unit.receivedAt,
    status,
    file.startedAt,
    failure?.code ?? null,
    // A failure may quote the file's first line (a headerless file): stored as every reader would show it.
    failure ? maskPersonalText(failure.message) : null,
  ];
}

/** Inside the unit's transaction: the file row exists only if the unit commits. */
export async function startSourceFile(session: UnitSession, file: SourceFileRow): Promise<number> {
  const [row] = await session.query<{ id: number }>(INSERT, insertValues(file, 'loaded'));
  return row!.id;
}

export interface FinishedFile {
  sha256: string | undefined;
  encoding: string;
  columns: { header: string; field: string | null }[];
  counts: OutcomeCounts;
  blankLines: number;
  /** The reject-threshold decision, when the run had thresholds. */
  threshold?: ThresholdDecision | undefined;
}

/** Stores the file's fingerprint and counts; returns its rejections counted by error code. */
export async function finishSourceFile(
  session: UnitSession,
  sourceFileId: number,
  finished: FinishedFile,
): Promise<Record<string, number>> {
  await session.query(
    `UPDATE source_files SET sha256 = $2, encoding = $3, columns = $4, counts = $5, blank_lines = $6,
       threshold = $7, finished_at = clock_timestamp()
     WHERE id = $1`,
    [
      sourceFileId,
      finished.sha256,
      finished.encoding,
      JSON.stringify(finished.columns),
      JSON.stringify(finished.counts),
      finished.blankLines,
      finished.threshold ? JSON.stringify(finished.threshold) : null,
    ],
  );
  return rejectionsByCode(session, sourceFileId);
}

/** After a rollback: a record that the unit was tried and why it failed, in its own transaction. */
export async function recordFailedUnit(
  warehouse: Warehouse,
  file: SourceFileRow,
  failure: FailureText,
): Promise<number> {
  const [row] = await withUnitTransaction(warehouse, (session) =>
    session.query<{ id: number }>(INSERT, insertValues(file, 'failed', failure)),
  );
  return row!.id;
}

/**
 * Who delivered what: the same bytes from another provider or level are another channel's delivery (省市互补:
 * they merge and add lineage), so the ledger is kept per channel.
 */
export interface DeliveryChannel {
  catalogCode: string;
  providerCode: string;
  level: ChannelLevel;
}

/** The load a unit's content repeats: where an operator finds the rows it already gave. */
export interface EarlierLoad {
  sourceFileId: number;
  runId: number;
  name: string;
}

/**
 * Inside the unit's transaction, once its bytes are read: the earlier loaded file with the same content for
 * this catalog entry, whichever command delivered it (transports check before downloading; `ingest` and
 * `demo` rely on this).
 */
export async function earlierLoadOf(
  session: UnitSession,
  sha256: string | undefined,
  channel: DeliveryChannel,
  sourceFileId: number,
): Promise<EarlierLoad | undefined> {
  if (sha256 === undefined) return undefined;
  const [row] = await session.query<{ id: number; run_id: number; name: string }>(
    `SELECT id, run_id, name FROM source_files
     WHERE sha256 = $1 AND catalog_code = $2 AND provider_code = $3 AND level = $4 AND status = 'loaded'
       AND id <> $5
     ORDER BY id LIMIT 1`,
    [sha256, channel.catalogCode, channel.providerCode, channel.level, sourceFileId],
  );
  return row ? { sourceFileId: row.id, runId: row.run_id, name: row.name } : undefined;
}

/** A reload the operator asked for (`--force`): loaded, and marked as repeating the earlier file. */
export async function markForcedReload(
  session: UnitSession,
  sourceFileId: number,
  earlier: EarlierLoad,
): Promise<void> {
  await session.execute('UPDATE source_files SET forced = true, same_content_as = $2 WHERE id = $1', [
    sourceFileId,
    earlier.sourceFileId,
  ]);
}

/** After the rollback of a unit the ledger had seen: a record that it arrived again, and when it first came. */
export async function recordSkippedUnit(
  warehouse: Warehouse,
  file: SourceFileRow,
  earlier: EarlierLoad,
): Promise<number> {
  const [row] = await withUnitTransaction(warehouse, async (session) => {
    const inserted = await session.query<{ id: number }>(INSERT, insertValues(file, 'skipped'));
    await session.execute(
      `UPDATE source_files SET same_content_as = $2, error_code = 'already-loaded',
         error = $3, sha256 = (SELECT sha256 FROM source_files WHERE id = $2) WHERE id = $1`,
      [inserted[0]!.id, earlier.sourceFileId, alreadyLoadedMessage(earlier)],
    );
    return inserted;
  });
  return row!.id;
}

export function alreadyLoadedMessage(earlier: EarlierLoad): string {
  return `内容与已载入的文件「${earlier.name}」（文件 ${earlier.sourceFileId}，运行 ${earlier.runId}）完全相同，已跳过`;
}

/**
 * The sha256 ledger: content already loaded for this catalog entry by this channel is never loaded again,
 * whatever its file name. A changed file under an old name has another hash, so it is a new delivery.
 */
export async function isAlreadyLoaded(
  warehouse: Warehouse,
  sha256: string,
  channel: DeliveryChannel,
): Promise<boolean> {
  const row = await warehouse('source_files')
    .where({
      sha256,
      catalog_code: channel.catalogCode,
      provider_code: channel.providerCode,
      level: channel.level,
      status: 'loaded',
    })
    .first('id');
  return row !== undefined;
}

/** A file over its reject threshold: marked `failed-threshold` with the decision, in the unit's transaction. */
export async function holdBackSourceFile(
  session: UnitSession,
  sourceFileId: number,
  held: {
    sha256: string | undefined;
    encoding: string;
    counts: OutcomeCounts;
    blankLines: number;
    decision: ThresholdDecision;
    message: string;
  },
): Promise<void> {
  await session.query(
    `UPDATE source_files SET status = 'failed-threshold', sha256 = $2, encoding = $3, counts = $4,
       blank_lines = $5, threshold = $6, error_code = 'reject-threshold-exceeded', error = $7, finished_at = clock_timestamp()
     WHERE id = $1`,
    [
      sourceFileId,
      held.sha256,
      held.encoding,
      JSON.stringify(held.counts),
      held.blankLines,
      JSON.stringify(held.decision),
      held.message,
    ],
  );
}

/** One source file as stored (the columns `runs show` prints). */
export interface SourceFileListRow {
  id: number;
  name: string;
  status: 'loaded' | 'failed' | 'failed-threshold' | 'skipped';
  encoding: string | null;
  sha256: string | null;
  catalog_code: string;
  catalog_version: number | null;
  provider_code: string;
  level: ChannelLevel;
  received_at: Date;
  counts: Partial<OutcomeCounts>;
  blank_lines: number;
  error_code: string | null;
  error: string | null;
  started_at: Date;
  finished_at: Date;
  threshold: ThresholdDecision | null;
}

/** A run's files in the order they were recorded. */
export async function sourceFilesOfRun(warehouse: Warehouse, runId: number): Promise<SourceFileListRow[]> {
  return warehouse('source_files')
    .where({ run_id: runId })
    .orderBy('id')
    .select<SourceFileListRow[]>(
      'id',
      'name',
      'status',
      'encoding',
      'sha256',
      'catalog_code',
      'catalog_version',
      'provider_code',
      'level',
      'received_at',
      'counts',
      'blank_lines',
      'error_code',
      'error',
      'started_at',
      'finished_at',
      'threshold',
    );
}

/** The outcome counts of each file a run recorded. */
export async function sourceFileCountsOfRun(warehouse: Warehouse, runId: number): Promise<OutcomeCounts[]> {
  const files = await warehouse('source_files')
    .where({ run_id: runId })
    .select<{ counts: OutcomeCounts }[]>('counts');
  return files.map((file) => file.counts);
}

/** A source file's id, or undefined when there is no such file. */
export async function findSourceFile(
  warehouse: Warehouse,
  sourceFileId: number,
): Promise<{ id: number } | undefined> {
  return warehouse('source_files').where({ id: sourceFileId }).first<{ id: number } | undefined>('id');
}

/**
 * Fixes what a unit added (its lineage rows and the chain hashes of its versions) as the file's digest, in the
 * unit's transaction, once its merge is done. The hash is the database's own (source_file_digest,
 * 011-version-chain), the one `credit-etl verify` recomputes; the database refuses to change it afterwards.
 */
export async function storeFileDigest(session: UnitSession, sourceFileId: number): Promise<string> {
  const [row] = await session.query<{ digest: string }>(
    'UPDATE source_files SET digest = source_file_digest(id) WHERE id = $1 RETURNING digest',
    [sourceFileId],
  );
  if (!row) throw new Error(`file digest: source file ${sourceFileId} not found`);
  return row.digest;
}
