/*
 * The reject thresholds as a run and a source file store them (src/run/reject-threshold.ts decides them):
 * here, below src/run, because the runs and source-files repositories store them.
 */

/** When a file has too many bad rows to be trusted, none of its rows are applied (the runner's policy). */
export interface Thresholds {
  /** Largest share of rejected rows (0–1) a file may have and still be applied; above it, nothing is. */
  maxRejectRate: number;
  /** Largest number of rejected rows a file may have and still be applied; `null` = no limit. */
  maxRejected: number | null;
}

/** What the runner decided for one file, stored with it and shown by `runs show`. */
export interface ThresholdDecision extends Thresholds {
  read: number;
  rejected: number;
  rejectRate: number;
  exceeded: boolean;
}
