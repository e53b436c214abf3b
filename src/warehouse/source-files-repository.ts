import type { SourceUnit } from '../../connectors/contracts.ts';
import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { Warehouse } from './connect-warehouse.ts';
import type { FullDumpDecision } from './full-dump-decision.ts';
import type { OutcomeCounts } from './outcome-counts.ts';
import { rejectionsByCode } from './rejections-repository.ts';
import { RECEIVED_DATE_SQL, type ReportScope, whereInScope } from './scope-filter.ts';
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
 * How a unit is read, as the ledger compares it: the reading fingerprint of its run (`runs.options.reading`,
 * src/run/reading-fingerprint.ts: the entry's versions, lookups, mapping, read options) and the entry version its
 * header is read by (`source_files.catalog_version`). Without a fingerprint nothing is ever skipped.
 */
export interface LedgerReading {
  fingerprint: string | undefined;
  catalogVersion: number;
}

const LATEST_SAME_LOAD_PARAMETERS = [
  'sha256',
  'catalogCode',
  'providerCode',
  'level',
  'sourceFileId',
  'catalogVersion',
  'fingerprint',
  'name',
  'receivedAt',
] as const;
type LatestSameLoadParameter = (typeof LATEST_SAME_LOAD_PARAMETERS)[number];

/**
 * The load a unit repeats, if any: a loaded file of the channel with these bytes, read the same way (the same
 * reading fingerprint and entry version), that is the channel's latest load, or that is this very delivery seen
 * again (the same name and received time: a file left in its folder, `processed: null` or a `processed/` it could
 * not be moved to). Bytes loaded at some earlier time are not enough — a file loaded after them may have changed
 * their records (a correction the provider now takes back by sending the old file again) — nor are bytes read
 * another way (a lookup added since, a changed entry): such a delivery is loaded, and the merge judges each row
 * (`unchanged`, `updated`…). `sourceFileId`: the unit's own file row, loading in the same transaction (0 before it
 * has one). Its parameters written by `at`: `$n` for a unit's session, `:name` for knex.
 */
function latestSameLoad(at: (name: LatestSameLoadParameter) => string): string {
  return `SELECT f.id, f.run_id, f.name FROM source_files f JOIN runs r ON r.id = f.run_id
  WHERE f.sha256 = ${at('sha256')} AND f.catalog_code = ${at('catalogCode')}
    AND f.provider_code = ${at('providerCode')} AND f.level = ${at('level')} AND f.status = 'loaded'
    AND f.id <> ${at('sourceFileId')} AND f.catalog_version = ${at('catalogVersion')}
    AND r.options ->> 'reading' = ${at('fingerprint')}
    AND ((f.name = ${at('name')} AND f.received_at = ${at('receivedAt')}) OR NOT EXISTS (
      SELECT 1 FROM source_files later
      WHERE later.id > f.id AND later.id <> ${at('sourceFileId')} AND later.status = 'loaded'
        AND later.catalog_code = f.catalog_code AND later.provider_code = f.provider_code
        AND later.level = f.level))
  ORDER BY f.id DESC LIMIT 1`;
}

const LATEST_SAME_LOAD = latestSameLoad((name) => `$${LATEST_SAME_LOAD_PARAMETERS.indexOf(name) + 1}`);

function latestSameLoadValues(
  sha256: string,
  channel: DeliveryChannel,
  reading: LedgerReading,
  sourceFileId: number,
  delivery: Delivery | undefined,
): Record<LatestSameLoadParameter, string | number | Date | null> {
  return {
    sha256,
    catalogCode: channel.catalogCode,
    providerCode: channel.providerCode,
    level: channel.level,
    sourceFileId,
    catalogVersion: reading.catalogVersion,
    fingerprint: reading.fingerprint ?? '',
    name: delivery?.name ?? null,
    receivedAt: delivery?.receivedAt ?? null,
  };
}

/** A delivery as the ledger knows it apart from its bytes: its file name and the time it was received. */
export interface Delivery {
  name: string;
  receivedAt: Date;
}

/**
 * Inside the unit's transaction, once its bytes are read (or before, by the hash its transport took): the load
 * this unit repeats (latestSameLoad), whichever command delivered it (pipelines' transports check before
 * downloading with isAlreadyLoaded; `ingest` and `demo` rely on this).
 */
export async function earlierLoadOf(
  session: UnitSession,
  sha256: string | undefined,
  channel: DeliveryChannel,
  reading: LedgerReading,
  delivery: Delivery,
  sourceFileId: number,
): Promise<EarlierLoad | undefined> {
  if (sha256 === undefined || reading.fingerprint === undefined) return undefined;
  const values = latestSameLoadValues(sha256, channel, reading, sourceFileId, delivery);
  const [row] = await session.query<{ id: number; run_id: number; name: string }>(
    LATEST_SAME_LOAD,
    LATEST_SAME_LOAD_PARAMETERS.map((name) => values[name]),
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
  return `内容与本渠道已载入的文件「${earlier.name}」（文件 ${earlier.sourceFileId}，运行 ${earlier.runId}）完全相同，读取方式（目录版本、对照表、字段映射）也未变，已跳过`;
}

/**
 * The sha256 ledger before a unit is fetched (a transport's pre-check, an HTTP page): whether its content is the
 * channel's latest load, read the same way (latestSameLoad), whatever its file name. A changed file under an old name has
 * another hash, so it is a new delivery; an old file sent again after another one loaded is one too.
 */
export async function isAlreadyLoaded(
  warehouse: Warehouse,
  sha256: string,
  channel: DeliveryChannel,
  reading: LedgerReading,
): Promise<boolean> {
  if (reading.fingerprint === undefined) return false;
  const result = await warehouse.raw<{ rows: unknown[] }>(
    latestSameLoad((name) => `:${name}`),
    latestSameLoadValues(sha256, channel, reading, 0, undefined),
  );
  return result.rows.length > 0;
}

/**
 * A file over a threshold (too many rejected rows, or a full dump missing too many records): marked
 * `failed-threshold` with the reject-threshold decision and why, in the unit's transaction.
 */
export async function holdBackSourceFile(
  session: UnitSession,
  sourceFileId: number,
  held: {
    sha256: string | undefined;
    encoding: string;
    counts: OutcomeCounts;
    blankLines: number;
    decision: ThresholdDecision | undefined;
    /** `reject-threshold-exceeded` (the default) or `truncated-dump`. */
    code?: string;
    message: string;
  },
): Promise<void> {
  await session.query(
    `UPDATE source_files SET status = 'failed-threshold', sha256 = $2, encoding = $3, counts = $4,
       blank_lines = $5, threshold = $6, error_code = $8, error = $7, finished_at = clock_timestamp()
     WHERE id = $1`,
    [
      sourceFileId,
      held.sha256,
      held.encoding,
      JSON.stringify(held.counts),
      held.blankLines,
      held.decision ? JSON.stringify(held.decision) : null,
      held.message,
      held.code ?? 'reject-threshold-exceeded',
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
  /** A full dump's completeness decision (015). */
  full_dump: FullDumpDecision | null;
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
      'full_dump',
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

/** A loaded file's two digests, as the database stored them. */
export interface FileDigests {
  /** What the file added (source_files.digest, v1). */
  digest: string;
  /** The file's row, lineage with ids and rejections over v1 (source_files.digest_v2, set by a trigger, 043). */
  digestV2: string;
}

/**
 * Fixes what a unit added (its lineage rows and the chain hashes of its versions) as the file's digest, in the
 * unit's transaction, as its last write: after the merge and after finishSourceFile, so that the second digest,
 * which the database computes as the first is set (043-delivery-digest), also covers the file's sha256, counts,
 * encoding and columns. The hashes are the database's own (source_file_digest, 011-version-chain;
 * source_file_digest_v2), the ones `credit-etl verify` recomputes; the database refuses to change them afterwards.
 * Both come back as stored (RETURNING sees the trigger's value), for the run log to keep.
 */
export async function storeFileDigest(session: UnitSession, sourceFileId: number): Promise<FileDigests> {
  const [row] = await session.query<{ digest: string; digest_v2: string }>(
    'UPDATE source_files SET digest = source_file_digest(id) WHERE id = $1 RETURNING digest, digest_v2',
    [sourceFileId],
  );
  if (!row) throw new Error(`file digest: source file ${sourceFileId} not found`);
  return { digest: row.digest, digestV2: row.digest_v2 };
}

/** A file a report covers, as its provider knows it: its name and the Shanghai day it was received. */
export interface ScopeFile {
  name: string;
  received_on: string;
}

/** The files of a report's scope in the order they were received (a report's scope in words). */
export async function filesInScope(warehouse: Warehouse, scope: ReportScope): Promise<ScopeFile[]> {
  const query = warehouse('source_files as f')
    .orderBy('f.received_at')
    .orderBy('f.id')
    .select<ScopeFile[]>(
      'f.name',
      warehouse.raw(`to_char(${RECEIVED_DATE_SQL}, 'YYYY-MM-DD') AS received_on`),
    );
  return whereInScope(query, scope);
}

/** The providers whose files a run loaded, in code order (a notice covers one provider's rows of a run). */
export async function providersOfRun(warehouse: Warehouse, runId: number): Promise<string[]> {
  const rows = await warehouse('source_files')
    .where({ run_id: runId })
    .distinct<{ provider_code: string }[]>('provider_code')
    .orderBy('provider_code');
  return rows.map((row) => row.provider_code);
}
