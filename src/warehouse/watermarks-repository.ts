import type { Warehouse } from './connect-warehouse.ts';
import type { UnitSession } from './unit-session.ts';

/** The saved position of an incremental source, or undefined before its first batch. */
export async function readWatermark(warehouse: Warehouse, source: string): Promise<unknown> {
  const row = await warehouse('watermarks')
    .where({ source })
    .first<{ position: unknown } | undefined>('position');
  return row?.position;
}

/**
 * Inside a batch's transaction: moves the watermark from `from` (undefined: none saved yet) to `to`, only if it
 * still stands exactly at `from`. Returns false when it does not (another batch moved it).
 */
export async function moveWatermark(
  session: UnitSession,
  source: string,
  from: unknown,
  to: unknown,
): Promise<boolean> {
  const moved =
    from === undefined
      ? await session.query(
          `INSERT INTO watermarks (source, position) VALUES ($1, $2::jsonb)
           ON CONFLICT (source) DO NOTHING RETURNING source`,
          [source, JSON.stringify(to)],
        )
      : await session.query(
          `UPDATE watermarks SET position = $3::jsonb, updated_at = now()
           WHERE source = $1 AND position = $2::jsonb RETURNING source`,
          [source, JSON.stringify(from), JSON.stringify(to)],
        );
  return moved.length > 0;
}
