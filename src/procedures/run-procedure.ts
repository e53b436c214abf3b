import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { databaseRefusal } from '../warehouse/database-refusal.ts';
import {
  callProcedure,
  type ProcedureFunction,
  sessionUser,
  sessionUserIsMember,
} from '../warehouse/procedure-log-repository.ts';
import { WAREHOUSE_ROLES } from '../warehouse/warehouse-roles.ts';

/** The role whose members may run legal procedures (012-legal-procedures.ts grants it EXECUTE). */
export const OFFICER_ROLE = WAREHOUSE_ROLES.officer;

/** A procedure the database refused: the grounds are missing, the record is not current, the caller lacks the role. */
export class ProcedureRefused extends Error {
  override readonly name = 'ProcedureRefused';
}

/**
 * Calls one procedure function as the officer role; the database's refusals become ProcedureRefused with the
 * function's own message (`记录 8 已撤销…`), not the statement knex puts before it.
 */
export async function runProcedure(
  warehouse: Warehouse,
  fn: ProcedureFunction,
  args: ReadonlyArray<string | number | null>,
): Promise<number> {
  try {
    return await callProcedure(warehouse, OFFICER_ROLE, fn, args);
  } catch (error) {
    const refused = databaseRefusal(error);
    if (refused !== undefined) throw new ProcedureRefused(refused);
    throw error;
  }
}

/** Says what to GRANT when the connecting user may not act as an officer (checked before any procedure). */
export async function checkOfficer(warehouse: Warehouse): Promise<void> {
  if (await sessionUserIsMember(warehouse, OFFICER_ROLE)) return;
  const user = await sessionUser(warehouse);
  throw new ProcedureRefused(
    `the database user ${user} may not run legal procedures: a DBA must run \`GRANT ${OFFICER_ROLE} TO ${user};\``,
  );
}
