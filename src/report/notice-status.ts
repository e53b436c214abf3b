import type { Warehouse } from '../warehouse/connect-warehouse.ts';

export const NOTICE_STATUSES = ['open', 'partly-corrected', 'closed'] as const;
export type NoticeStatus = (typeof NOTICE_STATUSES)[number];

export const STATUS_TITLES: Record<NoticeStatus, string> = {
  open: '待更正',
  'partly-corrected': '部分更正',
  closed: '已办结',
};

/**
 * A notice row is corrected when a later accepted delivery (any outcome but `conflict`, in a source file
 * loaded after the row's own) from the notice's provider carries the row's business key in the same catalog
 * entry; a row without a full key matches on its usable key fields (src/report/notice-key.ts).
 */
const CORRECTED = `EXISTS (
  SELECT 1 FROM record_sources s JOIN records r ON r.id = s.record_id
  WHERE s.provider_code = n.provider_code AND s.outcome <> 'conflict' AND s.source_file_id > nr.source_file_id
    AND r.catalog_code = nr.catalog_code
    AND CASE
      WHEN nr.business_key IS NOT NULL THEN r.business_key = nr.business_key
      WHEN nr.key_parts IS NOT NULL THEN NOT EXISTS (
        SELECT 1 FROM jsonb_each_text(nr.key_parts) AS part
        WHERE split_part(r.business_key, chr(31), part.key::int) <> part.value)
      ELSE false
    END)`;

export interface NoticeState {
  id: number;
  providerCode: string;
  issuedOn: string;
  deadline: string;
  /** Counted Mon–Fri through a year without calendar data (notices.ts PROVISIONAL_NOTE). */
  provisional: boolean;
  rows: number;
  corrected: number;
  status: NoticeStatus;
}

/** Every notice row with whether it has been corrected, in row order. */
export async function noticeRowStates(warehouse: Warehouse, noticeId: number): Promise<Map<number, boolean>> {
  const { rows } = await warehouse.raw(
    `SELECT nr.id, ${CORRECTED} AS corrected
     FROM notice_rows nr JOIN notices n ON n.id = nr.notice_id WHERE nr.notice_id = ? ORDER BY nr.id`,
    [noticeId],
  );
  return new Map(rows.map((row: { id: number; corrected: boolean }) => [row.id, row.corrected]));
}

/** Notices with their computed status, newest first; optionally one provider's or one notice. */
export async function noticeStates(
  warehouse: Warehouse,
  filter: { providerCode?: string; noticeId?: number } = {},
): Promise<NoticeState[]> {
  const { rows } = await warehouse.raw(
    `SELECT n.id, n.provider_code, n.issued_on, n.deadline, n.provisional,
       count(nr.id)::int AS rows, count(nr.id) FILTER (WHERE ${CORRECTED})::int AS corrected
     FROM notices n LEFT JOIN notice_rows nr ON nr.notice_id = n.id
     WHERE (?::text IS NULL OR n.provider_code = ?) AND (?::bigint IS NULL OR n.id = ?)
     GROUP BY n.id ORDER BY n.id DESC`,
    [
      filter.providerCode ?? null,
      filter.providerCode ?? null,
      filter.noticeId ?? null,
      filter.noticeId ?? null,
    ],
  );
  return rows.map(
    (row: {
      id: number;
      provider_code: string;
      issued_on: string;
      deadline: string;
      provisional: boolean;
      rows: number;
      corrected: number;
    }) => ({
      id: row.id,
      providerCode: row.provider_code,
      issuedOn: row.issued_on,
      deadline: row.deadline,
      provisional: row.provisional,
      rows: row.rows,
      corrected: row.corrected,
      status: statusOf(row.rows, row.corrected),
    }),
  );
}

export function statusOf(rows: number, corrected: number): NoticeStatus {
  if (corrected >= rows) return 'closed';
  return corrected > 0 ? 'partly-corrected' : 'open';
}
