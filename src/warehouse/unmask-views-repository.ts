import type { Warehouse } from './connect-warehouse.ts';

/**
 * One view of unmasked personal data (append-only, migrations/019-console-users.ts; `reason` since 044): an
 * auditor's in the console (`user_id`, `user_name`) or, since 049, a file the CLI wrote with ID numbers in clear
 * (`cli_user`); exactly one of the two.
 */
export interface UnmaskViewRow {
  id: number;
  /** The console user; null for a view by the CLI. */
  user_id: number | null;
  user_name: string | null;
  /** The OS user who ran the command (since 049); null for a view in the console. */
  cli_user: string | null;
  /** The database login the view was logged through, stamped by the database (since 049; null before). */
  db_user: string | null;
  what: string;
  /** The auditor's 查询事由; null only for views logged before 044. */
  reason: string | null;
  ip: string | null;
  at: Date;
}

export async function appendUnmaskView(
  warehouse: Warehouse,
  view: { userId: number; userName: string; what: string; reason: string; ip: string | undefined },
): Promise<void> {
  await warehouse('unmask_views').insert({
    user_id: view.userId,
    user_name: view.userName,
    what: view.what,
    reason: view.reason,
    ip: view.ip ?? null,
  });
}

/**
 * Appends a command's view (`report … --unmasked`): who ran it, what it wrote, why. Only these three columns, so
 * an officer's or a reader's login may append it too (049 grants them no more); the database adds its login and
 * the time.
 */
export async function appendCliUnmaskView(
  warehouse: Warehouse,
  view: { cliUser: string; what: string; reason: string },
): Promise<void> {
  await warehouse('unmask_views').insert({ cli_user: view.cliUser, what: view.what, reason: view.reason });
}

/** The newest views first, a page at a time: `before` is the last id of the previous page. */
export async function listUnmaskViews(
  warehouse: Warehouse,
  page: { limit: number; before?: number | undefined },
): Promise<UnmaskViewRow[]> {
  const query = warehouse('unmask_views').orderBy('id', 'desc').limit(page.limit);
  if (page.before !== undefined) query.where('id', '<', page.before);
  return query.select<UnmaskViewRow[]>(
    'id',
    'user_id',
    'user_name',
    'cli_user',
    'db_user',
    'what',
    'reason',
    'ip',
    'at',
  );
}
