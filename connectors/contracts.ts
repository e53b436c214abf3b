import type { Readable } from 'node:stream';
import type { Limits } from './limits.ts';
import type { RowError } from './row-error.ts';

/**
 * One unit a transport delivers: a file (local, SFTP download, zip entry) or a batch of table rows. Units are
 * loaded atomically: all of a unit's rows, or none. A unit gives either bytes (`open`, read by a format) or
 * rows (`rows`, from a table or an HTTP interface).
 */
export interface SourceUnit {
  /** What people call it in reports: a file name, a remote path, `table@batch`. */
  readonly name: string;
  /** Local path, when the unit is a file on this machine. */
  readonly path?: string;
  /**
   * Where the bytes are, as plain data: the unit is then loaded in an isolated worker that reopens the bytes from
   * it, not through `open()` (src/run/isolated-unit.ts). A transport that wraps `open()` must drop the locator.
   */
  readonly locator?: UnitLocator;
  readonly sizeBytes?: number;
  /**
   * The file at `path` (an archive for its entries) as it was listed, before a byte of it was read: checked again
   * once the unit's bytes are read, before its rows commit (load-staged.ts). A file written meanwhile (still being
   * copied in, appended to) fails the attempt as changed while it was loading, nothing of it committed.
   */
  readonly listed?: FileListed;
  /** sha256 of the bytes, when the transport knows it before loading (to consult the ledger). */
  readonly sha256?: string;
  /** When the platform received it (Art. 10): the channel's time, else ingestion time. */
  readonly receivedAt: Date;
  /** The bytes; each call opens a fresh stream. */
  open?(): Readable;
  /** The rows, for units that are rows already (header = source column names). */
  rows?(): Promise<RowStream>;
  /** Runs inside the unit's transaction just before commit: e.g. saving a table watermark with its batch. */
  beforeCommit?(commit: UnitCommit): Promise<void>;
}

/** A local file's size and modification time, as `stat` gave them. Plain data (it crosses to a unit's worker). */
export interface FileListed {
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * A file unit's bytes, described so that another thread can open them itself: a file on this machine, the
 * content of a `.gz`, or one entry of a `.zip` (by the offset of its central directory record, read straight
 * from there, and its name to check). Plain JSON data, passed to a unit's worker; never stored.
 */
export type UnitLocator =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'gzip'; readonly path: string }
  | {
      readonly kind: 'zip-entry';
      readonly path: string;
      /** Its position in the central directory, folders included (for people: the entry is found by `record`). */
      readonly index: number;
      readonly entry: string;
      /** The byte offset of its central directory record in the zip. */
      readonly record: number;
    };

export interface PollOptions {
  /** Backfill: only units of this partition day (YYYY-MM-DD), as the transport defines it. */
  partition?: string;
  /**
   * The run's partition day (YYYY-MM-DD), what `{date}` in a transport's path stands for: a pipeline run's
   * (by default yesterday in Asia/Shanghai), a backfill's `partition`. Not a filter by itself.
   */
  partitionDay?: string;
  /** The sha256 ledger: was this content already loaded for this catalog entry? */
  alreadyLoaded(sha256: string): Promise<boolean>;
  /**
   * The run's stop (SIGTERM). A transport that stops itself (no new download after it) reads `signal.aborted`
   * before each unit it has not fetched yet and ends its poll when it is set: the runner takes a poll that read it
   * after the stop and ended as one that left units for the next run (the run ends `interrupted`), and one that
   * ended without reading it as one that had none left (src/pipelines/run-pipeline.ts watchedStop).
   */
  signal?: AbortSignal;
}

/** Where units come from (local drop folder, SFTP, 前置库 table, HTTP interface). */
export interface Transport {
  readonly type: string;
  /** Where it looks, for people: `/srv/drop/2026-11-30`, `sftp://host:22/out/2026-11-30` (partition: backfill day). */
  describe?(partition?: string): string;
  /** Complete, not yet loaded units (a done-marker or a stable size; content never loaded before). */
  poll(options: PollOptions): AsyncIterable<SourceUnit>;
  /** After a unit was loaded or failed: move it aside (processed/, failed/), never delete. */
  settle(unit: SourceUnit, outcome: 'loaded' | 'failed'): Promise<void>;
  close(): Promise<void>;
}

export interface TransportContext {
  /** A local directory for downloads in progress (never ingested until complete). */
  stagingDir: string;
  /** Secrets come from here (variables or files named by them), never from pipeline files. */
  env: NodeJS.ProcessEnv;
  /** The saved watermarks of incremental sources (table transports), kept in the warehouse by the runner. */
  watermarks?: WatermarkStore;
  /** The pipeline the transport reads for: a table transport's default watermark key names it. */
  pipeline?: string;
  /**
   * Where a transport tells the run what it sees but cannot load (table rows without a cursor, a file name it
   * refuses): logged, and kept with the run (`runs show`, the summary), with a stable code when it has one.
   */
  warn?(message: string, code?: string): void;
  /** What only the log needs to hear (a delivery the provider took back before it was read). */
  notice?(message: string): void;
}

/** Ports the engine implements for transports: connectors/ never imports src/. */
export interface WatermarkStore {
  /** The saved position of an incremental source, or undefined before its first batch. */
  read(source: string): Promise<unknown>;
}

/** What a unit may do inside its load transaction, just before commit. */
export interface UnitCommit {
  /**
   * Moves the source's watermark from `from` (undefined: none saved yet) to `to`, with the batch's rows. Fails
   * the unit when the watermark no longer stands at `from` (another batch moved it).
   */
  advanceWatermark(source: string, from: unknown, to: unknown): Promise<void>;
}

