import type { UnitSession } from './unit-session.ts';

/** Staged rows that failed validation; repeats of a key inside the file are found only by the merge. */
export async function countInvalidStagedRows(session: UnitSession): Promise<number> {
  const [row] = await session.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM stage WHERE errors IS NOT NULL',
  );
  return row?.count ?? 0;
}
