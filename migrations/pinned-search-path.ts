import type { Knex } from 'knex';

/** The schema the warehouse is migrated into (the search path's first schema); `migration` names the caller. */
export async function currentSchema(knex: Knex, migration: string): Promise<string> {
  const schema = (await knex.raw<{ rows: { schema: string }[] }>('SELECT current_schema() AS schema')).rows[0]
    ?.schema;
  if (!schema) throw new Error(`${migration}: no current schema`);
  return schema;
}

/**
 * The clause every plpgsql function of the warehouse is defined with (033): its own schema first, `pg_temp`
 * last, so a temp table the loader creates never stands in for a warehouse table inside a guard.
 */
export async function pinnedSearchPath(knex: Knex, migration: string): Promise<string> {
  return `SET search_path = ${await currentSchema(knex, migration)}, pg_temp`;
}
