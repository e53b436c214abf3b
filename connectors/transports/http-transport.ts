import { createHash } from 'node:crypto';
import type { PollOptions, SourceRow, SourceUnit, Transport, TransportFactory } from '../contracts.ts';
import { cellText } from './cell-text.ts';
import { HTTP_CONFIG_SCHEMA, type HttpTransportConfig } from './http-config.ts';
import { fetchJson } from './http-fetch-json.ts';
import { retryPolicy, retryWithBackoff, TransportError } from './retry-with-backoff.ts';
import { readSecret } from './secret-from-env.ts';

/**
 * 数据接口: pulls a paged JSON interface. Each page is one unit (loaded whole or not at all); a page whose
 * records were loaded before (same sha256 of its records) is not loaded again.
 */
export const httpTransportFactory: TransportFactory<HttpTransportConfig> = {
  type: 'http',
  configSchema: HTTP_CONFIG_SCHEMA,
  create(config, context) {
    const headers: Record<string, string> = {};
    if (config.auth) {
      const secret = readSecret(config.auth.value, context.env, `http auth header ${config.auth.header}`);
      headers[config.auth.header] = `${config.auth.prefix ?? ''}${secret ?? ''}`;
    }
    return new HttpTransport(config, headers);
  },
};

class HttpTransport implements Transport {
  readonly type = 'http';
  private readonly keys: string[];

  constructor(
    private readonly config: HttpTransportConfig,
    private readonly headers: Record<string, string>,
  ) {
    this.keys = Object.keys(config.columns);
  }

  /** The interface's address (secrets travel in headers, never in the configured URL). */
  describe(): string {
    return this.config.url;
  }

  async *poll(options: PollOptions): AsyncIterable<SourceUnit> {
    const { paging } = this.config;
    const size = paging.size ?? 500;
    const policy = retryPolicy(this.config.retry);
    let page = paging.mode === 'page' ? (paging.firstPage ?? 1) : 0;
    let offset = 0;
    let cursor: string | undefined;
    for (let n = 1; n <= (this.config.maxPages ?? 10_000); n++) {
      // Stopping (SIGTERM): no page is fetched after it; the pages left wait for the next run. Not looked at after
      // the last page (one shorter than the page size, or without a next cursor): a stop during it leaves the run
      // as its pages ended (connectors/contracts.ts PollOptions.signal).
      if (options.signal?.aborted) return;
      const url = new URL(this.config.url);
      if (paging.mode === 'page') {
        url.searchParams.set(paging.pageParam ?? 'page', String(page));
        url.searchParams.set(paging.sizeParam ?? 'size', String(size));
      } else if (paging.mode === 'offset') {
        url.searchParams.set(paging.offsetParam ?? 'offset', String(offset));
        url.searchParams.set(paging.limitParam ?? 'limit', String(size));
      } else {
        if (cursor !== undefined) url.searchParams.set(paging.cursorParam ?? 'cursor', cursor);
        if (paging.sizeParam) url.searchParams.set(paging.sizeParam, String(size));
      }
      const fetched = await retryWithBackoff(
        policy,
        () =>
          fetchJson(url, {
            headers: this.headers,
            timeoutMs: this.config.timeoutMs ?? 30_000,
            maxBytes: this.config.maxResponseBytes ?? 20 * 1024 * 1024,
            ...(options.signal ? { signal: options.signal } : {}),
          }),
        options.signal ? { signal: options.signal } : {},
      ).catch((error: unknown) => {
        // The stop itself, while the page was being fetched: the request is dropped, the page waits for the next
        // run. (A fault the stop cut a retry's wait short after is thrown on: that is what went wrong.)
        if (options.signal?.aborted && error === options.signal.reason) return undefined;
        throw error;
      });
      if (!fetched) return;
      const { body } = fetched;
      const records = valueAt(body, this.config.recordsPath ?? 'data');
      if (!Array.isArray(records)) {
        throw new TransportError(
          'unexpected-json',
          `${url.origin}${url.pathname}: no records array at "${this.config.recordsPath ?? 'data'}"`,
        );
      }
      if (records.length === 0) return;
      const sha256 = createHash('sha256').update(JSON.stringify(records)).digest('hex');
      if (!(await options.alreadyLoaded(sha256))) yield this.unit(records, sha256, `${url.pathname} #${n}`);
      if (paging.mode === 'cursor') {
        const next = valueAt(body, paging.nextCursorPath);
        if (next === undefined || next === null || next === '') return;
        cursor = String(next);
      } else {
        if (records.length < size) return;
        page++;
        offset += records.length;
      }
    }
  }

  /** Pages are not files: nothing to move aside. */
  async settle(): Promise<void> {}

  async close(): Promise<void> {}

  private unit(records: unknown[], sha256: string, label: string): SourceUnit {
    const header = this.keys.map((key) => this.config.columns[key] ?? key);
    const rows: SourceRow[] = records.map((record, i) => ({
      rowNumber: i + 1,
      cells: this.keys.map((key) =>
        record !== null && typeof record === 'object'
          ? cellText((record as Record<string, unknown>)[key])
          : '',
      ),
    }));
    return {
      name: `${new URL(this.config.url).host}${label}`,
      sha256,
      receivedAt: new Date(),
      rows: async () => ({
        header,
        encoding: 'utf8',
        batches: (async function* () {
          yield rows;
        })(),
        stats: () => ({ blankLines: 0 }),
      }),
    };
  }
}

/** The value at a dot path (`data.list`) of a parsed JSON document. */
function valueAt(document: unknown, dotPath: string): unknown {
  let value = document;
  for (const key of dotPath.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
