import os from 'node:os';
import { type RetryPolicy, retryWithBackoff } from '../../connectors/transports/retry-with-backoff.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { Warehouse } from './connect-warehouse.ts';
import { RUN_ENDING_RETRY, type RunKind } from './runs-repository.ts';

/** Advisory-lock namespace of the scheduler's own jobs (the queue's locks use others). */
const SCHEDULED_JOB_LOCK = 19_101;

/**
 * Runs `work` for one trigger of a scheduler job that records runs of `kind` (the nightly verify, the daily
 * objection check) unless another scheduler has it: N schedulers are harmless. The one that gets the lock holds it
 * while it works; one that comes later for the same trigger finds the run it started (at or after `scheduledAt`)
 * and does nothing. Returns whether this process did the work.
 *
 * A run this process started for the trigger and that did not complete is not another scheduler's: it is an
 * earlier try of this one, stopped by a fault, and the scheduler's retry (retry-trigger.ts) does the work again.
 * When `work` throws, every run it left `running` ends `failed` with the error (the ending retried as a pipeline
 * run's is), so no run stays `running` while the scheduler lives.
 */
export async function onceAcrossSchedulers(
  warehouse: Warehouse,
  kind: RunKind,
  scheduledAt: Date,
  work: () => Promise<void>,
  endingRetry: RetryPolicy = RUN_ENDING_RETRY,
): Promise<boolean> {
  return warehouse.transaction(async (trx) => {
    const lock = await trx.raw<{ rows: { taken: boolean }[] }>(
      'SELECT pg_try_advisory_xact_lock(?, hashtext(?)) AS taken',
      [SCHEDULED_JOB_LOCK, kind],
    );
    if (!lock.rows[0]?.taken) return false;
    const done = await trx('runs')
      .where({ kind })
      .where('started_at', '>=', scheduledAt)
      .whereRaw(
        `NOT (host IS NOT DISTINCT FROM ? AND pid IS NOT DISTINCT FROM ? AND status <> 'completed')`,
        [os.hostname(), process.pid],
      )
      .first('id');
    if (done) return false;
    // An earlier try whose ending failed too (the database was still away) ends now, before this one starts.
    await endOwnRuns(
      warehouse,
      kind,
      scheduledAt,
      'stopped by a fault; the scheduler tried this trigger again',
    );
    try {
      await work();
    } catch (error) {
      await retryWithBackoff(endingRetry, () =>
        endOwnRuns(warehouse, kind, scheduledAt, (error as Error).message),
      ).catch(() => undefined); // left to the next try, or swept as interrupted when this process is gone
      throw error;
    }
    return true;
  });
}

/** This process's runs of `kind` for the trigger still `running` end `failed` with `reason`. */
async function endOwnRuns(warehouse: Warehouse, kind: RunKind, scheduledAt: Date, reason: string) {
  return warehouse('runs')
    .where({ kind, status: 'running', host: os.hostname(), pid: process.pid })
    .where('started_at', '>=', scheduledAt)
    .update({ status: 'failed', error: maskPersonalText(reason), finished_at: warehouse.fn.now() });
}
