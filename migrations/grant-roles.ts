import type { Knex } from 'knex';
import { WAREHOUSE_ROLES, type WarehouseRole } from '../src/warehouse/warehouse-roles.ts';

export { WAREHOUSE_ROLES };

/**
 * Grants a role exactly the privileges it needs on one table, e.g. `grantTo(knex, 'INSERT', 'procedure_log',
 * WAREHOUSE_ROLES.procedure)` or `grantTo(knex, 'UPDATE (status)', 'runs', WAREHOUSE_ROLES.loader)`.
 * A table a migration creates is readable by every warehouse role by default (010-roles.ts); anything that
 * writes is granted here, by name, so each migration shows who may change what.
 */
export async function grantTo(
  knex: Knex,
  privileges: string,
  table: string,
  ...roles: WarehouseRole[]
): Promise<void> {
  await knex.raw(`GRANT ${privileges} ON ${table} TO ${roles.join(', ')}`);
}
