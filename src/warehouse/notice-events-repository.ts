import type { Warehouse } from './connect-warehouse.ts';
import { noticeHeldFiles } from './notices-repository.ts';

/** What can happen with a notice (migrations/016-notice-events.ts); the log is append-only. */
export const NOTICE_EVENT_KINDS = [
  'issued',
  'sent',
  'acknowledged',
  'resent',
  'resolved',
  'escalated',
  'closed',
] as const;
export type NoticeEventKind = (typeof NOTICE_EVENT_KINDS)[number];

export type ClosedHow = 'redelivery' | 'conflicts-resolved' | 'by-hand';

/** A row of `notice_events` as stored. */
export interface NoticeEventRow {
  id: number;
  notice_id: number;
  notice_row_id: number | null;
  kind: NoticeEventKind;
  channel: string | null;
  recipient: string | null;
  closed_how: ClosedHow | null;
  resolution: 'accept-higher' | null;
  basis: string | null;
  note: string | null;
  operator: string;
  db_user: string;
  at: Date;
}

export type NewNoticeEvent = Partial<Omit<NoticeEventRow, 'id' | 'db_user' | 'at'>> &
  Pick<NoticeEventRow, 'notice_id' | 'kind' | 'operator'>;

/** Appends one event; returns its id. */
export async function appendNoticeEvent(warehouse: Warehouse, event: NewNoticeEvent): Promise<number> {
  const [row] = await warehouse('notice_events').insert(event).returning<{ id: number }[]>('id');
  return Number(row!.id);
}

/** A notice's events in the order they were recorded. */
export async function noticeEvents(warehouse: Warehouse, noticeId: number): Promise<NoticeEventRow[]> {
  return warehouse('notice_events')
    .where({ notice_id: noticeId })
    .orderBy('id')
    .select<NoticeEventRow[]>('*');
}

/** One row of a notice by its 序号 (its place in the notice, as numbered in the workbook's 问题清单). */
export interface NoticeRowAt {
  id: number;
  serial: number;
  kind: 'rejected' | 'conflict';
  catalog_code: string;
  business_key: string | null;
  row_number: number;
  file: string;
  /** Resolved or escalated in the log, latest first wins: resolved is final. */
  resolved: boolean;
  escalated: boolean;
}

/** A notice's conflict rows (or the row at one 序号), with their place and their state in the log. */
export async function noticeRowsAt(
  warehouse: Warehouse,
  noticeId: number,
  filter: { serial?: number; conflictsOnly?: boolean } = {},
): Promise<NoticeRowAt[]> {
  const { rows } = await warehouse.raw<{ rows: NoticeRowAt[] }>(
    `SELECT * FROM (
       SELECT nr.id, (row_number() OVER (ORDER BY nr.id))::int AS serial, nr.kind, nr.catalog_code,
         nr.business_key, nr.row_number, f.name AS file,
         EXISTS (SELECT 1 FROM notice_events e WHERE e.notice_row_id = nr.id AND e.kind = 'resolved') AS resolved,
         EXISTS (SELECT 1 FROM notice_events e WHERE e.notice_row_id = nr.id AND e.kind = 'escalated') AS escalated
       FROM notice_rows nr JOIN source_files f ON f.id = nr.source_file_id
       WHERE nr.notice_id = ?) numbered
     WHERE (?::int IS NULL OR serial = ?) AND (NOT ?::boolean OR kind = 'conflict')
     ORDER BY serial`,
    [noticeId, filter.serial ?? null, filter.serial ?? null, filter.conflictsOnly ?? false],
  );
  return rows;
}

/**
 * Records the resolution of one conflict row and, when that leaves nothing open (`isDone`, and no file of the
 * notice held back whole still waits to be sent again whole: notices-repository.ts HELD_ROWS), the notice's
 * `closed` event,
 * in one transaction; the notice's entries are written one at a time (advisory lock), so two officers resolving
 * the last two rows at once close it once.
 */
export async function resolveNoticeRow(
  warehouse: Warehouse,
  event: NewNoticeEvent & { notice_row_id: number },
  isDone: (trx: Warehouse) => Promise<boolean>,
): Promise<{ eventId: number; closedEventId: number | undefined } | 'already-resolved'> {
  return warehouse.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [
      `credit-etl:notice-events:${event.notice_id}`,
    ]);
    const resolved = await trx('notice_events')
      .where({ notice_row_id: event.notice_row_id, kind: 'resolved' })
      .first();
    if (resolved) return 'already-resolved';
    const eventId = await appendNoticeEvent(trx, event);
    const alreadyClosed = await trx('notice_events')
      .where({ notice_id: event.notice_id, kind: 'closed' })
      .first();
    const heldOpen = (await noticeHeldFiles(trx, event.notice_id)).some(
      (file) => file.held > 0 && !file.redelivered,
    );
    if (alreadyClosed || heldOpen || !(await isDone(trx))) return { eventId, closedEventId: undefined };
    const closedEventId = await appendNoticeEvent(trx, {
      notice_id: event.notice_id,
      kind: 'closed',
      closed_how: 'conflicts-resolved',
      operator: event.operator,
    });
    return { eventId, closedEventId };
  });
}

/** Records a notice's `closed` event unless it has one (under the notice's lock, as resolveNoticeRow). */
export async function closeNoticeOnce(
  warehouse: Warehouse,
  event: NewNoticeEvent & { kind: 'closed'; closed_how: ClosedHow },
): Promise<number | 'already-closed'> {
  return warehouse.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [
      `credit-etl:notice-events:${event.notice_id}`,
    ]);
    const closed = await trx('notice_events').where({ notice_id: event.notice_id, kind: 'closed' }).first();
    if (closed) return 'already-closed';
    return appendNoticeEvent(trx, event);
  });
}
