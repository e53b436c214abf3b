import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import { AS_OF } from './as-of-bound.ts';
import type { Warehouse } from './connect-warehouse.ts';

/** The rejection codes whose error names the record a provider asked to withdraw (merge-withdrawals.ts). */
export const REFUSED_WITHDRAWAL_CODES = ['withdrawal-not-provider-record', 'withdrawal-with-data'] as const;

/** A provider's request to withdraw a record, refused: the rejection, with the file and channel it came from. */
export interface RefusedWithdrawalRow {
  /** The rejection's id. */
  id: number;
  /** When the request was refused (the rejection was written). */
  refusedAt: Date;
  runId: number;
  sourceFileId: number;
  fileName: string;
  rowNumber: number;
  providerCode: string;
  level: ChannelLevel;
  receivedAt: Date;
  /** The withdrawal signal of the row (`del_flag=1`, `当前状态=撤销`, `撤销清单`). */
  signal: string | null;
  code: (typeof REFUSED_WITHDRAWAL_CODES)[number];
  /** The provider's message (Chinese), as stored: personal data in clear, masked by the reader. */
  message: string;
}

/**
 * Withdrawal requests refused for one record, oldest first: rejections whose error carries the record's id
 * (written since 062-refused-withdrawals-by-record). Read through the partial index rejections_withdrawal_record,
 * whose predicate this WHERE repeats, never by scanning `rejections`. Given a past `day` (YYYY-MM-DD, Asia/Shanghai),
 * only those refused by its end (AS_OF, as `record --as-of` bounds the objection mark and the record's state).
 */
export async function refusedWithdrawalsOfRecord(
  warehouse: Warehouse,
  recordId: number,
  day: string | null = null,
): Promise<RefusedWithdrawalRow[]> {
  const { rows } = await warehouse.raw<{ rows: RefusedWithdrawalRow[] }>(
    `${AS_OF}
     SELECT j.id, j.created_at AS "refusedAt", j.run_id AS "runId", j.source_file_id AS "sourceFileId",
            f.name AS "fileName", j.row_number AS "rowNumber", j.provider_code AS "providerCode", f.level,
            f.received_at AS "receivedAt", j.errors -> 0 ->> 'signal' AS signal, j.errors -> 0 ->> 'code' AS code,
            j.errors -> 0 ->> 'message' AS message
     FROM rejections j
     JOIN source_files f ON f.id = j.source_file_id
     CROSS JOIN as_of
     WHERE j.errors -> 0 ->> 'code' IN ('withdrawal-not-provider-record', 'withdrawal-with-data')
       AND j.errors -> 0 -> 'record' = to_jsonb(CAST(? AS bigint))
       AND (as_of.bound IS NULL OR j.created_at < as_of.bound)
     ORDER BY j.id`,
    [day, recordId],
  );
  return rows;
}
