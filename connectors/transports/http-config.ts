import { RETRY_SCHEMA, type RetryPolicy } from './retry-with-backoff.ts';
import { SECRET_REF_SCHEMA, type SecretRef } from './secret-from-env.ts';

/** How the interface pages: page number + size, offset + limit, or a cursor token from each response. */
export type HttpPaging =
  | { mode: 'page'; pageParam?: string; sizeParam?: string; size?: number; firstPage?: number }
  | { mode: 'offset'; offsetParam?: string; limitParam?: string; size?: number }
  | { mode: 'cursor'; cursorParam?: string; nextCursorPath: string; sizeParam?: string; size?: number };

/** `transport` section of a pipeline that pulls a paged JSON data interface (数据接口). */
export interface HttpTransportConfig {
  type: 'http';
  /** The interface's URL; fixed query parameters may be part of it. */
  url: string;
  paging: HttpPaging;
  /** Dot path of the records array in each response, e.g. `data.list`. Default `data`. */
  recordsPath?: string;
  /** JSON key of a record → catalog field (code or Chinese title). Only these keys are read. */
  columns: Record<string, string>;
  /** Auth header whose value comes from the environment, e.g. `{ header: 'Authorization', prefix: 'Bearer ', value: { env: 'XZCF_TOKEN' } }`. */
  auth?: { header: string; prefix?: string; value: SecretRef };
  /** Per request, headers and body included. Default 30000 ms. */
  timeoutMs?: number;
  /** Larger responses are refused (not retried). Default 20 MiB. */
  maxResponseBytes?: number;
  /** Stop after this many pages in one poll. Default 10000. */
  maxPages?: number;
  retry?: Partial<RetryPolicy>;
}

const NAME = { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' } as const;
const SIZE = { type: 'integer', minimum: 1, maximum: 100_000 } as const;

export const HTTP_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'url', 'paging', 'columns'],
  properties: {
    type: { const: 'http' },
    url: { type: 'string', pattern: '^https?://' },
    paging: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['mode'],
          properties: {
            mode: { const: 'page' },
            pageParam: NAME,
            sizeParam: NAME,
            size: SIZE,
            firstPage: { type: 'integer', minimum: 0 },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['mode'],
          properties: { mode: { const: 'offset' }, offsetParam: NAME, limitParam: NAME, size: SIZE },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['mode', 'nextCursorPath'],
          properties: {
            mode: { const: 'cursor' },
            cursorParam: NAME,
            nextCursorPath: NAME,
            sizeParam: NAME,
            size: SIZE,
          },
        },
      ],
    },
    recordsPath: NAME,
    columns: { type: 'object', minProperties: 1, additionalProperties: { type: 'string', minLength: 1 } },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['header', 'value'],
      properties: { header: NAME, prefix: { type: 'string' }, value: SECRET_REF_SCHEMA },
    },
    timeoutMs: { type: 'integer', minimum: 100 },
    maxResponseBytes: { type: 'integer', minimum: 1024 },
    maxPages: { type: 'integer', minimum: 1 },
    retry: RETRY_SCHEMA,
  },
} as const;
