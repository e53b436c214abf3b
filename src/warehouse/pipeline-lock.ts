import pg from 'pg';
import type { Warehouse } from './connect-warehouse.ts';

/**
 * A pipeline's lock, held by a PostgreSQL session of its own. A session-level advisory lock: if the process dies,
 * the server ends the session and the lock with it, so a crashed scheduler never blocks the pipeline. The same
 * holds when only the session dies (a database restart, the backend terminated, its connection cut) while the
 * process goes on: from that moment another process may take the lock, so `lost` tells the holder at once.
 */
export interface PipelineLock {
  /** Aborted, with a PipelineLockLost as its reason, when the session holding the lock ends. */
  readonly lost: AbortSignal;
  /** Lets the lock go and closes its session (nothing to let go once lost). */
  release(): Promise<void>;
}

/** The session holding a pipeline's lock ended: the lock is gone. An infrastructure fault (retryable). */
export class PipelineLockLost extends Error {
  override readonly name = 'PipelineLockLost';
  /** Read by the one retry policy (connectors/infrastructure-fault.ts): not a fault of any file. */
  readonly retryable = true;
  readonly side = 'database';
  constructor(pipeline: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `the database session holding pipeline ${pipeline}'s lock ended (${reason}): this attempt stops, and the ` +
        'lock is taken again before the next one',
      { cause },
    );
  }
}

/** Takes the pipeline's lock, or returns undefined when another session (any process, any machine) holds it. */
export async function tryPipelineLock(
  warehouse: Warehouse,
  pipeline: string,
): Promise<PipelineLock | undefined> {
  // A connection of its own, outside the pool: holding pool connections for whole runs could starve the
  // units of concurrently scheduled pipelines. TCP keepalives let this side notice a dead connection (minutes)
  // long before the server does (its default: two hours) and lets the lock go.
  const client = new pg.Client({
    ...(warehouse.client.connectionSettings as pg.ClientConfig),
    application_name: `credit-etl pipeline lock ${pipeline}`,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  const lost = new AbortController();
  let released = false;
  const onLost = (cause: unknown) => {
    if (!released && !lost.signal.aborted) lost.abort(new PipelineLockLost(pipeline, cause));
  };
  client.on('error', onLost);
  client.on('end', () => onLost(new Error('connection closed')));
  const close = async () => {
    released = true;
    await client.end().catch(() => undefined);
  };
  try {
    await client.connect();
    // The session idles for the whole run: a server-wide idle_session_timeout (PostgreSQL 14+) would end it.
    await client.query('SET idle_session_timeout = 0').catch(() => undefined);
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
      [lockKey(pipeline)],
    );
    if (!rows[0]?.locked) {
      await close();
      return undefined;
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    lost: lost.signal,
    async release() {
      if (!lost.signal.aborted) {
        await client
          .query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey(pipeline)])
          .catch(() => undefined);
      }
      await close();
    },
  };
}

const lockKey = (pipeline: string) => `credit-etl:pipeline:${pipeline}`;
