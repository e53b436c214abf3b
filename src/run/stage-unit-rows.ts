import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import type { HeaderMatch } from '../catalog/match-headers.ts';
import { CopyWriter } from '../load/copy-writer.ts';
import { FastPathUnusable } from '../warehouse/fingerprint-cache-repository.ts';
import type { FastRows } from '../warehouse/merge-staged.ts';
import { type SourceFileRow, startSourceFile } from '../warehouse/source-files-repository.ts';
import { COPY_INTO_STAGE, createStageTable } from '../warehouse/staging-repository.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';
import { type CompiledEntry, compileEntry } from './compiled-entry.ts';
import { EarlyMerges } from './early-merges.ts';
import { headerRowHint } from './header-row-hint.ts';
import type { StagedUnit } from './load-staged.ts';
import type { UnitRequest } from './load-unit.ts';
import { type OpenedUnit, openUnitRows } from './open-unit-rows.ts';
import { rowFingerprints, skimmedAgain } from './row-fingerprints.ts';
import { compileRowStager } from './stage-row.ts';
import { UnitFailure } from './unit-failure.ts';
import { headerFits, headerNear, pickedVersion, signalsOf } from './unit-header.ts';
import { type UnitSignals, unitWithdrawals } from './withdrawal-signals.ts';

/** Opens the unit's bytes (or rows), records its `source_files` row and stages every row. */
export async function stageUnitRows(
  session: UnitSession,
  request: UnitRequest,
  file: SourceFileRow,
): Promise<StagedUnit> {
  const opened = await openUnitRows(request.unit, request.format, {
    ...request.formatOptions,
    encoding: request.encoding,
    headerFits: (header) => headerFits(request, header),
    headerNear: (header) => headerNear(request, header),
  });
  const { rows } = opened;
  const readStarted = Date.now();
  // Whatever stops the unit before its rows are all read releases the input (and a workbook's temp copy).
  const { sourceFileId, picked, columns, read, fingerprintShape, fast, reading, mergedWhileReading } =
    await (async () => {
      // Signal columns first: a soft-delete flag no catalog field takes is the pipeline's, not an unknown column.
      // The header says which version of the entry the file is in (a legacy layout): recorded from the start.
      const picked = pickedVersion(request, rows.header, signalsOf(request, rows.header), rows.headerRow);
      // Then the status field that version declares (x-statusSignal), where the pipeline declares no status.
      const withdrawals = unitWithdrawals(
        request.withdrawals,
        picked.entry,
        rows.header,
        picked.match.columns,
      );
      const unitRequest = withdrawals === request.withdrawals ? request : { ...request, withdrawals };
      const signals = signalsOf(request, rows.header, picked);
      const id = await startSourceFile(session, { ...file, catalogVersion: picked.entry.version });
      return {
        sourceFileId: id,
        picked,
        ...(await stageRows(session, unitRequest, opened, picked, signals, id)),
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
    channelId: fingerprints.stamp!.channelId,
    stamp: fingerprints.stamp!,
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
