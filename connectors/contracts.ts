import type { Readable } from 'node:stream';
import type { RowError } from '../src/validate/row-error.ts';

/**
 * One unit a transport delivers: a file (local, SFTP download) or a batch of table rows. Units are loaded
 * atomically: all of a unit's rows, or none.
 */
export interface SourceUnit {
  /** What people call it in reports: a file name, a remote path, `table@batch`. */
  readonly name: string;
  /** Local path, when the unit is a file on this machine. */
  readonly path?: string;
  readonly sizeBytes?: number;
  /** When the platform received it (Art. 10): the channel's time, else ingestion time. */
  readonly receivedAt: Date;
  /** The bytes; each call opens a fresh stream. */
  open(): Readable;
}

/** A row as read from the source, before any interpretation. Provenance travels with it. */
export interface SourceRow {
  /** The row number a person sees (Excel row, or CSV record counted as Excel would show it; header = 1). */
  readonly rowNumber: number;
  readonly cells: string[];
  /** Set when the row could not be read properly (wrong cell count, bad quotes); the row is rejected. */
  readonly problem?: RowError;
}

/** A unit opened by a format: its header, then its rows in batches (one await per batch, not per row). */
export interface RowStream {
  readonly header: string[];
  /** The encoding the bytes were decoded with (detected when `auto`). */
  readonly encoding: string;
  readonly batches: AsyncIterable<SourceRow[]>;
  /** Counters only known at the end, e.g. blank lines skipped. */
  stats(): { blankLines: number };
}

export const ENCODINGS = ['auto', 'utf8', 'gb18030', 'utf16le', 'utf16be'] as const;
export type Encoding = (typeof ENCODINGS)[number];

export interface FormatOptions {
  encoding: Encoding;
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
    /** Chinese, for the provider: what is wrong, where, and what to do. */
    message: string,
  ) {
    super(message);
  }
}
