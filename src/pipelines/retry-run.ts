import { isInfrastructureFault } from '../../connectors/infrastructure-fault.ts';
import { retryWithBackoff } from '../../connectors/transports/retry-with-backoff.ts';
import type { RetryPolicy } from '../pipelines/pipeline-definition.ts';

/** No pause between two attempts of a run is longer than this, however many attempts a pipeline allows. */
const MAX_PAUSE_MS = 15 * 60_000;

export interface RetryHooks {
  signal?: AbortSignal;
  /** Before each pause: which attempt failed, why, and how long until the next. */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

/**
 * A pipeline run's attempts, under the transports' policy and backoff (infrastructure faults are retried,
 * nothing else): `work` again after an infrastructure fault until it succeeds or the attempts are
 * used up, pausing `backoffSeconds` (jittered) and twice that each time after. The error that ends it carries
 * `attempts`, how many were made.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  work: (attempt: number) => Promise<T>,
  hooks: RetryHooks = {},
): Promise<T> {
  let attempts = 0;
  try {
    return await retryWithBackoff(
      { attempts: policy.attempts, baseDelayMs: policy.backoffSeconds * 1000, maxDelayMs: MAX_PAUSE_MS },
      (attempt) => {
        attempts = attempt;
        return work(attempt);
      },
      {
        isRetryable: isInfrastructureFault,
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onRetry: (error, attempt, delayMs) => hooks.onRetry?.(attempt, error, delayMs),
      },
    );
  } catch (error) {
    throw typeof error === 'object' && error !== null
      ? Object.assign(error, { attempts })
      : Object.assign(new Error(String(error)), { attempts });
  }
}
