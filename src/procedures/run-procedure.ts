import type { Warehouse } from '../warehouse/connect-warehouse.ts';
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

interface PgError {
  code?: string;
  message: string;
}

/** Calls one procedure function as the officer role; the database's refusals become ProcedureRefused. */
export async function runProcedure(
  warehouse: Warehouse,
  fn: ProcedureFunction,
  args: ReadonlyArray<string | number | null>,
): Promise<number> {
  try {
    return await callProcedure(warehouse, OFFICER_ROLE, fn, args);
  } catch (error) {
    throw refusal(error as PgError);
  }
}

function refusal(error: PgError): Error {
  // 42501 insufficient_privilege; P0001 and 23xxx/P0002: the functions' own RAISE with a Chinese message.
  if (
    error.code === '42501' ||
    error.code === 'P0001' ||
    error.code?.startsWith('23') ||
    error.code === 'P0002'
  )
    return new ProcedureRefused(error.message);
  return error instanceof Error ? error : new Error(error.message);
}

/** Says what to GRANT when the connecting user may not act as an officer (checked before any procedure). */
export async function checkOfficer(warehouse: Warehouse): Promise<void> {
  if (await sessionUserIsMember(warehouse, OFFICER_ROLE)) return;
  const user = await sessionUser(warehouse);
  throw new ProcedureRefused(
    `the database user ${user} may not run legal procedures: a DBA must run \`GRANT ${OFFICER_ROLE} TO ${user};\``,
  );
}
