import type { Knex } from 'knex';
import { CONSOLE_ROLES } from '../../migrations/019-console-users.ts';
import type { Warehouse } from './connect-warehouse.ts';

export { CONSOLE_ROLES };
export type ConsoleRoleName = (typeof CONSOLE_ROLES)[number];

/** A console user as stored (migrations/019-console-users.ts). */
export interface ConsoleUserRow {
  id: number;
  name: string;
  role: ConsoleRoleName;
  provider_code: string | null;
  password_hash: string;
  created_at: Date;
  password_changed_at: Date;
  disabled_at: Date | null;
}

export type ConsoleUserListRow = Omit<ConsoleUserRow, 'password_hash'>;

export async function addConsoleUser(
  warehouse: Warehouse,
  user: { name: string; role: ConsoleRoleName; providerCode?: string | undefined; passwordHash: string },
): Promise<number> {
  const [row] = await warehouse('console_users')
    .insert({
      name: user.name,
      role: user.role,
      provider_code: user.providerCode ?? null,
      password_hash: user.passwordHash,
    })
    .returning<{ id: number }[]>('id');
  return row!.id;
}

export async function findConsoleUser(
  warehouse: Warehouse,
  name: string,
): Promise<ConsoleUserRow | undefined> {
  return warehouse('console_users').where({ name }).first<ConsoleUserRow | undefined>();
}

/** Every user, enabled first, by name (a handful of people: no paging). */
export async function listConsoleUsers(warehouse: Warehouse): Promise<ConsoleUserListRow[]> {
  return warehouse('console_users')
    .orderByRaw('disabled_at IS NOT NULL, name')
    .select<ConsoleUserListRow[]>(
      'id',
      'name',
      'role',
      'provider_code',
      'created_at',
      'password_changed_at',
      'disabled_at',
    );
}

/** Disables a user and ends their open sessions at once; false when no enabled user has that name. */
export async function disableConsoleUser(warehouse: Warehouse, name: string): Promise<boolean> {
  return warehouse.transaction(async (trx) => {
    const rows = await trx('console_users')
      .where({ name })
      .whereNull('disabled_at')
      .update({ disabled_at: trx.fn.now() })
      .returning<{ id: number }[]>('id');
    return endSessionsOf(trx, rows[0]?.id);
  });
}

/** A new password: the user's open sessions end (whoever knew the old one is logged out). */
export async function setConsolePassword(
  warehouse: Warehouse,
  name: string,
  passwordHash: string,
): Promise<boolean> {
  return warehouse.transaction(async (trx) => {
    const rows = await trx('console_users')
      .where({ name })
      .update({ password_hash: passwordHash, password_changed_at: trx.fn.now() })
      .returning<{ id: number }[]>('id');
    return endSessionsOf(trx, rows[0]?.id);
  });
}

/** Ends the open sessions of the user the change found; false when it found none. */
async function endSessionsOf(trx: Knex.Transaction, userId: number | undefined): Promise<boolean> {
  if (userId === undefined) return false;
  await trx('console_sessions')
    .where({ user_id: userId })
    .whereNull('ended_at')
    .update({ ended_at: trx.fn.now() });
  return true;
}
