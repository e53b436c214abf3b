import type { Warehouse } from './connect-warehouse.ts';
import type { RunKind } from './runs-repository.ts';

/** Advisory-lock namespace of the scheduler's own jobs (the queue's locks use others). */
const SCHEDULED_JOB_LOCK = 19_101;

/**
 * Runs `work` for one trigger of a scheduler job that records runs of `kind` (the nightly verify, the daily
 * objection check) unless another scheduler has it: N schedulers are harmless. The one that gets the lock holds it
 * while it works; one that comes later for the same trigger finds the run it started (at or after `scheduledAt`)
 * and does nothing. Returns whether this process did the work.
 */
export async function onceAcrossSchedulers(
  warehouse: Warehouse,
  kind: RunKind,
  scheduledAt: Date,
  work: () => Promise<void>,
): Promise<boolean> {
  return warehouse.transaction(async (trx) => {
    const lock = await trx.raw<{ rows: { taken: boolean }[] }>(
      'SELECT pg_try_advisory_xact_lock(?, hashtext(?)) AS taken',
      [SCHEDULED_JOB_LOCK, kind],
    );
    if (!lock.rows[0]?.taken) return false;
    const done = await trx('runs').where({ kind }).where('started_at', '>=', scheduledAt).first('id');
    if (done) return false;
    await work();
    return true;
  });
}
