import os from 'node:os';
import pg from 'pg';
import { maskPersonalText } from '../log/mask-personal-data.ts';
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
  // units of concurrently scheduled pipelines. TCP keepalives on both sides: this one notices a dead connection
  // within minutes, and the server (tcp_keepalives_* set on the session, as the worker's liveness session does;
  // its default is two hours) ends the session of a lost machine within about two minutes, letting the lock go.
  const client = new pg.Client({
    ...(warehouse.client.connectionSettings as pg.ClientConfig),
    // Who holds it, readable by any role (pg_stat_activity hides the rest of another role's session): the process
    // first, as PostgreSQL cuts the name at 63 bytes. The pipeline's name may hold an ID number (pg_stat_activity and
    // the server's log show it to whoever reads them): masked.
    application_name: `credit-etl lock ${process.pid}@${os.hostname()} ${maskPersonalText(pipeline)}`,
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
    // A machine lost while holding the lock (power, network): the server probes after 30 s idle, every 10 s, and
    // drops the session after 6 unanswered probes. Without this the lock blocks the pipeline for two hours.
    await client.query(
      'SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 6',
    );
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

/** The database session holding a pipeline's lock: the run going on elsewhere, or a process hung while holding it. */
export interface PipelineLockHolder {
  /** The holding session's backend (pg_stat_activity.pid): what `pg_terminate_backend` would end. */
  backendPid: number;
  /** The engine's process holding it, from the session's name; undefined for a session of something else. */
  process?: { pid: number; host: string };
  /**
   * When that session began (a lock's session is opened to take it, so about when the lock was taken); null when
   * the session is another role's and this one may not read all statistics.
   */
  since: Date | null;
}

/**
 * Who holds the pipeline's lock now, seen from the server's lock table; undefined when no session does. A session
 * of another role shows only its backend pid unless this one may read all statistics.
 */
export async function pipelineLockHolder(
  warehouse: Warehouse,
  pipeline: string,
): Promise<PipelineLockHolder | undefined> {
  // A one-argument advisory lock is listed with the key's high 32 bits as classid and its low 32 as objid.
  const { rows } = await warehouse.raw<{
    rows: { pid: number; backend_start: Date | null; application_name: string | null }[];
  }>(
    `SELECT l.pid, a.backend_start, a.application_name
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = ((hashtext(?)::bigint >> 32) & 4294967295)::oid
        AND l.objid = (hashtext(?)::bigint & 4294967295)::oid`,
    [lockKey(pipeline), lockKey(pipeline)],
  );
  const held = rows[0];
  if (!held) return undefined;
  const named = /^credit-etl lock (\d+)@(\S+)/.exec(held.application_name ?? '');
  return {
    backendPid: held.pid,
    ...(named ? { process: { pid: Number(named[1]), host: named[2]! } } : {}),
    since: held.backend_start,
  };
}

const lockKey = (pipeline: string) => `credit-etl:pipeline:${pipeline}`;
