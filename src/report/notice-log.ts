import { requireShown, shownIfGiven } from '../identifiers/shown-text.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  appendNoticeEvent,
  type ClosedHow,
  closeNoticeOnce,
  type NoticeRowAt,
  noticeRowsAt,
  resolveNoticeRow,
} from '../warehouse/notice-events-repository.ts';
import { noticeRowStates } from '../warehouse/notices-repository.ts';
import { type NoticeState, noticeStates } from './notice-status.ts';
import { NoticeRefused } from './notices.ts';

/** How a notice reaches a provider (`notice sent --channel`), with the words the log shows. */
export const NOTICE_CHANNELS = {
  email: '电子邮件',
  platform: '信用信息平台',
  document: '公文交换（OA）',
  post: '邮寄纸质件',
  fax: '传真',
  'in-person': '当面送达',
} as const;
export type NoticeChannel = keyof typeof NOTICE_CHANNELS;

export const CLOSED_HOW_TITLES: Record<ClosedHow, string> = {
  redelivery: '重报更正',
  'conflicts-resolved': '冲突已确认（以现行数据为准）',
  'by-hand': '人工办结',
};

/** Who records an event and anything they want to add. */
export interface EventAuthor {
  operator: string;
  note?: string | undefined;
}

/** Records that the notice was sent, by which channel to whom. */
export async function recordSent(
  warehouse: Warehouse,
  noticeId: number,
  sent: EventAuthor & { channel: NoticeChannel; recipient: string },
): Promise<number> {
  requireShown(sent.recipient, '--to', '接收人', NoticeRefused);
  checkAuthor(sent);
  await noticeNamed(warehouse, noticeId);
  return appendNoticeEvent(warehouse, {
    notice_id: noticeId,
    kind: 'sent',
    channel: sent.channel,
    recipient: sent.recipient.trim(),
    note: sent.note ?? null,
    operator: sent.operator,
  });
}

/** Records that the provider acknowledged receipt. */
export async function recordAcknowledged(
  warehouse: Warehouse,
  noticeId: number,
  author: EventAuthor,
): Promise<number> {
  checkAuthor(author);
  await noticeNamed(warehouse, noticeId);
  return appendNoticeEvent(warehouse, {
    notice_id: noticeId,
    kind: 'acknowledged',
    note: author.note ?? null,
    operator: author.operator,
  });
}

/**
 * Closes a notice in the log. One whose rows are all done closes as it was done (re-delivery, or conflicts
 * resolved); one with open rows only by hand, on a stated basis (a provider's written confirmation, a decision).
 */
export async function closeNotice(
  warehouse: Warehouse,
  noticeId: number,
  close: EventAuthor & { basis?: string | undefined },
): Promise<ClosedHow> {
  shownIfGiven(close.basis, '--basis', '办结依据', NoticeRefused);
  checkAuthor(close);
  const state = await noticeNamed(warehouse, noticeId);
  const basis = close.basis?.trim();
  let how: ClosedHow;
  if (state.corrected >= state.rows) {
    const resolved = (await noticeRowsAt(warehouse, noticeId, { conflictsOnly: true })).some(
      (row) => row.resolved,
    );
    how = resolved ? 'conflicts-resolved' : 'redelivery';
  } else if (basis) how = 'by-hand';
  else
    throw new NoticeRefused(
      `notice ${noticeId} has ${state.rows - state.corrected} of ${state.rows} row(s) not corrected: close it by hand ` +
        'with --basis <the written basis, e.g. the provider’s confirmation or a decision>, or wait for the corrections',
    );
  const id = await closeNoticeOnce(warehouse, {
    notice_id: noticeId,
    kind: 'closed',
    closed_how: how,
    basis: basis ?? null,
    note: close.note ?? null,
    operator: close.operator,
  });
  if (id === 'already-closed')
    throw new NoticeRefused(
      `notice ${noticeId} is closed already: see \`credit-etl notice show ${noticeId}\``,
    );
  return how;
}

