import type { AlertMessage } from './alert-message.ts';

/** One configured destination; `send` throws on any failure (the deliverer retries and logs). */
export interface AlertChannel {
  name: string;
  type: string;
  send(message: AlertMessage): Promise<void>;
  close?(): Promise<void>;
}

/** A URL fit for a log line: scheme, host and path; the query (robot keys, access tokens) never. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** POST JSON; a non-2xx answer, or a robot's `errcode` other than 0, is a failure. */
export async function postJson(
  url: string,
  body: unknown,
  options: { headers?: Record<string, string>; robot?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...options.headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  }).catch((error: unknown) => {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a DNS error, the timeout) is its cause.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(
      `${redactedUrl(url)} not reached: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  });
  const answer = await response.text();
  if (!response.ok)
    throw new Error(`HTTP ${response.status} from ${redactedUrl(url)}: ${answer.slice(0, 200)}`);
  if (options.robot) {
    let errcode: unknown;
    try {
      ({ errcode } = JSON.parse(answer) as { errcode?: unknown });
    } catch {
      throw new Error(`${redactedUrl(url)} answered with no JSON: ${answer.slice(0, 200)}`);
    }
    if (errcode !== 0) throw new Error(`${redactedUrl(url)} refused the message: ${answer.slice(0, 200)}`);
  }
}
