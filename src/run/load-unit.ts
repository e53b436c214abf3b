import type { Encoding, Format, FormatOptions, SourceRow, SourceUnit } from '../../connectors/contracts.ts';
import type { CatalogEntry, ChannelLevel } from '../catalog/catalog-entry.ts';
import { matchHeaders } from '../catalog/match-headers.ts';
import { canonicalJson } from '../dedupe/content-hash.ts';
import { CopyWriter } from '../load/copy-writer.ts';
import { mergeStaged } from '../load/merge-staged.ts';
import { COPY_INTO_STAGE, createStageTable, rejectedLine, validLine } from '../load/stage-table.ts';
import { isRealIsoDate, todayInShanghai } from '../normalize/parse-date.ts';
import { serialDateCells } from '../normalize/serial-dates.ts';
import type { NormalizedRow, ValidatorOptions } from '../validate/compile-validator.ts';
import { numberStoredCodeCheck } from '../validate/number-stored-codes.ts';
import { isWarning } from '../validate/row-error.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { withUnitTransaction } from '../warehouse/unit-session.ts';
import { type CompiledEntry, compileEntry } from './compiled-entry.ts';
import { openUnitRows } from './open-unit-rows.ts';
import { assertCountsAddUp, emptyCounts, type OutcomeCounts } from './outcome-counts.ts';
import { checkThreshold, holdBackUnit, type ThresholdDecision, type Thresholds } from './reject-threshold.ts';
import {
  finishSourceFile,
  recordFailedUnit,
  type SourceFileRow,
  startSourceFile,
} from './source-file-ledger.ts';
import { timelinessChecker } from './timeliness.ts';
import { toUnitFailure, UnitFailure } from './unit-failure.ts';

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
  /** Called every batch with the rows read so far (progress display). */
  onProgress?: (rowsRead: number) => void;
  /** Over these, none of the unit's rows are applied (its rejections are still stored). */
  thresholds?: Thresholds;
  /** A pipeline's field mapping: source header → catalog field code or title, applied before matching. */
  headerMap?: Readonly<Record<string, string>>;
}

export interface UnitResult {
  sourceFileId: number;
  name: string;
  status: 'loaded' | 'failed' | 'failed-threshold';
  counts: OutcomeCounts;
  errorsByCode: Record<string, number>;
  blankLines: number;
  encoding: string | undefined;
  error?: { code: string; message: string };
  durationMs: number;
  /** Where the time went (benchmark stage split): reading through COPY, and the set-based merge. */
  stageMs?: { read: number; merge: number };
  threshold?: ThresholdDecision;
}

/** Reads, normalizes, validates, stages and merges one unit in one transaction. Never throws for bad data. */
export async function loadUnit(warehouse: Warehouse, request: UnitRequest): Promise<UnitResult> {
  const started = Date.now();
  const file: SourceFileRow = {
    runId: request.runId,
    unit: request.unit,
    format: request.format?.name ?? 'rows',
    catalogCode: request.entry.code,
    catalogVersion: request.entry.version,
    providerCode: request.providerCode,
    level: request.level,
    startedAt: new Date(started),
  };
  try {
    return await withUnitTransaction(warehouse, async (session) => {
      const sourceFileId = await startSourceFile(session, file);
      const compiled = compileEntry(request.entry, request.validatorOptions);
      const opened = await openUnitRows(request.unit, request.format, {
        ...request.formatOptions,
        encoding: request.encoding,
      });
      const { rows } = opened;
      const headerMap = request.headerMap ?? {};
      const match = matchHeaders(
        request.entry,
        rows.header.map((header) => headerMap[header] ?? header),
      );
      if (match.problems.length > 0) {
        opened.abort();
        throw new UnitFailure(
          match.problems[0]!.code,
          match.problems.map((problem) => problem.message).join('；'),
        );
      }
      // Before the COPY starts: a missing calendar year throws here, and a connection left in COPY mode
      // could not roll back.
      const stageRow = rowStager(
        compiled,
        match.columns,
        rows.header,
        request.unit.receivedAt,
        rows.serialToDate?.bind(rows),
      );
      await createStageTable(session);
      const copy = new CopyWriter(session.copyFrom(COPY_INTO_STAGE));
      let read = 0;
      const readStarted = Date.now();
      try {
        for await (const batch of rows.batches) {
          for (const row of batch) await copy.write(stageRow(row));
          read += batch.length;
          request.onProgress?.(read);
        }
        await copy.end();
      } catch (error) {
        copy.abort(error as Error);
        throw error;
      }
      const mergeStarted = Date.now();
      const threshold = await checkThreshold(session, request.thresholds, read);
      if (threshold?.exceeded) {
        const stats = { encoding: rows.encoding, blankLines: rows.stats().blankLines, started };
        return holdBackUnit(session, request, sourceFileId, opened.sha256(), stats, threshold);
      }
      const merged = await mergeStaged(session, {
        runId: request.runId,
        sourceFileId,
        catalogCode: request.entry.code,
        catalogVersion: request.entry.version,
        providerCode: request.providerCode,
        level: request.level,
        precedence: request.entry.precedence,
        receivedAt: request.unit.receivedAt,
      });
      const stageMs = { read: mergeStarted - readStarted, merge: Date.now() - mergeStarted };
      const counts: OutcomeCounts = { read, ...merged };
      assertCountsAddUp(counts);
      await request.unit.beforeCommit?.(session);
      const errorsByCode = await finishSourceFile(session, sourceFileId, {
        sha256: opened.sha256(),
        encoding: rows.encoding,
        columns: rows.header.map((header, i) => ({ header, field: match.columns[i] ?? null })),
        counts,
        blankLines: rows.stats().blankLines,
        threshold,
      });
      return {
        sourceFileId,
        name: request.unit.name,
        status: 'loaded' as const,
        counts,
        errorsByCode,
        blankLines: rows.stats().blankLines,
        encoding: rows.encoding,
        durationMs: Date.now() - started,
        stageMs,
        ...(threshold ? { threshold } : {}),
      };
    });
  } catch (error) {
    return failedUnit(warehouse, file, error);
  }
}

