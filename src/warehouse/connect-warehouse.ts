import { inspect } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { MIGRATIONS } from '../../migrations/index.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { WAREHOUSE_ROLES, type WarehouseRole } from './warehouse-roles.ts';

// bigint ids and counts fit in a JS number here; dates stay `YYYY-MM-DD` strings (no local-midnight Dates).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Warehouse = Knex;

export interface ConnectOptions {
  /** Default 4. */
  poolSize?: number;
  /** Shown in pg_stat_activity (an isolated unit's sessions are ended by it). Default `credit-etl`. */
  applicationName?: string;
  /**
   * The role every connection takes before its first statement (`SET ROLE`). Default the loader: the engine
   * can append history and nothing more. A command chooses by its duty (src/cli/with-warehouse.ts): an
   * officer's command takes the officer. `null` keeps the login user's own privileges: migrations, and tests
   * that tamper on purpose.
   */
  role?: WarehouseRole | null;
}

export function connectWarehouse(url: string, options: ConnectOptions = {}): Warehouse {
  const { poolSize = 4, applicationName = 'credit-etl', role = WAREHOUSE_ROLES.loader } = options;
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: applicationName },
    log: knexLog(),
    pool: {
      min: 0,
      max: poolSize,
      ...(role
        ? { afterCreate: (connection: pg.Client, done: AfterCreateDone) => takeRole(connection, role, done) }
        : {}),
    },
  });
}

/**
 * Where knex's own messages go ("Acquire connection error: …" with a stack when the server is away or a
 * connection breaks): its default writes them with console.log, onto stdout, where `--json` output goes. They go
 * to the console log stream instead (stderr, or above the progress bars), masked like every log line: a message
 * may quote a statement's values. The logger is made when knex first has something to say, which is rare.
 */
function knexLog(): Knex.Config['log'] {
  let logger: Logger | undefined;
  const line = (level: 'warn' | 'error' | 'debug') => (message: unknown) => {
    logger ??= createLogger({ level: 'debug' });
    logger[level](`knex: ${typeof message === 'string' ? message : inspect(message, { depth: 5 })}`);
  };
  return { warn: line('warn'), error: line('error'), deprecate: line('warn'), debug: line('debug') };
}

type AfterCreateDone = (error: Error | null, connection: pg.Client) => void;

function takeRole(connection: pg.Client, role: WarehouseRole, done: AfterCreateDone): void {
  connection.query(`SET ROLE ${role}`).then(
    () => done(null, connection),
    (error: unknown) => {
      // The pool never destroys a connection whose afterCreate failed: closed here, or it stays open.
      const refused = roleRefused(error, role, connection.user ?? 'the warehouse user');
      connection.end().then(
        () => done(refused, connection),
        () => done(refused, connection),
      );
    },
  );
}

const INSUFFICIENT_PRIVILEGE = '42501';
const UNDEFINED_OBJECT = '42704';

