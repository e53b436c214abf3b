import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { ClosedHow } from '../warehouse/notice-events-repository.ts';
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
  /** Rows corrected by later deliveries or, for a conflict, resolved in the notice log. */
  corrected: number;
  /** Rows escalated in the notice log and still open. */
  escalated: number;
  status: NoticeStatus;
  /** How the notice log closed it, when it did (`by-hand` closes a notice whatever its rows). */
  closedHow: ClosedHow | null;
  closedBasis: string | null;
  /** Past its deadline (Asia/Shanghai) and not closed. */
  overdue: boolean;
}

/** Notices with their computed status, newest first; optionally one provider's or one notice. */
export async function noticeStates(
  warehouse: Warehouse,
  filter: { providerCode?: string; noticeId?: number } = {},
): Promise<NoticeState[]> {
  const tallies = await noticeTallies(warehouse, filter);
  const today = todayInShanghai();
  return tallies.map((row) => {
    const status = row.closed_how === 'by-hand' ? 'closed' : statusOf(row.rows, row.corrected);
    return {
      id: row.id,
      providerCode: row.provider_code,
      issuedOn: row.issued_on,
      deadline: row.deadline,
      provisional: row.provisional,
      rows: row.rows,
      corrected: row.corrected,
      escalated: row.escalated,
      status,
      closedHow: row.closed_how,
      closedBasis: row.closed_basis,
      overdue: status !== 'closed' && row.deadline < today,
    };
  });
}

export function statusOf(rows: number, corrected: number): NoticeStatus {
  if (corrected >= rows) return 'closed';
  return corrected > 0 ? 'partly-corrected' : 'open';
}
