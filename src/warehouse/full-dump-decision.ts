/*
 * The completeness of a full dump as a source file stores it (src/run/full-dump-check.ts decides it): here,
 * below src/run, because the source-files repository stores it.
 */

/** A pipeline whose every unit is a complete dump of its provider's records for the entry. */
export interface FullDumpRule {
  /**
   * Largest share (0–1) of the previous full dump's records a dump may lack and still be applied; above it the
   * dump is taken for truncated (`truncated-dump`) and nothing of it is applied.
   */
  maxMissingShare: number;
}

export const DEFAULT_FULL_DUMP: FullDumpRule = { maxMissingShare: 0.1 };

/** What the runner found for one full dump, stored with it (`source_files.full_dump`) and shown by `runs show`. */
export interface FullDumpDecision extends FullDumpRule {
  /** The last complete full dump of the same channel (catalog entry, provider, level); null for the first. */
  previousSourceFileId: number | null;
  /** Current records that previous dump delivered (withdrawn ones left out). */
  previousKeys: number;
  /** How many of those this dump does not hold. */
  missingOfPrevious: number;
  missingShare: number;
  exceeded: boolean;
  /**
   * Records listed as missing from this dump (full_dump_missing): what the previous dump held, what was missing
   * from it still, and what the channel delivered since, that this dump does not hold. Set once applied.
   */
  missing?: number;
}
