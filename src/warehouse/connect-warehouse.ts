import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { MIGRATIONS } from '../../migrations/index.ts';

// bigint ids and counts fit in a JS number here; dates stay `YYYY-MM-DD` strings (no local-midnight Dates).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Warehouse = Knex;

export function connectWarehouse(url: string, poolSize = 4): Warehouse {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, application_name: 'credit-etl' },
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
