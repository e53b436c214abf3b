/**
 * How much one unit may cost before it is refused: checked while streaming, before memory grows, so a bomb or a
 * runaway line fails its own unit (with a specific code) and never the process. Every limit is an environment
 * variable (README "Configuration"); the defaults leave room for the largest real deliveries measured in the
 * bench (a 1 GB CSV, a 200,000-row workbook).
 */
export interface Limits {
  /** `CREDIT_ETL_MAX_EXPANDED_BYTES`: bytes one archive entry (zip entry, .gz content) may expand to. */
  maxExpandedBytes: number;
  /** `CREDIT_ETL_MAX_EXPANSION_RATIO`: expanded ÷ compressed bytes of one entry, checked once past 1 MiB expanded. */
  maxExpansionRatio: number;
  /**
   * `CREDIT_ETL_MAX_ARCHIVE_ENTRIES`: files one `.zip` may hold (folders and macOS `__MACOSX/` forks not
   * counted), counted while its central directory is listed: an archive over it is refused whole.
   */
  maxArchiveEntries: number;
  /** `CREDIT_ETL_MAX_LINE_BYTES`: bytes of one CSV record (quoted line breaks included). */
  maxLineBytes: number;
  /** `CREDIT_ETL_MAX_CELL_BYTES`: bytes of one cell, CSV or XLSX. */
  maxCellBytes: number;
  /** `CREDIT_ETL_MAX_CELLS_PER_ROW`: cells in one row. */
  maxCellsPerRow: number;
  /** `CREDIT_ETL_MAX_SHEET_XML_BYTES`: expanded bytes of one worksheet's XML (and of its shared strings). */
  maxSheetXmlBytes: number;
  /** `CREDIT_ETL_UNIT_TIMEOUT_S`: seconds one unit may take to read, check and load. */
  unitTimeoutSeconds: number;
  /** `CREDIT_ETL_UNIT_HEAP_MB`: the heap cap of the isolated worker that reads one unit. */
  unitHeapMb: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxExpandedBytes: 4096 * MiB,
  maxExpansionRatio: 200,
  // Every entry becomes a unit (a source_files row, a worker, a ledger check): ~0.15 s each even when empty, so
  // 1,000 entries is a run of minutes at most. A delivery is one file per catalog entry and period (a city
  // bundling its departments' files sends tens, at most a few hundred), so 1,000 leaves room for every real
  // one, while a small zip of thousands of tiny files (2,000 in 0.9 MB took 303 s) is refused before any is read.
  maxArchiveEntries: 1000,
  maxLineBytes: 4 * MiB,
  maxCellBytes: 1 * MiB,
  maxCellsPerRow: 1000,
  maxSheetXmlBytes: 1024 * MiB,
  unitTimeoutSeconds: 3600,
  unitHeapMb: 192,
};

const VARIABLES: Readonly<Record<keyof Limits, string>> = {
  maxExpandedBytes: 'CREDIT_ETL_MAX_EXPANDED_BYTES',
  maxExpansionRatio: 'CREDIT_ETL_MAX_EXPANSION_RATIO',
  maxArchiveEntries: 'CREDIT_ETL_MAX_ARCHIVE_ENTRIES',
  maxLineBytes: 'CREDIT_ETL_MAX_LINE_BYTES',
  maxCellBytes: 'CREDIT_ETL_MAX_CELL_BYTES',
  maxCellsPerRow: 'CREDIT_ETL_MAX_CELLS_PER_ROW',
  maxSheetXmlBytes: 'CREDIT_ETL_MAX_SHEET_XML_BYTES',
  unitTimeoutSeconds: 'CREDIT_ETL_UNIT_TIMEOUT_S',
  unitHeapMb: 'CREDIT_ETL_UNIT_HEAP_MB',
};

/**
 * Floors below which a limit cannot work. A unit worker's own modules take ~20 MB of heap before it reads a row: a
 * cap just above that passes the start and then fails every file as `unit-out-of-memory`, quarantining files
 * that are fine (measured: 17–18 MB failed a 300-row file; the tests' smallest working cap is 64 MB).
 */
const MINIMUMS: Readonly<Partial<Record<keyof Limits, number>>> = { unitHeapMb: 64 };

/** The limits in force: each variable that is set must be a positive whole number, at least its floor. */
export function readLimits(env: NodeJS.ProcessEnv = process.env): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(VARIABLES) as (keyof Limits)[]) {
    const text = env[VARIABLES[key]]?.trim();
    if (!text) continue;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new LimitsError(`${VARIABLES[key]}=${text} is not a positive whole number`);
    }
    const floor = MINIMUMS[key];
    if (floor !== undefined && value < floor) {
      throw new LimitsError(`${VARIABLES[key]}=${text} is below ${floor}, the least a unit can work with`);
    }
    limits[key] = value;
  }
  return limits;
}

export class LimitsError extends Error {
  override readonly name = 'LimitsError';
}
