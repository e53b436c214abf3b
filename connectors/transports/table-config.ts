import { RETRY_SCHEMA, TransportError } from './retry-with-backoff.ts';

/** `transport` section of a pipeline that pulls a 前置库 table or view (库表交换). */
export interface TableTransportConfig {
  type: 'table';
  /** Environment variable holding the source database URL (`postgres://…`, `mysql://…` or `mariadb://…`). */
  urlEnv: string;
  /** Table or view, optionally schema-qualified (`exchange.xzcf_out`). */
  table: string;
  /**
   * Source column → catalog field (code such as `CF_WSH`, or its Chinese title). Only these columns are read.
   * Without it every column is read under its own name and matched as a file's header is: field codes in any
   * case (`cf_wsh`), the catalog's aliases (`cf_xdr_shxym`), and the pipeline's `ignoreColumns` for an
   * integrator's bookkeeping (`id`, `create_time`, `del_flag`…).
   */
  columns?: Record<string, string>;
  /** Incremental cursor: an update timestamp or increasing id, and a unique tie-breaker for equal cursors. */
  cursor: { column: string; tieBreaker?: string };
  /** Rows per unit (one transaction, one watermark step). Default 5000. */
  batchSize?: number;
  /** Rows per fetch inside a unit; memory is bounded by this. Default 1000. */
  pageSize?: number;
  /** Column with the time the exchange platform delivered each row (Art. 10), if the table has one. */
  receivedAtColumn?: string;
  /** UTC offset of the source's zone-less timestamps. Default `+08:00`. */
  timezone?: string;
  /** Name of this source's watermark. Default `table:<pipeline>:<table>` (table-watermark-key.ts). */
  watermark?: string;
}

const IDENTIFIER = '^[\\p{L}_][\\p{L}\\p{N}_$]{0,62}$';

export const TABLE_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'urlEnv', 'table', 'cursor'],
  properties: {
    type: { const: 'table' },
    urlEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    table: { type: 'string', minLength: 1, maxLength: 130 },
    columns: { type: 'object', minProperties: 1, additionalProperties: { type: 'string', minLength: 1 } },
    cursor: {
      type: 'object',
      additionalProperties: false,
      required: ['column'],
      properties: { column: { type: 'string' }, tieBreaker: { type: 'string' } },
    },
    batchSize: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    pageSize: { type: 'integer', minimum: 1, maximum: 100_000 },
    receivedAtColumn: { type: 'string' },
    timezone: { type: 'string', pattern: '^[+-]\\d{2}:\\d{2}$' },
    watermark: { type: 'string', minLength: 1, maxLength: 200 },
    retry: RETRY_SCHEMA,
  },
} as const;

/**
 * Identifiers come from config and end up in SQL: each part must be a plain name (letters, digits, `_`), and
 * knex quotes it. Values never become SQL text; they are bound parameters.
 */
export function checkIdentifier(name: string, what: string): string {
  const parts = name.split('.');
  const pattern = new RegExp(IDENTIFIER, 'u');
  if (parts.length > 2 || parts.some((part) => !pattern.test(part))) {
    throw new TransportError(
      'invalid-identifier',
      `${what} "${name}" is not a plain table or column name (letters, digits and _ only, optionally schema.name)`,
    );
  }
  return name;
}

/** All identifiers of a table config, checked; throws on the first bad one. */
export function checkTableConfig(config: TableTransportConfig): void {
  checkIdentifier(config.table, 'table');
  checkIdentifier(config.cursor.column, 'cursor.column');
  if (config.cursor.tieBreaker) checkIdentifier(config.cursor.tieBreaker, 'cursor.tieBreaker');
  if (config.receivedAtColumn) checkIdentifier(config.receivedAtColumn, 'receivedAtColumn');
  for (const column of Object.keys(config.columns ?? {})) {
    if (column.includes('.'))
      throw new TransportError('invalid-identifier', `column "${column}" must not be qualified`);
    checkIdentifier(column, 'column');
  }
}
