import { setTimeout as sleep } from 'node:timers/promises';
import type { RetryPolicy } from '../pipelines/pipeline-definition.ts';

/** Network errors of Node and the SFTP/HTTP clients: the other side may be back in a minute. */
const RETRYABLE_NODE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
/** PostgreSQL SQLSTATEs worth another try: lock timeout, deadlock, serialization, server shutting down. */
const RETRYABLE_SQLSTATES = new Set(['55P03', '40P01', '40001', '57P01', '57P03', '08006', '08001', '08003']);

/** Retryable (network, lock timeouts) versus fatal (configuration, bad data, bugs): the runner's policy. */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, retryable } = error as { code?: unknown; retryable?: unknown };
  if (retryable === true) return true;
  if (typeof code !== 'string') return false;
  return RETRYABLE_NODE_CODES.has(code) || RETRYABLE_SQLSTATES.has(code);
}

export interface RetryHooks {
  signal?: AbortSignal;
  /** Before each pause: which attempt failed, why, and how long until the next. */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

/** Calls `work` until it succeeds, fails fatally, or the attempts are used up; pauses double each time. */
export async function withRetry<T>(
  policy: RetryPolicy,
  work: (attempt: number) => Promise<T>,
  hooks: RetryHooks = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryable(error) || hooks.signal?.aborted) {
        throw Object.assign(error as object, { attempts: attempt });
      }
      const delayMs = policy.backoffSeconds * 1000 * 2 ** (attempt - 1);
      hooks.onRetry?.(attempt, error, delayMs);
      try {
        await sleep(delayMs, undefined, hooks.signal ? { signal: hooks.signal } : {});
      } catch {
        throw Object.assign(error as object, { attempts: attempt });
      }
    }
  }
}
