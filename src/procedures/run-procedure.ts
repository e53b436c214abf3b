import type { Warehouse } from '../warehouse/connect-warehouse.ts';

/** The role whose members may run legal procedures (012-legal-procedures.ts grants it EXECUTE). */
export const OFFICER_ROLE = 'credit_etl_officer';

/** A procedure the database refused: the grounds are missing, the record is not current, the caller lacks the role. */
export class ProcedureRefused extends Error {
  override readonly name = 'ProcedureRefused';
}

interface PgError {
  code?: string;
  message: string;
}

/**
 * Calls one procedure function as the officer role, in a transaction of its own, and returns the id of the
 * procedure_log entry it wrote. The role is taken with SET LOCAL, so it ends with the transaction.
 */
export async function runProcedure(
  warehouse: Warehouse,
  fn: 'procedure_correct' | 'procedure_withdraw' | 'procedure_supersede' | 'procedure_reattribute',
  args: ReadonlyArray<string | number | null>,
): Promise<number> {
  try {
    return await warehouse.transaction(async (trx) => {
      await trx.raw(`SET LOCAL ROLE ${OFFICER_ROLE}`);
      const placeholders = args.map(() => '?').join(', ');
      const result = await trx.raw<{ rows: { id: number }[] }>(`SELECT ${fn}(${placeholders}) AS id`, [
        ...args,
      ]);
      const id = result.rows[0]?.id;
      if (typeof id !== 'number') throw new Error(`${fn} returned no procedure id`);
      return id;
    });
  } catch (error) {
    throw refusal(error as PgError);
  }
}

async function sessionUser(warehouse: Warehouse): Promise<string> {
  const result = await warehouse.raw<{ rows: { user: string }[] }>('SELECT session_user AS user');
  return result.rows[0]?.user ?? '?';
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
  const result = await warehouse.raw<{ rows: { member: boolean }[] }>(
    `SELECT pg_has_role(session_user, ?, 'MEMBER') AS member`,
    [OFFICER_ROLE],
  );
  if (result.rows[0]?.member) return;
  const user = await sessionUser(warehouse);
  throw new ProcedureRefused(
    `the database user ${user} may not run legal procedures: a DBA must run \`GRANT ${OFFICER_ROLE} TO ${user};\``,
  );
}
