import type { Encoding, Format, FormatOptions, SourceUnit } from '../../connectors/contracts.ts';
import type { CatalogEntry, ChannelLevel } from '../catalog/catalog-entry.ts';
import type { Lookups } from '../normalize/derive-legacy-row.ts';
import type { ValidatorOptions } from '../validate/compile-validator.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { FastPathUnusable } from '../warehouse/fingerprint-cache-repository.ts';
import type { OutcomeCounts } from '../warehouse/outcome-counts.ts';
import type { ObjectionOnUpdatedRecord } from '../warehouse/provider-objections-repository.ts';
import type { EarlierLoad } from '../warehouse/source-files-repository.ts';
import type { ChunkHelpers } from './chunk-settings.ts';
import type { FullDumpDecision, FullDumpRule } from './full-dump-check.ts';
import { loadStaged, ThresholdAfterEarlyMerge } from './load-staged.ts';
import type { ProviderObjections } from './provider-objections.ts';
import type { ThresholdDecision, Thresholds } from './reject-threshold.ts';
import { stageUnitRows } from './stage-unit-rows.ts';
import type { OlderVersionRead } from './unit-header.ts';
import type { WithdrawalSignals } from './withdrawal-signals.ts';

/** What a unit is doing: reading (and checking) rows, or merging them into the warehouse. */
export type UnitPhase = 'read' | 'merge';

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
  /**
   * Called every batch with the rows read so far, then once with `merge` when all are read and the merge into
   * the warehouse begins (progress display).
   */
  onProgress?: (rowsRead: number, phase?: UnitPhase) => void;
  /** Over these, none of the unit's rows are applied (its rejections are still stored). */
  thresholds?: Thresholds;
  /** A pipeline's field mapping: source header → catalog field code or title, applied before matching. */
  headerMap?: Readonly<Record<string, string>>;
  /**
   * The entry's other versions a header may select (a legacy layout such as the 2016 双公示 one); none when the
   * pipeline names its version.
   */
  otherVersions?: readonly CatalogEntry[];
  /** A pipeline's integrator bookkeeping columns (id, create_time, del_flag…): read by no field, never unknown. */
  ignoreColumns?: readonly string[];
  /** A pipeline's tables for a legacy layout's `lookup` derivations (e.g. 处罚机关 → its USCC). */
  lookups?: Lookups;
  /** Load even content the sha256 ledger has seen (`ingest --force`); recorded as a forced reload. */
  force?: boolean;
  /**
   * What reads the unit besides the entry version its header picks: its run's reading fingerprint
   * (reading-fingerprint.ts, stored as `runs.options.reading`). The ledger skips only bytes the channel's latest
   * load read this same way; without one, nothing is skipped.
   */
  reading?: string;
  /** A pipeline's withdrawal signals: rows that say 撤销 withdraw their records instead of loading. */
  withdrawals?: WithdrawalSignals;
  /**
   * The unit is a withdrawal list (a 撤销清单 file, a withdrawal table's batch): every row withdraws the record its
   * business key names; this is the evidence its rows carry (`撤销清单`). Only the key columns are needed.
   */
  withdrawalList?: string;
  /** The unit is a complete dump of the channel's records: checked against the previous one. */
  fullDump?: FullDumpRule;
  /** Who helps with a big file's chunks (a worker's job queue); none: a chunked file is staged by this worker. */
  chunkHelpers?: ChunkHelpers;
  /** One lineage row for every delivered row, no compact runs (`CREDIT_ETL_FULL_LINEAGE=1`). */
  fullLineage?: boolean;
  /** `false`: no row is taken by fingerprint (`CREDIT_ETL_FAST_REDELIVERY=0`); fast-redelivery.ts. */
  fastRedelivery?: boolean;
  /** `false`: rows are taken by fingerprint only once parsed, the file's bytes not skimmed (csv-skim.ts). */
  skim?: boolean;
  /** Rows between two early merges (`CREDIT_ETL_MERGE_WHILE_READING`; early-merges.ts); 0 or none: off. */
  mergeWhileReading?: number;
}

export interface UnitResult {
  sourceFileId: number;
  name: string;
  status: 'loaded' | 'failed' | 'failed-threshold' | 'skipped';
  counts: OutcomeCounts;
  errorsByCode: Record<string, number>;
  blankLines: number;
  encoding: string | undefined;
  /** Why the unit failed, in the provider's words (stored in source_files, shown on the direct-report page). */
  error?: { code: string; message: string };
  /**
   * The original error behind `error` when its message does not quote it (internal-error, unit-crashed,
   * unreadable-file): for the log and the run's error (operators), never for a summary or page a provider reads.
   */
  operatorDetail?: string;
  durationMs: number;
  /** Where the time went (benchmark stage split): reading through COPY, and the set-based merge. */
  stageMs?: { read: number; merge: number };
  threshold?: ThresholdDecision;
  /** The earlier load with the same content: why this unit was skipped, or what a forced reload repeated. */
  sameContentAs?: EarlierLoad;
  /** A loaded unit's digest of what it added (source_files.digest), logged so an operator can keep it elsewhere. */
  digest?: string;
  /** Its second digest (source_files.digest_v2, 043), as the database set it: logged with the first. */
  digestV2?: string;
  /** A full dump's completeness: the previous dump, what of it is missing, how many records are listed missing. */
  fullDump?: FullDumpDecision;
  /** Rows whose 当前状态 said 异议: the objections they opened. */
  providerObjections?: ProviderObjections;
  /**
   * Records the unit updated while an objection on them is in progress: the provider's corrected delivery may
   * settle it (`objection close --version`), which only an officer can decide.
   */
  objectionsUpdated?: ObjectionOnUpdatedRecord[];
  /** Rows the fast path of a re-delivery took by fingerprint (fast-redelivery.ts); 0 when it was not used. */
  fastRows?: number;
  /** New records written while the unit was read (merge-while-reading.ts); 0 when none were. */
  mergedWhileReading?: number;
  /** Read by an older version of the entry than the one in force on its received day: what the summary tells. */
  olderVersion?: OlderVersionRead;
}

/** Reads, normalizes, validates, stages and merges one unit in one transaction. Never throws for bad data. */
export async function loadUnit(warehouse: Warehouse, request: UnitRequest): Promise<UnitResult> {
  let attempt = request;
  for (;;) {
    try {
      return await loadStaged(warehouse, attempt, (session, file) => stageUnitRows(session, attempt, file));
    } catch (error) {
      if (error instanceof ThresholdAfterEarlyMerge) {
        // Rolled back whole: read again with every row merged at the end, so the hold-back applies nothing.
        attempt = { ...attempt, mergeWhileReading: 0 };
        continue;
      }
      if (!(error instanceof FastPathUnusable) || attempt.fastRedelivery === false) throw error;
      // Rolled back whole: the same unit again, its rows parsed (the skim gave up), or every row on the full path.
      attempt =
        error.skimOnly && attempt.skim !== false
          ? { ...attempt, skim: false }
          : { ...attempt, fastRedelivery: false };
    }
  }
}
