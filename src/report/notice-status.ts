import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { noticeTallies } from '../warehouse/notices-repository.ts';

export const NOTICE_STATUSES = ['open', 'partly-corrected', 'closed'] as const;
export type NoticeStatus = (typeof NOTICE_STATUSES)[number];

export const STATUS_TITLES: Record<NoticeStatus, string> = {
  open: '待更正',
  'partly-corrected': '部分更正',
  closed: '已办结',
};

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

/** Notices with their computed status, newest first; optionally one provider's or one notice. */
export async function noticeStates(
  warehouse: Warehouse,
  filter: { providerCode?: string; noticeId?: number } = {},
): Promise<NoticeState[]> {
  const tallies = await noticeTallies(warehouse, filter);
  return tallies.map((row) => ({
    id: row.id,
    providerCode: row.provider_code,
    issuedOn: row.issued_on,
    deadline: row.deadline,
    provisional: row.provisional,
    rows: row.rows,
    corrected: row.corrected,
    status: statusOf(row.rows, row.corrected),
  }));
}

export function statusOf(rows: number, corrected: number): NoticeStatus {
  if (corrected >= rows) return 'closed';
  return corrected > 0 ? 'partly-corrected' : 'open';
}
