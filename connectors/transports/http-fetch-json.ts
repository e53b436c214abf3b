import { RetryableError, TransportError } from './retry-with-backoff.ts';

export interface FetchJsonOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

/** A JSON response and its size. */
export interface JsonResponse {
  body: unknown;
  bytes: number;
}

/**
 * One GET of a JSON document. 5xx, 429, timeouts, dropped connections and malformed JSON are retryable (the
 * next try may succeed); other 4xx and oversized responses are not. The size cap holds while streaming, so an
 * endless body is cut off at the cap rather than filling memory.
 */
export async function fetchJson(url: URL, options: FetchJsonOptions): Promise<JsonResponse> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const where = `${url.origin}${url.pathname}`;
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json', ...options.headers },
      signal,
    });
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel();
      throw new RetryableError(
        'http-status',
        `${where}: HTTP ${response.status}`,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new TransportError(
        'http-status',
        `${where}: HTTP ${response.status}（请检查地址、参数和认证信息）`,
      );
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (declared > options.maxBytes) {
      await response.body?.cancel();
      throw tooLarge(where, options.maxBytes);
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    if (response.body) {
      for await (const chunk of response.body) {
        bytes += chunk.length;
        if (bytes > options.maxBytes) throw tooLarge(where, options.maxBytes);
        chunks.push(Buffer.from(chunk));
      }
    }
    try {
      return { body: JSON.parse(Buffer.concat(chunks).toString('utf8')), bytes };
    } catch (error) {
      throw new RetryableError(
        'malformed-json',
        `${where}: the response is not valid JSON (${(error as Error).message})`,
      );
    }
  } catch (error) {
    if (error instanceof RetryableError || error instanceof TransportError) throw error;
    if (options.signal?.aborted) throw error;
    if (timeout.aborted)
      throw new RetryableError(
        'http-timeout',
        `${where}: no complete response within ${options.timeoutMs} ms`,
      );
    throw new RetryableError('http-unreachable', `${where}: ${(error as Error).message}`);
  }
}

function tooLarge(where: string, maxBytes: number): TransportError {
  return new TransportError('response-too-large', `${where}: the response is larger than ${maxBytes} bytes`);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
