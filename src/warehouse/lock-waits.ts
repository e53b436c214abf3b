import pg from 'pg';

/**
 * A session of another holding a lock one of a unit's sessions waits for: who it is and for how long it may have
 * held it, never what it runs (its statement may quote data).
 */
export interface LockHolder {
  /** Its backend (pg_stat_activity.pid): what `pg_terminate_backend` would end. */
  pid: number;
  applicationName: string;
  /** `active`, `idle in transaction`…; null when the session is another role's and this login may not see it. */
  state: string | null;
  /**
   * Seconds since its transaction began (a lock is held to its transaction's end, so at most that long), or since
   * it connected when it is in none (a session-level advisory lock); null when it is another role's session.
   */
  heldSeconds: number | null;
  inTransaction: boolean;
}

/** One of a unit's sessions waiting for a lock, what lock, and who holds it. */
export interface LockWait {
  pid: number;
  /** `AccessShareLock on records`, `advisory ExclusiveLock`: the lock asked for, never its key or any data. */
  lock: string;
  holders: LockHolder[];
}

const CHECK_TIMEOUT_MS = 5_000;

/**
 * The sessions opened under `applicationName` (an isolated unit's, unitSessionName) that are waiting for a lock
 * held by a session that is not the unit's own; empty when none waits. On a connection of its own, bounded: a
 * server that does not answer within seconds fails the check rather than hang the unit's ending.
 */
export async function lockWaitsOf(url: string, applicationName: string): Promise<LockWait[]> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'credit-etl lock check',
    connectionTimeoutMillis: CHECK_TIMEOUT_MS,
    statement_timeout: CHECK_TIMEOUT_MS,
    query_timeout: 2 * CHECK_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // No query text: the holder's statement may hold personal data. The unit's own sessions never count as holders.
    const { rows } = await client.query<{
      waiting_pid: number;
      lock: string | null;
      pid: number;
      application_name: string | null;
      state: string | null;
      held_seconds: number | null;
      in_transaction: boolean;
    }>(
      `SELECT w.pid AS waiting_pid,
              (SELECT CASE WHEN l.relation IS NOT NULL THEN l.mode || ' on ' || l.relation::regclass::text
                           ELSE l.locktype || ' ' || l.mode END
                 FROM pg_locks l WHERE l.pid = w.pid AND NOT l.granted LIMIT 1) AS lock,
              b.pid, b.application_name, b.state,
              floor(extract(epoch FROM now() - coalesce(b.xact_start, b.backend_start)))::int AS held_seconds,
              b.xact_start IS NOT NULL AS in_transaction
         FROM pg_stat_activity w
        CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS blocking(pid)
         JOIN pg_stat_activity b ON b.pid = blocking.pid
        WHERE w.application_name = $1 AND w.wait_event_type = 'Lock'
          AND b.application_name IS DISTINCT FROM $1
        ORDER BY w.pid, b.pid`,
      [applicationName],
    );
    const waits = new Map<number, LockWait>();
    for (const row of rows) {
      const wait = waits.get(row.waiting_pid) ?? {
        pid: row.waiting_pid,
        lock: row.lock ?? 'lock',
        holders: [],
      };
      wait.holders.push({
        pid: row.pid,
        applicationName: row.application_name ?? '',
        state: row.state,
        heldSeconds: row.held_seconds,
        inTransaction: row.in_transaction,
      });
      waits.set(row.waiting_pid, wait);
    }
    return [...waits.values()];
  } finally {
    await client.end().catch(() => undefined);
  }
}
