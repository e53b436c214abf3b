import type { UnitCommit, WatermarkStore } from '../../connectors/contracts.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { UnitSession } from '../warehouse/unit-session.ts';
import { moveWatermark, readWatermark } from '../warehouse/watermarks-repository.ts';
import { UnitFailure } from './unit-failure.ts';

/** The watermark store transports are given: the positions saved in the warehouse. */
export function watermarkStore(warehouse: Warehouse): WatermarkStore {
  return { read: (source) => readWatermark(warehouse, source) };
}

/**
 * What a unit may do in its load transaction before commit. A watermark moves only from exactly where the
 * batch began, so a batch after a failed one can never skip the failed one's rows.
 */
export function unitCommit(session: UnitSession): UnitCommit {
  return {
    async advanceWatermark(source, from, to) {
      if (await moveWatermark(session, source, from, to)) return;
      throw new UnitFailure(
        'watermark-moved',
        `增量位置（watermark）${source} 已不在本批次的起点，本批次未加载：请重新运行，从已保存的位置继续`,
      );
    },
  };
}
