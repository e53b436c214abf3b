import { inspect } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { TransportError } from './retry-with-backoff.ts';

/** What the pool's afterCreate gets from mysql2: a connection that runs a statement with a callback. */
interface MysqlConnection {
  query(sql: string, callback: (error: Error | null) => void): void;
}

export { cellText } from './cell-text.ts';

// Timestamps, dates, bigints and decimals arrive as the database's own text: a cursor read back as a JS Date
// would lose microseconds, and the next batch would repeat or skip rows sharing the millisecond.
const RAW_TEXT_TYPES = new Set([
  pg.types.builtins.TIMESTAMP,
  pg.types.builtins.TIMESTAMPTZ,
  pg.types.builtins.DATE,
  pg.types.builtins.INT8,
  pg.types.builtins.NUMERIC,
]);

/**
 * A knex connection to the source (前置库) database named by a URL; PostgreSQL or MySQL/MariaDB. Typed values
 * arrive as text (source-value.ts): MySQL's DECIMAL as a string, never a float, and its TIMESTAMP columns in the
 * source's zone `offset` (the session's time_zone), as its DATETIME columns are written. knex's own messages
 * (`Acquire connection error: …` with a stack, `Connection Error: …`) go to `say` (default stderr), never to
 * stdout, where `run --json` writes its JSON.
 */
export function connectSource(
  url: string,
  offset = '+08:00',
  say: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Knex {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TransportError('invalid-source-url', 'the source database URL is not a URL');
  }
  const pool = { min: 0, max: 2 };
  const log = knexLog(say);
  if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') {
    return knexFactory({
      client: 'pg',
      connection: {
        connectionString: url,
        application_name: 'credit-etl-source',
        types: {
          getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
            RAW_TEXT_TYPES.has(oid)
              ? (value: string) => value
              : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
        },
      } as Knex.PgConnectionConfig,
      log,
      pool,
    });
  }
  if (parsed.protocol === 'mysql:' || parsed.protocol === 'mariadb:') {
    return knexFactory({
      client: 'mysql2',
      connection: {
        host: parsed.hostname,
        port: Number(parsed.port || 3306),
        user: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
        database: decodeURIComponent(parsed.pathname.slice(1)),
        charset: 'utf8mb4',
        dateStrings: true,
        decimalNumbers: false,
        supportBigNumbers: true,
        bigNumberStrings: true,
      },
      log,
      pool: {
        ...pool,
        afterCreate(connection: MysqlConnection, done: (error: Error | null, connection: unknown) => void) {
          connection.query(`SET time_zone = '${offset}'`, (error) => done(error, connection));
        },
      },
    });
  }
  throw new TransportError(
    'invalid-source-url',
    `source database protocol ${parsed.protocol} is not supported (postgres://, mysql:// or mariadb://)`,
  );
}

/**
 * knex's logger, whose default writes with console.log onto stdout. A source's fault itself reaches the run as
 * an error (table-transport.ts: `source-connection`); knex's lines about it are for the log only.
 */
function knexLog(say: (line: string) => void): Knex.Config['log'] {
  const line = (level: string) => (message: unknown) =>
    say(
      `knex ${level} (source database): ${typeof message === 'string' ? message : inspect(message, { depth: 5 })}`,
    );
  return {
    warn: line('warning'),
    error: line('error'),
    deprecate: line('deprecation'),
    debug: line('debug'),
  };
}

/**
 * A database timestamp's text (`2026-11-20 10:00:00.123456`, optionally with `+08`/`+08:00`/`Z`) as a Date;
 * zone-less times are in `timezone`. Undefined when it is not a timestamp.
 */
export function parseDatabaseTime(text: string, timezone: string): Date | undefined {
  const match =
    /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      text.trim(),
    );
  if (!match) return undefined;
  const [, date, time = '00:00:00', fraction = '', zone] = match;
  let offset = timezone;
  if (zone === 'Z') offset = 'Z';
  else if (zone) offset = zone.length === 3 ? `${zone}:00` : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const parsed = new Date(
    `${date}T${time.length === 5 ? `${time}:00` : time}${fraction.slice(0, 4)}${offset}`,
  );
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}
