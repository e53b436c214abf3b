import type { Knex } from 'knex';
import { MIGRATIONS } from '../../migrations/index.ts';

/**
 * The shipped migrations by name, for a test that takes one down and up again
 * (`fx.owner.migrate.down({ migrationSource: MIGRATION_SOURCE, name })`).
 */
export const MIGRATION_SOURCE: Knex.MigrationSource<string> = {
  getMigrations: async () => MIGRATIONS.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS.find(([candidate]) => candidate === name)![1],
};

/** Runs `work` with the migration `name` taken down, then puts it up again, whether `work` passed or threw. */
export async function whileMigrationDown<T>(owner: Knex, name: string, work: () => Promise<T>): Promise<T> {
  await owner.migrate.down({ migrationSource: MIGRATION_SOURCE, name });
  try {
    return await work();
  } finally {
    await owner.migrate.up({ migrationSource: MIGRATION_SOURCE, name });
  }
}
