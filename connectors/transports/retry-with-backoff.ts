import { setTimeout as sleep } from 'node:timers/promises';
import { isInfrastructureFault } from '../infrastructure-fault.ts';

/**
 * How often and how patiently to retry: a transport's network step, or (converted from a pipeline's `retry`) a
 * whole pipeline run. One backoff for both, below.
 */
export interface RetryPolicy {
  /** Tries in total, the first included (1 = no retry). */
  attempts: number;
  /** Delay before the second try; doubles each time, with jitter. */
  baseDelayMs: number;
  /** No single wait is longer than this, a server's Retry-After included. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

/** JSON Schema of a `retry` section in a transport's config. */
export const RETRY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    attempts: { type: 'integer', minimum: 1, maximum: 20 },
    baseDelayMs: { type: 'integer', minimum: 0 },
    maxDelayMs: { type: 'integer', minimum: 0 },
  },
} as const;

/** A failure worth another try (connection lost, timeout, 5xx, 429); `retryAfterMs` is the server's wish. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  /** Read by the one retry policy (connectors/infrastructure-fault.ts). */
  readonly retryable = true;
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * A file that changed while it was loading (`file-changed`): retried like a transport's fault and never recorded
 * against the file, but said as what it is, a delivery still being written, not a network that failed.
 */
export class DeliveryChangedError extends RetryableError {
  readonly side = 'delivery' as const;
  constructor(message: string) {
    super('file-changed', message);
  }
}

/** A failure that another try cannot fix (bad credentials, host key mismatch, 4xx, oversized response). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    /** Stable kebab-case code. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RetryOptions {
  signal?: AbortSignal;
  /** Which errors are worth another try; default: infrastructure faults (RetryableError among them). */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to drop a broken connection. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void | Promise<void>;
}

/**
 * Runs `work` until it succeeds or the policy is spent; waits grow exponentially, capped, with jitter. A stop
 * (`signal`) during a wait ends it with the error that caused the wait: that is what went wrong.
 */
export async function retryWithBackoff<T>(
  policy: RetryPolicy,
  work: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const retryable = options.isRetryable ?? isInfrastructureFault;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !retryable(error) || options.signal?.aborted) throw error;
      const delayMs = backoffDelay(policy, attempt, error);
      await options.onRetry?.(error, attempt, delayMs);
      const stopped = await sleep(delayMs, false, options.signal ? { signal: options.signal } : {}).catch(
        () => true,
      );
      if (stopped) throw error;
    }
  }
}

/** The wait after failed try `attempt`: the server's Retry-After if it gave one, else exponential + jitter. */
export function backoffDelay(policy: RetryPolicy, attempt: number, error?: unknown): number {
  const requested = error instanceof RetryableError ? error.retryAfterMs : undefined;
  if (requested !== undefined) return Math.min(requested, policy.maxDelayMs);
  const exponential = policy.baseDelayMs * 2 ** (attempt - 1);
  // Full jitter on the upper half keeps many clients from retrying in lock-step after an outage.
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  return Math.min(Math.round(jittered), policy.maxDelayMs);
}

export function retryPolicy(config: Partial<RetryPolicy> | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY, ...config };
}
