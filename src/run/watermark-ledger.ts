import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';
import { UnitFailure } from './unit-failure.ts';

/** The saved position of an incremental source, or undefined before its first batch. */
export async function readWatermark(warehouse: Warehouse, source: string): Promise<unknown> {
  const row = await warehouse('watermarks').where({ source }).first('position');
  return row?.position;
}

/**
 * Inside a batch's transaction: moves the watermark from `from` (where the batch starts) to `to`. It moves only
 * from exactly where this batch began, so a batch after a failed one can never skip the failed one's rows.
 */
export async function advanceWatermark(
  session: UnitSession,
  source: string,
  from: unknown,
  to: unknown,
): Promise<void> {
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
  if (moved.length === 0) {
    throw new UnitFailure(
      'watermark-moved',
      `增量位置（watermark）${source} 已不在本批次的起点，本批次未加载：请重新运行，从已保存的位置继续`,
    );
  }
}
