import type { SourceRow } from '../../connectors/contracts.ts';
import { readLimits } from '../../connectors/limits.ts';
import { isWarning, type RowError } from '../../connectors/row-error.ts';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { timelinessChecker } from '../calendar/timeliness.ts';
import { mayHoldUnstorable } from '../load/copy-text.ts';
import { rejectedLine, validLine } from '../load/stage-lines.ts';
import { isRealIsoDate } from '../normalize/parse-date.ts';
import { serialDateCells } from '../normalize/serial-dates.ts';
import type { NormalizedRow } from '../validate/compile-validator.ts';
import { excelErrorCheck } from '../validate/excel-error-cells.ts';
import { numberStoredCodeCheck } from '../validate/number-stored-codes.ts';
import { cellChecks } from './cell-checks.ts';
import type { CompiledEntry } from './compiled-entry.ts';
import type { FastRedelivery } from './fast-redelivery.ts';
import { type Fingerprint, fingerprintText, type RawFingerprinter } from './raw-fingerprint.ts';
import type { RowSignal, UnitSignals } from './withdrawal-signals.ts';

/** Raw-cell fingerprints of the unit's rows (stored with each valid row), and the fast path that may take rows. */
export interface RowFingerprints {
  fingerprinter: RawFingerprinter;
  redelivery?: FastRedelivery | undefined;
}

/**
 * The per-row work of a unit, compiled once per unit: cells → normalized row → errors, or key, hash and
 * timeliness → one COPY line for the staging table. The hot loop of every load (bench: "row work"), so it
 * allocates little: the raw cells are keyed only for a row that is rejected or has a problem to describe.
 * A row the fast path of a re-delivery takes gives no line (''): it is counted there (fast-redelivery.ts).
 */
