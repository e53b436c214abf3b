import type { UnitSession } from './unit-session.ts';

/** A file's rejections counted by error code, most frequent first. */
export async function rejectionsByCode(
  session: UnitSession,
  sourceFileId: number,
): Promise<Record<string, number>> {
  const rows = await session.query<{ code: string; count: number }>(
    `SELECT error ->> 'code' AS code, count(*)::int AS count
     FROM rejections, jsonb_array_elements(errors) AS error WHERE source_file_id = $1 GROUP BY 1 ORDER BY 2 DESC`,
    [sourceFileId],
  );
  return Object.fromEntries(rows.map((row) => [row.code, row.count]));
}