/** Records why a unit could not be loaded (after its transaction rolled back) and reports it as failed. */
export async function failedUnit(
  warehouse: Warehouse,
  file: SourceFileRow,
  error: unknown,
): Promise<UnitResult> {
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

/** The per-row work: cells → normalized row → errors, or key, hash and timeliness → one COPY line. */
function rowStager(
  compiled: CompiledEntry,
  columns: (string | undefined)[],
  header: string[],
  unitReceivedAt: Date,
  serialToDate?: (serial: number) => string,
): (row: SourceRow) => string {
  const unitReceivedDate = todayInShanghai(unitReceivedAt);
  const timeliness = timelinessChecker(unitReceivedDate);
  const formationField = compiled.entry.formationDateField;
  const normalizers = columns.map((code) =>
    code === undefined ? undefined : compiled.normalizers.get(code),
  );
  const rawKeys = columns.map((code, i) => code ?? header[i] ?? `column_${i + 1}`);
  const numberStoredCodes = numberStoredCodeCheck(compiled.entry, columns);
  const cellsToNormalize = serialDateCells(compiled.entry, columns, serialToDate);
  return (row) => {
    const raw: Record<string, string> = {};
    for (let i = 0; i < row.cells.length; i++) raw[rawKeys[i] ?? `column_${i + 1}`] = row.cells[i] ?? '';
    if (row.problem) return rejectedLine(row.rowNumber, raw, [row.problem]);
    const lostDigits = numberStoredCodes(row);
    if (lostDigits.length > 0) return rejectedLine(row.rowNumber, raw, lostDigits);
    const data: NormalizedRow = {};
    const cells = cellsToNormalize(row);
    for (let i = 0; i < columns.length; i++) {
      const code = columns[i];
      const normalize = normalizers[i];
      if (code === undefined || normalize === undefined) continue;
      const value = normalize(cells[i] ?? '');
      if (value !== undefined) data[code] = value;
    }
    const problems = compiled.validate(data);
    for (const problem of problems) problem.value = raw[problem.field] ?? problem.value;
    const errors = problems.filter((problem) => !isWarning(problem));
    if (errors.length > 0) return rejectedLine(row.rowNumber, raw, errors);
    const warnings = problems.filter(isWarning);
    const formationDate = data[formationField];
    const formation =
      typeof formationDate === 'string' && isRealIsoDate(formationDate) ? formationDate : undefined;
    const receivedDate = row.receivedAt ? todayInShanghai(row.receivedAt) : unitReceivedDate;
    const { late, workingDays } = formation
      ? timeliness(formation, receivedDate)
      : { late: false, workingDays: undefined };
    const json = canonicalJson(data);
    return validLine({
      rowNumber: row.rowNumber,
      businessKey: compiled.businessKey(data),
      subjectCode: compiled.subjectCode(data),
      contentHash: compiled.contentHash(data),
      formationDate: formation,
      late,
      workingDays,
      receivedAt: row.receivedAt,
      json,
      warnings: warnings.length > 0 ? JSON.stringify(warnings) : undefined,
    });
  };
}
