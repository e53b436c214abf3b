import { type Command, Option } from 'commander';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../run/reject-threshold.ts';
import type { RunStatus } from '../warehouse/runs-repository.ts';
import { EXIT, UsageError } from './exit-codes.ts';

export interface ThresholdFlags {
  maxRejectRate?: string;
  maxRejected?: string;
}

/** `--max-reject-rate` and `--max-rejected`, shared by `ingest`, `run` and `backfill`. */
export function thresholdOptions(): [Option, Option] {
  return [
    new Option(
      '--max-reject-rate <share>',
      `a file with a larger share of rejected rows (0–1) is not applied (default ${DEFAULT_THRESHOLDS.maxRejectRate})`,
    ),
    new Option('--max-rejected <n>', 'a file with more rejected rows is not applied'),
  ];
}

export function addThresholdOptions(command: Command): Command {
  for (const option of thresholdOptions()) command.addOption(option);
  return command;
}

/** The flags over `base` (a pipeline's thresholds, else the defaults). */
export function thresholdsFrom(flags: ThresholdFlags, base: Thresholds = DEFAULT_THRESHOLDS): Thresholds {
  const thresholds = { ...base };
  if (flags.maxRejectRate !== undefined) {
    const rate = Number(flags.maxRejectRate);
    if (!(rate >= 0 && rate <= 1))
      throw new UsageError(
        `--max-reject-rate ${flags.maxRejectRate} is not a share between 0 and 1, e.g. 0.2`,
      );
    thresholds.maxRejectRate = rate;
  }
  if (flags.maxRejected !== undefined) {
    const count = Number(flags.maxRejected);
    if (!Number.isInteger(count) || count < 0)
      throw new UsageError(`--max-rejected ${flags.maxRejected} is not a whole number ≥ 0`);
    thresholds.maxRejected = count;
  }
  return thresholds;
}

/** The exit code for a run's status: a threshold stop is 3, so scripts can tell it from a broken file. */
export function exitCodeForRun(status: RunStatus): number {
  if (status === 'completed') return EXIT.ok;
  if (status === 'failed-threshold') return EXIT.threshold;
  if (status === 'interrupted') return EXIT.interrupted;
  return EXIT.failed;
}
