import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { deadlineAfter } from '../calendar/provisional-deadline.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { recordNotice } from '../warehouse/notices-repository.ts';
import { rejectedRowKey } from './notice-key.ts';
import type { ReportScope } from './report-scope.ts';

/** Working days a provider has to resubmit (DESIGN.md "Working days"; configurable per notice). */
export const DEFAULT_NOTICE_WORKING_DAYS = 7;

/** How a provisional deadline is labelled wherever it is shown (letter, CLI). */
export const PROVISIONAL_NOTE = {
  en: 'provisional: counted Mon–Fri, the holiday calendar lacks a year it crosses; `credit-etl calendar recompute` sets it',
  zh: '暂定：所跨年份的节假日安排尚未录入，暂按周一至周五计算，录入后重新计算并以更新后的期限为准',
} as const;

export interface NoticeRequest {
  providerCode: string;
  /** A run, or the provider's deliveries in a date range. */
  scope: ReportScope;
  workingDays?: number;
  /** The day the notice is issued (Asia/Shanghai), default today; the deadline counts from it. */
  issuedOn?: string;
}

export interface Notice {
  id: number;
  providerCode: string;
  scope: ReportScope;
  issuedOn: string;
  workingDays: number;
  deadline: string;
  /** The deadline crosses a year without calendar data: counted Mon–Fri until `calendar recompute`. */
  provisional: boolean;
  rows: number;
}

/**
 * Records a review notice: the provider's rejected rows and conflicting rows in the scope, each with the key
 * its correction will carry. Returns the notice with its deadline (start day not counted).
 */
export async function createNotice(
  warehouse: Warehouse,
  catalog: Catalog,
  request: NoticeRequest,
): Promise<Notice> {
  const workingDays = request.workingDays ?? DEFAULT_NOTICE_WORKING_DAYS;
  const issuedOn = request.issuedOn ?? todayInShanghai();
  const { date: deadline, provisional } = deadlineAfter(issuedOn, workingDays);
  const { id, rows } = await recordNotice(
    warehouse,
    {
      provider_code: request.providerCode,
      scope: request.scope,
      issued_on: issuedOn,
      working_days: workingDays,
      deadline,
      provisional,
    },
    (rejection) => rejectedRowKey(catalog, rejection.catalogCode, rejection.raw, rejection.errors),
  );
  return {
    id,
    providerCode: request.providerCode,
    scope: request.scope,
    issuedOn,
    workingDays,
    deadline,
    provisional,
    rows,
  };
}