/** Creates transports of one type from a pipeline file's `transport` section. */
export interface TransportFactory<Config = unknown> {
  readonly type: string;
  /** JSON Schema of the transport section (validated when a pipeline file is loaded). */
  readonly configSchema: Record<string, unknown>;
  create(config: Config, context: TransportContext): Transport;
}

/** A row as read from the source, before any interpretation. Provenance travels with it. */
export interface SourceRow {
  /** The row number a person sees (Excel row, or CSV record counted as Excel would show it; header = 1). */
  readonly rowNumber: number;
  readonly cells: string[];
  /** Set when the row could not be read properly (wrong cell count, bad quotes); the row is rejected. */
  readonly problem?: RowError;
  /**
   * The cell `problem` is in, when the format can tell (a byte the encoding cannot decode, a CSV cell with text after
   * its closing quote): the runner files the problem under that column's field, as it does a field's own errors,
   * instead of the whole row (`*`).
   */
  readonly problemCell?: number;
  /** When this row reached the platform, if the channel knows it per row (a table's exchange timestamp). */
  readonly receivedAt?: Date;
  /**
   * Indexes of cells the source stored as numbers (Excel numeric cells), when the format knows. The format
   * cannot tell which columns hold codes; the runner rejects a number in an identifier field, because Excel
   * keeps only 15 significant digits and an 18-digit code stored as a number has already lost its tail.
   */
  readonly numberCells?: readonly number[];
  /**
   * Workbooks only: cells with no value to load, an Excel error (`#N/A`, `#REF!`, a formula's error result) or a
   * formula saved without its result. Their text is what the cell shows; the runner rejects the row when one is in
   * a field's column (the format cannot tell which columns are loaded).
   */
  readonly errorCells?: readonly ErrorCell[];
}

/** A workbook cell that shows an error, or would show a formula's result the file does not hold. */
export interface ErrorCell {
  /** The cell's index in `SourceRow.cells`. */
  readonly index: number;
  /**
   * `error`: an error value (`#N/A`); `formula-error`: a formula whose saved result is an error (exceljs' reader
   * keeps no more than that); `no-result`: a formula saved without its result (a file no spreadsheet calculated).
   */
  readonly kind: 'error' | 'formula-error' | 'no-result';
  /** What a rejection quotes: the error (`#N/A`), or the formula (`=VLOOKUP(A2,代码表!A:B,2,0)`). */
  readonly value: string;
}

/** A unit opened by a format: its header, then its rows in batches (one await per batch, not per row). */
export interface RowStream {
  readonly header: string[];
  /**
   * The header's row number as a person sees it (a declared `headerRow`, or below a workbook's title rows), for
   * messages about the header; 1 when unset (rows from a table or an interface have no rows above theirs).
   */
  readonly headerRow?: number;
  /** The encoding the bytes were decoded with (detected when `auto`). */
  readonly encoding: string;
  readonly batches: AsyncIterable<SourceRow[]>;
  /** Counters only known at the end, e.g. blank lines skipped. */
  stats(): { blankLines: number };
  /**
   * Workbooks only: the date an Excel serial number stands for (1900 or 1904 system, as the workbook says), for
   * a date typed into a General-format cell, which arrives as a number.
   */
  serialToDate?(serial: number): string;
  /** Stops reading before the end and lets go of what the format holds open (a workbook's file). */
  close?(): void;
}

export const ENCODINGS = ['auto', 'utf8', 'gb18030', 'utf16le', 'utf16be'] as const;
export type Encoding = (typeof ENCODINGS)[number];

export const DELIMITERS = ['auto', ',', ';', '\t', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

export interface FormatOptions {
  encoding: Encoding;
  /** CSV: the field separator; `auto` (default) picks the one the header line uses most. */
  delimiter?: Delimiter;
  /**
   * XLSX: the sheet, by name or 1-based index; default the first visible sheet whose header `headerFits`
   * accepts, else the first visible sheet with data.
   */
  sheet?: string | number;
  /**
   * XLSX without `sheet`: whether a sheet's header is the one the unit is loaded against (the engine's catalog
   * entry), so that a workbook with a letter or a list before its data sheet (a review notice sent back as it
   * is) is read from the data sheet.
   */
  headerFits?: (header: readonly string[]) => boolean;
  /**
   * XLSX without `sheet`: for a header `headerFits` refuses, whether it is still the entry's with a difference
   * (most of its required columns, or its key columns: an added column, a misspelt name): what differs, in
   * Chinese; undefined for a header that is no data (a notes sheet, a code table). A sheet under such a header
   * with rows is a data sheet too: its rows are not to be left out unseen (`multiple-data-sheets`).
   */
  headerNear?: (header: readonly string[]) => string | undefined;
  /** XLSX: the header's row number; default the fullest of the first rows (title rows above are skipped). */
  headerRow?: number;
  /** Line, cell, cells-per-row and sheet limits, checked while reading; unset ones come from `readLimits()`. */
  limits?: Partial<Limits>;
}

/** Turns bytes into rows. A CSV on SFTP and a CSV on disk share the same format. */
export interface Format {
  readonly name: string;
  open(input: Readable, options: FormatOptions): Promise<RowStream>;
}

/** The unit cannot be read at all (undecodable, unterminated quote, no header): nothing of it is loaded. */
export class FileFormatError extends Error {
  override readonly name = 'FileFormatError';
  constructor(
    /** Stable kebab-case code. */
    readonly code: string,
    /**
     * Chinese, for the provider: what is wrong, where, and what to do. Never a library's own (English) message:
     * that goes in `options.cause`, for the operator (connectors/library-error-text.ts).
     */
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
