import type { Writable } from 'node:stream';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { Warehouse } from './connect-warehouse.ts';

/** The port the load stages use: one connection inside one transaction (no `pg` types outside warehouse/). */
export interface UnitSession {
  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a statement for its effect; resolves to the number of rows it wrote. */
  execute(sql: string, params?: unknown[]): Promise<number>;
  /** A `COPY … FROM STDIN` stream; end it and wait for 'finish' before the next query. */
  copyFrom(sql: string): Writable;
}

/**
 * Runs `work` in one transaction on one connection: a unit is loaded whole or not at all. A crash (even
 * kill -9) leaves nothing, because PostgreSQL rolls back what was never committed.
 */
export async function withUnitTransaction<T>(
  warehouse: Warehouse,
  work: (session: UnitSession) => Promise<T>,
): Promise<T> {
  const client = (await warehouse.client.acquireConnection()) as pg.Client;
  const session: UnitSession = {
    async query<Row extends object>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as Row[];
    },
    async execute(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rowCount ?? 0;
    },
    copyFrom: (sql) => client.query(copyStreams.from(sql)),
  };
  try {
    await client.query('BEGIN');
    const result = await work(session);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await warehouse.client.releaseConnection(client);
  }
}
