import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { deadlineAfter } from '../calendar/provisional-deadline.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { rejectedRowKey } from './notice-key.ts';
import { rejectionsIn } from './rejection-rows.ts';
import { type ReportScope, whereInScope } from './report-scope.ts';

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

const BATCH = 1000;

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
  return warehouse.transaction(async (trx) => {
    const [notice] = await trx('notices')
      .insert({
        provider_code: request.providerCode,
        scope: JSON.stringify(request.scope),
        issued_on: issuedOn,
        working_days: workingDays,
        deadline,
        provisional,
      })
      .returning('id');
    const noticeId = Number(notice.id);
    let batch: Record<string, unknown>[] = [];
    let rows = 0;
    for await (const rejection of rejectionsIn(trx, request.scope)) {
      if (rejection.providerCode !== request.providerCode) continue;
      const key = rejectedRowKey(catalog, rejection.catalogCode, rejection.raw, rejection.errors);
      batch.push({
        notice_id: noticeId,
        kind: 'rejected',
        catalog_code: rejection.catalogCode,
        source_file_id: rejection.sourceFileId,
        row_number: rejection.rowNumber,
        rejection_id: rejection.id,
        business_key: key.businessKey,
        key_parts: key.keyParts ? JSON.stringify(key.keyParts) : null,
      });
      if (batch.length >= BATCH) {
        rows += batch.length;
        await trx('notice_rows').insert(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await trx('notice_rows').insert(batch);
    rows += batch.length;
    const conflicts = whereInScope(
      trx('record_sources as s')
        .join('source_files as f', 'f.id', 's.source_file_id')
        .join('records as r', 'r.id', 's.record_id')
        .where('s.outcome', 'conflict')
        .where('s.provider_code', request.providerCode)
        .select(
          trx.raw('? AS notice_id', [noticeId]),
          trx.raw(`'conflict' AS kind`),
          'r.catalog_code',
          's.source_file_id',
          's.row_number',
          's.id AS record_source_id',
          'r.business_key',
        ),
      request.scope,
    );
    const inserted = await trx.raw(
      `INSERT INTO notice_rows (notice_id, kind, catalog_code, source_file_id, row_number, record_source_id,
         business_key) ${conflicts.toQuery()}`,
    );
    rows += inserted.rowCount ?? 0;
    return {
      id: noticeId,
      providerCode: request.providerCode,
      scope: request.scope,
      issuedOn,
      workingDays,
      deadline,
      provisional,
      rows,
    };
  });
}
