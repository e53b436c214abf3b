import type { Warehouse } from './connect-warehouse.ts';

/** One view of unmasked personal data (append-only, migrations/019-console-users.ts; `reason` since 044). */
export interface UnmaskViewRow {
  id: number;
  user_id: number;
  user_name: string;
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

/** The newest views first, a page at a time: `before` is the last id of the previous page. */
export async function listUnmaskViews(
  warehouse: Warehouse,
  page: { limit: number; before?: number | undefined },
): Promise<UnmaskViewRow[]> {
  const query = warehouse('unmask_views').orderBy('id', 'desc').limit(page.limit);
  if (page.before !== undefined) query.where('id', '<', page.before);
  return query.select<UnmaskViewRow[]>('id', 'user_id', 'user_name', 'what', 'reason', 'ip', 'at');
}