/**
 * "确认以省级数据为准": the current version of a conflict row stands, the higher channel's or the one a legal procedure
 * corrected. Recorded in the log (the data is not touched: the warehouse already holds that version); the row counts
 * as done, and the notice closes when nothing else is open.
 */
export async function acceptHigherChannel(
  warehouse: Warehouse,
  noticeId: number,
  serial: number,
  author: EventAuthor,
): Promise<{ closed: boolean }> {
  checkAuthor(author);
  const row = await openConflictRow(warehouse, noticeId, serial);
  const result = await resolveNoticeRow(
    warehouse,
    {
      notice_id: noticeId,
      notice_row_id: row.id,
      kind: 'resolved',
      resolution: 'accept-higher',
      note: author.note ?? null,
      operator: author.operator,
    },
    async (trx) => [...(await noticeRowStates(trx, noticeId)).values()].every(Boolean),
  );
  if (result === 'already-resolved')
    throw new NoticeRefused(`notice ${noticeId} row ${serial} is resolved already`);
  return { closed: result.closedEventId !== undefined };
}

/** Escalates a conflict row (to the platform's coordination, Art. 13): recorded, the row stays open. */
export async function escalateRow(
  warehouse: Warehouse,
  noticeId: number,
  serial: number,
  author: EventAuthor & { note: string },
): Promise<number> {
  requireShown(author.note, '--reason', '上报理由', NoticeRefused);
  requireShown(author.operator, '--operator', '经办人', NoticeRefused);
  const row = await openConflictRow(warehouse, noticeId, serial);
  if (row.escalated) throw new NoticeRefused(`notice ${noticeId} row ${serial} is escalated already`);
  return appendNoticeEvent(warehouse, {
    notice_id: noticeId,
    notice_row_id: row.id,
    kind: 'escalated',
    note: author.note.trim(),
    operator: author.operator,
  });
}

/**
 * What an event records must show something (053): its operator, and its note if given; spaces, control and
 * invisible characters do not count. Refused before anything is read or written, whoever calls.
 */
function checkAuthor(author: EventAuthor): void {
  shownIfGiven(author.note, '--note', '说明', NoticeRefused);
  requireShown(author.operator, '--operator', '经办人', NoticeRefused);
}

async function noticeNamed(warehouse: Warehouse, noticeId: number): Promise<NoticeState> {
  const [state] = await noticeStates(warehouse, { noticeId });
  if (!state) throw new NoticeRefused(`notice ${noticeId} not found: see \`credit-etl notice list\``);
  return state;
}

/** The conflict row at a 序号 of a notice that is still open, or a refusal saying what it is instead. */
async function openConflictRow(warehouse: Warehouse, noticeId: number, serial: number): Promise<NoticeRowAt> {
  const state = await noticeNamed(warehouse, noticeId);
  if (state.status === 'closed') throw new NoticeRefused(`notice ${noticeId} is closed: nothing to resolve`);
  const [row] = await noticeRowsAt(warehouse, noticeId, { serial });
  if (!row)
    throw new NoticeRefused(
      `notice ${noticeId} has no row ${serial} (rows 1–${state.rows}, the 序号 of 问题清单)`,
    );
  if (row.kind !== 'conflict') {
    const conflicts = await noticeRowsAt(warehouse, noticeId, { conflictsOnly: true });
    throw new NoticeRefused(
      `notice ${noticeId} row ${serial} is a rejected row: it is corrected by re-delivery, not resolved; ` +
        (conflicts.length === 0
          ? 'this notice has no conflict rows'
          : `its conflict rows are ${conflicts.map((c) => c.serial).join(', ')}`),
    );
  }
  if (row.resolved) throw new NoticeRefused(`notice ${noticeId} row ${serial} is resolved already`);
  if ((await noticeRowStates(warehouse, noticeId)).get(row.id))
    throw new NoticeRefused(
      `notice ${noticeId} row ${serial} was corrected by a later delivery: nothing to resolve`,
    );
  return row;
}