/** What the operator has to run when a login user may not take a role (the engine's, or a command's duty). */
function roleRefused(error: unknown, role: WarehouseRole, user: string): Error {
  const code = (error as { code?: unknown }).code;
  if (code === INSUFFICIENT_PRIVILEGE) return new Error(mayNotActAs(role, user), { cause: error });
  if (code === UNDEFINED_OBJECT) return new Error(roleMissing(role), { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

/** `the warehouse user "x" may not act as credit_etl_loader: … run GRANT credit_etl_loader TO "x";`. */
export function mayNotActAs(role: WarehouseRole, user: string): string {
  return (
    `the warehouse user "${user}" may not act as ${role}: as the warehouse owner, run ` +
    `GRANT ${role} TO "${user}"; (docs/warehouse.md: database roles)`
  );
}

/** What to run when a warehouse role does not exist on the server. */
export function roleMissing(role: WarehouseRole): string {
  return (
    `the role ${role} does not exist on this server: run \`credit-etl db migrate\` as the warehouse owner, ` +
    'which creates the roles (docs/warehouse.md: database roles)'
  );
}

/** The login user of a server and the warehouse roles it may take. */
export interface LoginRoles {
  /** `session_user`: who the login is, whatever the URL says (PGUSER, the OS user). */
  user: string;
  /** Those of the roles asked that it may take (`SET ROLE` succeeds), in the order asked. */
  roles: WarehouseRole[];
  /** Those that do not exist on the server: it was never migrated (010-roles creates them). */
  missing: WarehouseRole[];
}

/**
 * Which of `roles` the login user of `url` may take, tried with `SET ROLE` on a connection of its own (exactly
 * what the pool's connections will do: a membership without the SET option is no use to them). Read only.
 */
export async function loginRoles(url: string, roles: readonly WarehouseRole[]): Promise<LoginRoles> {
  const client = new pg.Client({ connectionString: url, application_name: 'credit-etl roles' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // SET ROLE to a role that does not exist says only "invalid parameter value": asked for by name first.
    const { rows } = await client.query<{ user: string; existing: string[] }>(
      'SELECT session_user AS user, array(SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1)) AS existing',
      [roles],
    );
    const user = rows[0]?.user ?? '?';
    const exists = new Set(rows[0]?.existing ?? []);
    const login: LoginRoles = { user, roles: [], missing: roles.filter((role) => !exists.has(role)) };
    for (const role of roles.filter((candidate) => exists.has(candidate))) {
      try {
        await client.query(`SET ROLE ${role}`);
        login.roles.push(role);
      } catch (error) {
        if ((error as { code?: unknown }).code !== INSUFFICIENT_PRIVILEGE) throw error;
      }
    }
    return login;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The server a warehouse connects to, for a thread that opens connections of its own (an isolated unit). */
export function warehouseUrl(warehouse: Warehouse): string {
  const connection = warehouse.client.config.connection as string | { connectionString?: string };
  const url = typeof connection === 'string' ? connection : connection.connectionString;
  if (!url) throw new Error('the warehouse was not connected by URL (connectWarehouse)');
  return url;
}

/**
 * Ends the server sessions opened under one application name (a terminated unit worker's): a statement still
 * running there would only notice its client is gone when it next writes, holding its locks until then.
 */
export async function endSessions(url: string, applicationName: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const sql = 'SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = $1';
    // The timeout form (PostgreSQL 14+) waits until the sessions are gone; older servers only signal them.
    await client
      .query(sql, [applicationName])
      .catch(() => client.query(sql.replace(', 5000', ''), [applicationName]));
  } finally {
    await client.end().catch(() => undefined);
  }
}

const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => MIGRATIONS.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const found = MIGRATIONS.find(([candidate]) => candidate === name);
    if (!found) throw new Error(`unknown migration ${name}`);
    return found[1];
  },
};

/**
 * Applies pending migrations over a connection of its own as the login user (the owner: migrations create
 * tables, functions and roles); returns the names applied (empty when up to date). A user that may only load
 * is told to have the owner migrate, instead of failing on the first table it may not create.
 */
export async function migrateWarehouse(url: string): Promise<string[]> {
  const owner = connectWarehouse(url, { poolSize: 1, applicationName: 'credit-etl migrate', role: null });
  try {
    const pending = await pendingMigrations(owner, url);
    if (pending.length === 0) return [];
    const [, applied] = (await owner.migrate.latest({ migrationSource }).catch((error: unknown) => {
      throw notTheOwner(error, url, pending);
    })) as [number, string[]];
    return applied;
  } finally {
    await owner.destroy();
  }
}

/**
 * The warehouse cannot be opened as configured, and nothing was done (exit 2, as a configuration error; the message
 * says what to change): a warehouse migrated by a newer release of credit-etl (it holds migrations this release
 * does not know: upgrade credit-etl), or an embedded data directory this OS user may not read or that is neither
 * empty nor a PostgreSQL data directory (database-server.ts).
 */
export class WarehouseSetupError extends Error {
  override readonly name = 'WarehouseSetupError';
}

/**
 * Read only: an up-to-date warehouse is never locked for migration, so a loader-only user may start. A warehouse
 * that has migrations this release lacks (migrated by a newer release) is refused before anything runs: knex's own
 * check would only say "the migration directory is corrupt".
 */
async function pendingMigrations(owner: Warehouse, url: string): Promise<string[]> {
  let completed: { name: string }[];
  let pending: string[];
  try {
    [completed, pending] = (await owner.migrate.list({
      migrationSource,
      disableMigrationsListValidation: true,
    })) as [{ name: string }[], string[]];
  } catch (error) {
    throw notTheOwner(error, url, ['not yet known']);
  }
  const known = new Set(MIGRATIONS.map(([name]) => name));
  const unknown = completed.map(({ name }) => name).filter((name) => !known.has(name));
  if (unknown.length > 0) throw new WarehouseSetupError(newerWarehouse(unknown));
  return pending;
}

/** What a warehouse migrated by a newer release tells the user (English / Chinese). */
export function newerWarehouse(unknown: readonly string[]): string {
  const names = unknown.join(', ');
  return (
    `the warehouse was migrated by a newer release of credit-etl: it has migrations this release does not know ` +
    `(${names}); upgrade credit-etl to the release that migrated it (nothing was done) / 数据仓库已由更新版本的 ` +
    `credit-etl 升级，包含本版本不认识的迁移（${names}）：请将 credit-etl 升级到该版本后再运行（未做任何操作）`
  );
}

function notTheOwner(error: unknown, url: string, pending: string[]): unknown {
  if ((error as { code?: unknown }).code !== INSUFFICIENT_PRIVILEGE) return error;
  const user = decodeURIComponent(new URL(url).username) || process.env.PGUSER || 'the login user';
  return new Error(
    `the warehouse has pending migrations (${pending.join(', ')}) and "${user}" may not apply them: run ` +
      '`credit-etl db migrate` with DATABASE_URL naming the warehouse owner (README: database roles)',
    { cause: error },
  );
}

/** The migrations applied so far, oldest first. */
export async function appliedMigrations(
  warehouse: Warehouse,
): Promise<{ name: string; migration_time: Date }[]> {
  return warehouse('knex_migrations')
    .orderBy('id')
    .select<{ name: string; migration_time: Date }[]>('name', 'migration_time');
}
