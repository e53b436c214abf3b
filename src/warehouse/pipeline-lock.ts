import pg from 'pg';
import type { Warehouse } from './connect-warehouse.ts';

export type Locked<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Runs `work` only if no other process (on any machine) holds this pipeline's lock. A session-level
 * PostgreSQL advisory lock on a connection held for the whole run: if the process dies, the server drops the
 * connection and the lock with it, so a crashed scheduler never blocks the pipeline.
 */
export async function withPipelineLock<T>(
  warehouse: Warehouse,
  pipeline: string,
  work: () => Promise<T>,
): Promise<Locked<T>> {
  // A connection of its own, outside the pool: holding pool connections for whole runs could starve the
  // units of concurrently scheduled pipelines.
  const client = new pg.Client(warehouse.client.connectionSettings as pg.ClientConfig);
  client.on('error', () => undefined);
  await client.connect();
  const key = `credit-etl:pipeline:${pipeline}`;
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
      [key],
    );
    if (!rows[0]?.locked) return { acquired: false };
    try {
      return { acquired: true, value: await work() };
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
