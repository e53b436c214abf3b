import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { MIGRATIONS } from '../../migrations/index.ts';

// bigint ids and counts fit in a JS number here; dates stay `YYYY-MM-DD` strings (no local-midnight Dates).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Warehouse = Knex;

export function connectWarehouse(url: string, poolSize = 4, applicationName = 'credit-etl'): Warehouse {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: applicationName },
    pool: { min: 0, max: poolSize },
  });
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

/** Applies pending migrations; returns the names applied (empty when up to date). */
export async function migrateWarehouse(warehouse: Warehouse): Promise<string[]> {
  const [, applied] = (await warehouse.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/** The migrations applied so far, oldest first. */
export async function appliedMigrations(
  warehouse: Warehouse,
): Promise<{ name: string; migration_time: Date }[]> {
  return warehouse('knex_migrations')
    .orderBy('id')
    .select<{ name: string; migration_time: Date }[]>('name', 'migration_time');
}
