import type { Readable, Writable } from 'node:stream';
import type { Knex } from 'knex';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { trackActiveUnit } from './active-units.ts';
import type { Warehouse } from './connect-warehouse.ts';

/** The port the load stages use: one connection inside one transaction (no `pg` types outside warehouse/). */
export interface UnitSession {
  query<Row extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a statement for its effect; resolves to the number of rows it wrote. */
  execute(sql: string, params?: unknown[]): Promise<number>;
  /** A `COPY … FROM STDIN` stream; end it and wait for 'finish' before the next query. */
  copyFrom(sql: string): Writable;
  /** A `COPY … TO STDOUT` stream; read it to its end before the next query. */
  copyTo(sql: string): Readable;
}

/**
 * The statements of a session, without COPY: what a repository function shared by a load unit and a command's
 * knex transaction runs (`$n` parameters), e.g. openObjectionOn.
 */
export type StatementSession = Pick<UnitSession, 'query' | 'execute'>;

function statementsOn(client: pg.Client): StatementSession {
  return {
    async query<Row extends object>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as Row[];
    },
    async execute(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rowCount ?? 0;
    },
  };
}

/**
 * The same statements on a knex transaction's connection (a transaction's client hands out that one connection,
 * and releasing it is a no-op): they run in the transaction, as its role, like its other statements. Only a
 * transaction: on the warehouse itself a connection would be taken from the pool and never given back.
 */
export async function transactionSession(trx: Knex.Transaction): Promise<StatementSession> {
  return statementsOn((await trx.client.acquireConnection()) as pg.Client);
}

const TERMINATE_WAIT_MS = 5_000;

/**
 * Runs `work` in one transaction on one connection: a unit is loaded whole or not at all. A crash (even
 * kill -9) leaves nothing, because PostgreSQL rolls back what was never committed. While it runs, a hard stop
 * can roll it back at once (active-units.ts): waiting for `work` would let the unit commit.
 */
export async function withUnitTransaction<T>(
  warehouse: Warehouse,
  work: (session: UnitSession) => Promise<T>,
): Promise<T> {
  const client = (await warehouse.client.acquireConnection()) as pg.Client;
  const session: UnitSession = {
    ...statementsOn(client),
    copyFrom: (sql) => client.query(copyStreams.from(sql)),
    copyTo: (sql) => client.query(copyStreams.to(sql)),
  };
  const untrack = trackActiveUnit(() => abandonTransaction(warehouse, client));
  try {
    await client.query('BEGIN');
    const result = await work(session);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    untrack();
    await warehouse.client.releaseConnection(client);
  }
}

/**
 * Makes the open transaction impossible to commit, now. The socket goes first: no COMMIT can follow, and a
 * COPY in progress ends as the server reads EOF. A statement that is still running (a merge) would only notice
 * when it next writes to the socket, so the server is also told to end that backend; it rolls back and lets go
 * of its locks before this resolves.
 */
async function abandonTransaction(warehouse: Warehouse, client: pg.Client): Promise<void> {
  const backendPid = (client as pg.Client & { processID?: number | null }).processID;
  client.connection.stream.destroy();
  if (!backendPid) return;
  const killer = new pg.Client(warehouse.client.connectionSettings as pg.ClientConfig);
  killer.on('error', () => undefined);
  try {
    await killer.connect();
    // The timeout form (PostgreSQL 14+) waits until the backend is gone; older servers only signal it.
    await killer
      .query('SELECT pg_terminate_backend($1, $2)', [backendPid, TERMINATE_WAIT_MS])
      .catch(() => killer.query('SELECT pg_terminate_backend($1)', [backendPid]));
  } catch {
    // The server is gone or refuses a connection: the destroyed socket already keeps the unit from committing.
  } finally {
    await killer.end().catch(() => undefined);
  }
}
