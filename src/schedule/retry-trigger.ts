import { setTimeout as sleep } from 'node:timers/promises';
import { isInfrastructureFault } from '../../connectors/infrastructure-fault.ts';
import { backoffDelay, type RetryPolicy } from '../../connectors/transports/retry-with-backoff.ts';
import type { Logger } from '../log/logger.ts';

/** Waits between tries of a trigger's work while the database is unreachable. */
export const TRIGGER_RETRY: RetryPolicy = {
  attempts: Number.POSITIVE_INFINITY,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
};

/**
 * A scheduled job's work (the nightly verify, the daily objection check) done again when an infrastructure fault
 * (the database restarting or unreachable) stops it, after a growing pause, until it is done, until a second before
 * the job's next trigger (which does it then), or until the scheduler stops; then the last fault is thrown, for
 * the scheduler to log as the trigger's failure. Any other error is thrown at once.
 */
export async function retryingInfrastructureFaults(
  work: () => Promise<void>,
  trigger: { label: string; nextTrigger: Date | undefined; signal: AbortSignal; log: Logger },
  policy: RetryPolicy = TRIGGER_RETRY,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return;
    } catch (error) {
      if (!isInfrastructureFault(error) || trigger.signal.aborted) throw error;
      const delayMs = backoffDelay(policy, attempt);
      const deadline = trigger.nextTrigger?.getTime();
      if (deadline !== undefined && Date.now() + delayMs > deadline - 1000) throw error;
      trigger.log.warn(
        `${trigger.label}: ${(error as Error).message}: trying again in ${Math.round(delayMs / 1000)} s`,
        { attempt },
      );
      const stopped = await sleep(delayMs, false, { signal: trigger.signal }).catch(() => true);
      if (stopped) throw error;
    }
  }
}
