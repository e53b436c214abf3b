import type { Catalog } from '../../catalog/load-catalog.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { fixHint } from '../../report/fix-hint.ts';
import { noticeRows } from '../../report/notice-rows.ts';
import { type NoticeState, noticeStates } from '../../report/notice-status.ts';
import { createNotice, type Notice } from '../../report/notices.ts';
import type { Provider } from '../../report/providers.ts';
import { entryColumns, fieldTitle, reportMasker } from '../../report/report-columns.ts';
import { scopeInWords } from '../../report/report-scope.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import { type NoticeEventRow, noticeEvents } from '../../warehouse/notice-events-repository.ts';
import { findNotice, noticeRowStates } from '../../warehouse/notices-repository.ts';

/** How many rows a notice's page lists; the whole list is in the notice's workbook (the download). */
export const NOTICE_ROWS_SHOWN = 200;

/**
 * The status board: overdue notices first (the ones to chase), then open, partly corrected, closed; within each,
 * the nearest deadline first.
 */
export async function noticeBoard(warehouse: Warehouse): Promise<NoticeState[]> {
  const rank = (state: NoticeState) =>
    state.overdue ? 0 : state.status === 'open' ? 1 : state.status === 'partly-corrected' ? 2 : 3;
  return (await noticeStates(warehouse)).sort(
    (a, b) => rank(a) - rank(b) || a.deadline.localeCompare(b.deadline) || a.id - b.id,
  );
}

/** One row of a notice as its page lists it, personal data masked unless an entitled person asked. */
export interface NoticeRowLine {
  serial: number;
  kind: 'rejected' | 'conflict';
  catalogTitle: string;
  file: string;
  rowNumber: number;
  corrected: boolean;
  problems: { fieldTitle: string; code: string; value: string; message: string; fix: string }[];
}

export interface NoticeDetails {
  state: NoticeState;
  scope: string;
  workingDays: number;
  rows: NoticeRowLine[];
  events: NoticeEventRow[];
}

/** A notice with its rows (the first NOTICE_ROWS_SHOWN) and its whole log; undefined when there is none. */
export async function noticeDetails(
  warehouse: Warehouse,
  catalog: Catalog,
  noticeId: number,
  unmasked: boolean,
): Promise<NoticeDetails | undefined> {
  const [state] = await noticeStates(warehouse, { noticeId });
  const stored = await findNotice(warehouse, noticeId);
  if (!state || !stored) return undefined;
  const masker = reportMasker(catalog, unmasked);
  const corrected = await noticeRowStates(warehouse, noticeId);
  const rows: NoticeRowLine[] = [];
  for await (const row of noticeRows(warehouse, catalog, noticeId, undefined, { unmasked })) {
    const columns = entryColumns(catalog, row.catalogCode);
    rows.push({
      serial: rows.length + 1,
      kind: row.kind,
      catalogTitle: columns.title,
      file: masker.text(row.file),
      rowNumber: row.rowNumber,
      corrected: corrected.get(row.id) ?? false,
      problems: row.errors.map((error) => {
        const shown = masker.error(row.catalogCode, error, row.raw, row.current);
        return {
          fieldTitle: fieldTitle(columns, error.field),
          code: error.code,
          value: shown.value,
          message: shown.message,
          fix: fixHint(error.code),
        };
      }),
    });
    if (rows.length >= NOTICE_ROWS_SHOWN) break;
  }
  const events = (await noticeEvents(warehouse, noticeId)).map((event) =>
    unmasked
      ? event
      : {
          ...event,
          note: event.note === null ? null : maskPersonalText(event.note),
          basis: event.basis === null ? null : maskPersonalText(event.basis),
          recipient: event.recipient === null ? null : maskPersonalText(event.recipient),
        },
  );
  const words = await scopeInWords(warehouse, stored.scope);
  return {
    state,
    scope: masker.text(words),
    workingDays: stored.working_days,
    rows,
    events,
  };
}

/**
 * Re-issues a notice as `report notice --reissue` does: the same provider, scope and working days; the log
 * records a `resent` event by the person who asked (no copy of the notice is made). Refusals (NoticeRefused)
 * say why, as on the command line.
 */
export async function reissueNotice(
  warehouse: Warehouse,
  catalog: Catalog,
  providers: readonly Provider[],
  noticeId: number,
  operator: string,
): Promise<Notice | undefined> {
  const stored = await findNotice(warehouse, noticeId);
  if (!stored) return undefined;
  return createNotice(warehouse, catalog, {
    providerCode: stored.provider_code,
    scope: stored.scope,
    workingDays: stored.working_days,
    reissue: true,
    operator,
    providers,
  });
}