export function compileRowStager(
  compiled: CompiledEntry,
  columns: (string | undefined)[],
  header: string[],
  unitReceivedAt: Date,
  serialToDate?: (serial: number) => string,
  maxCellBytes: number = readLimits().maxCellBytes,
  signals?: UnitSignals,
  fingerprints?: RowFingerprints,
): (row: SourceRow) => string {
  const unitReceivedDate = todayInShanghai(unitReceivedAt);
  const timeliness = timelinessChecker();
  const formationField = compiled.entry.formationDateField;
  const keyFields = new Set(compiled.entry.businessKey);
  const fields: { index: number; code: string; normalize: (raw: string) => NormalizedRow[string] }[] = [];
  columns.forEach((code, index) => {
    const normalize = code === undefined ? undefined : compiled.normalizers.get(code);
    if (code !== undefined && normalize) fields.push({ index, code, normalize });
  });
  const rawKeys = columnNames(columns, header);
  // The validator quotes a field's cell as sent (a date serial as the date it shows): asked only for a problem, it
  // reads the row being validated, so a valid row costs one assignment.
  const columnOfField = new Map(fields.map((field) => [field.code, field.index] as const));
  let validatedCells: readonly string[] = [];
  const rawCell = (field: string): string | undefined => {
    const index = columnOfField.get(field);
    return index === undefined ? undefined : validatedCells[index];
  };
  // A value under a column without a header has no field to go to: the row is rejected, never the value dropped.
  const unnamed = header.flatMap((name, i) => (columns[i] === undefined && name.trim() === '' ? [i] : []));
  const valuesWithoutHeader = (cells: string[]): RowError[] =>
    unnamed.flatMap((i) => {
      const value = cells[i]?.trim();
      if (!value) return [];
      const message = `第${i + 1}列没有表头，本行在该列填写了"${value}"，无法归入目录字段：请在表头补上该列的目录列名，或删除该值`;
      return [{ field: columnKey(i), code: 'value-without-header', message, value }];
    });
  // A row that is the header again (exports pasted one under another, a header repeated on every printed page) is
  // no data: one error says so, where its column names would each fail their field's check.
  const namedColumns = columns.flatMap((code, i) => (code !== undefined && header[i]?.trim() ? [i] : []));
  const repeatsHeader = (cells: string[]): boolean =>
    namedColumns.length >= 2 && namedColumns.every((i) => cells[i]?.trim() === header[i]?.trim());
  const repeatedHeader = (row: SourceRow): RowError => ({
    field: '*',
    code: 'repeated-header',
    value: namedColumns
      .slice(0, 3)
      .map((i) => header[i]?.trim())
      .join(','),
    message: `第${row.rowNumber}行与表头相同：表头只能在数据之前出现一次，本行不是数据；文件可能由几次导出拼接而成，请删除该行（或拆分文件）后重新报送`,
  });
  // A problem the format placed in a cell is its column's field's: named so in reports, masked as that field is.
  const problemOf = (row: SourceRow, problem: RowError): RowError =>
    row.problemCell === undefined
      ? problem
      : { ...problem, field: rawKeys[row.problemCell] ?? columnKey(row.problemCell) };
  const rawOf = (row: SourceRow): Record<string, string> => {
    const raw: Record<string, string> = {};
    for (let i = 0; i < row.cells.length; i++) raw[rawKeys[i] ?? columnKey(i)] = row.cells[i] ?? '';
    return raw;
  };
  const numberStoredCodes = numberStoredCodeCheck(compiled.entry, columns);
  const excelErrors = excelErrorCheck(compiled.entry, columns);
  const cellsToNormalize = serialDateCells(compiled.entry, columns, serialToDate);
  const checks = cellChecks(rawKeys, header, maxCellBytes);
  // A rejection is stored as it is read: first the cells that cannot be stored as they are, then the rest.
  const rejected = (row: SourceRow, errors: RowError[], raw = rawOf(row)) =>
    rejectedLine(row.rowNumber, checks.storableRaw(raw), [
      ...checks.problems(row),
      ...errors.map(checks.storableError),
    ]);
  return (row) => {
    if (row.problem) return rejected(row, [problemOf(row, row.problem)]);
    // An Excel error or a formula's missing result: no value, whatever a fingerprint of its text would say.
    const errorValues = excelErrors(row);
    if (errorValues.length > 0) return rejected(row, errorValues);
    // A row with a time of its own or Excel number cells says more than its text: never taken by fingerprint.
    let fingerprint: Fingerprint | undefined;
    if (fingerprints && row.receivedAt === undefined && row.numberCells === undefined) {
      fingerprint = fingerprints.fingerprinter.of(row.cells);
      if (fingerprints.redelivery?.take(fingerprint, row.rowNumber)) return '';
    }
    if (checks.anyTooLong(row)) return rejected(row, []);
    const lostDigits = numberStoredCodes(row);
    if (lostDigits.length > 0) {
      // Each cell as its error stores it: a number taken for an ID Excel destroyed is kept masked in the row too.
      const raw = rawOf(row);
      for (const error of lostDigits) if (error.value !== undefined) raw[error.field] = error.value;
      return rejected(row, lostDigits, raw);
    }
    const data: NormalizedRow = {};
    const cells = cellsToNormalize(row);
    validatedCells = cells;
    for (const field of fields) {
      const value = field.normalize(cells[field.index] ?? '');
      if (value !== undefined) data[field.code] = value;
    }
    // A legacy layout's row becomes a row of the current model before anything reads its key; its source values
    // (当前状态, 数据更新时间戳) are no part of the record's content.
    const derived = compiled.deriveLegacy?.(data);
    // The day the platform received the row (its own time's, else its unit's, computed once): no date the catalog
    // marks x-notFuture may be after it, and timeliness counts to it.
    const receivedDate = row.receivedAt ? todayInShanghai(row.receivedAt) : unitReceivedDate;
    const signal = signals?.read(row.cells);
    if (signal?.kind === 'withdraw') return withdrawal(row, data, signal, receivedDate);
    const problems = derived
      ? [
          ...derived.errors,
          ...compiled
            .validate(data, rawCell, receivedDate)
            .filter((problem) => !derived.unresolved.has(problem.field)),
        ]
      : compiled.validate(data, rawCell, receivedDate);
    const unplaced = unnamed.length > 0 ? valuesWithoutHeader(row.cells) : [];
    let warnings: RowError[] | undefined;
    if (problems.length > 0 || unplaced.length > 0) {
      // Problems name the value as the provider sent it, not as normalized.
      const raw = rawOf(row);
      for (const problem of problems) problem.value = raw[problem.field] ?? problem.value;
      const errors = [...problems.filter((problem) => !isWarning(problem)), ...unplaced];
      if (errors.length > 0) return rejected(row, repeatsHeader(row.cells) ? [repeatedHeader(row)] : errors);
      warnings = problems;
    }
    const formationDate = data[formationField];
    const formation =
      typeof formationDate === 'string' && isRealIsoDate(formationDate) ? formationDate : undefined;
    const { late, workingDays } = formation
      ? timeliness(formation, receivedDate)
      : { late: false, workingDays: undefined };
    const json = compiled.canonicalJson(data);
    const warningsJson = warnings ? JSON.stringify(warnings) : undefined;
    // Only what is stored is checked: a character in a column no field takes is dropped with that column.
    if (mayHoldUnstorable(json) || (warningsJson && mayHoldUnstorable(warningsJson))) {
      if (checks.problems(row).length > 0) return rejected(row, []);
    }
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
      warnings: warningsJson,
      objection: signal?.text,
      fingerprint: fingerprint && fingerprintText(fingerprint),
    });
  };

  /**
   * A row that asks to withdraw its record: only what finds the record must be right (the business-key fields);
   * the rest of it is what the provider takes back, not checked and never loaded.
   */
  function withdrawal(row: SourceRow, data: NormalizedRow, signal: RowSignal, receivedDate: string): string {
    const keyErrors = compiled
      .validate(data, rawCell, receivedDate)
      .filter((problem) => !isWarning(problem) && keyFields.has(problem.field));
    if (keyErrors.length > 0) {
      const raw = rawOf(row);
      for (const problem of keyErrors) problem.value = raw[problem.field] ?? problem.value;
      return rejected(row, keyErrors);
    }
    const json = compiled.canonicalJson(data);
    if (mayHoldUnstorable(json) && checks.problems(row).length > 0) return rejected(row, []);
    return validLine({
      rowNumber: row.rowNumber,
      businessKey: compiled.businessKey(data),
      subjectCode: compiled.subjectCode(data),
      contentHash: compiled.contentHash(data),
      formationDate: undefined,
      late: false,
      workingDays: undefined,
      receivedAt: row.receivedAt,
      // Kept only while the unit loads: a withdrawal that cannot be applied is rejected with it.
      json,
      withdrawal: signal.text,
    });
  }
}

/** What each column is called in a rejected row's raw cells: its field, else its header, else its position. */
export function columnNames(columns: (string | undefined)[], header: readonly string[]): string[] {
  return columns.map((code, i) => code ?? (header[i]?.trim() ? header[i]! : columnKey(i)));
}

/** The key of a column without a field (no header, or rows longer than the header): its position. */
const columnKey = (index: number) => `column_${index + 1}`;
