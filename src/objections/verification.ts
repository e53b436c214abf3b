import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { deadlineAfter } from '../calendar/provisional-deadline.ts';
import { requireShown, shownIfGiven } from '../identifiers/shown-text.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { appendObjectionStep, asOfficer } from '../warehouse/objection-log-repository.ts';
import { type VerificationStep, verificationSteps } from '../warehouse/objection-verification-repository.ts';
import type { ObjectionRow } from '../warehouse/objections-repository.ts';
import {
  DEFAULT_VERIFICATION_WORKING_DAYS,
  type VerificationAnswer,
  type VerificationNotice,
  type VerificationReply,
  type VerificationState,
  verificationState,
} from './verification-status.ts';

/** A verification step that may not be taken now; the message says why and what to do instead. */
export class VerificationRefused extends Error {
  override readonly name = 'VerificationRefused';
}

/** Each objection's verification state on `today`, from its log (one query for all of them). */
export async function verificationStates(
  warehouse: Warehouse,
  objectionIds: readonly number[],
  today: string = todayInShanghai(),
): Promise<Map<number, VerificationState>> {
  const steps = await verificationSteps(warehouse, objectionIds);
  const states = new Map<number, VerificationState>();
  for (const id of objectionIds) {
    const own = steps.filter((step) => step.objectionId === id);
    states.set(id, verificationState(noticeOf(own), replyOf(own), today));
  }
  return states;
}

/** The notice of an objection: its first `sent` step (a notice is issued once, then only written again). */
function noticeOf(steps: VerificationStep[]): VerificationNotice | null {
  const sent = steps.find((step) => step.kind === 'sent');
  if (!sent) return null;
  const detail = sent.detail;
  return {
    providerCode: String(detail.providerCode),
    issuedOn: String(detail.issuedOn),
    workingDays: Number(detail.workingDays),
    deadline: String(detail.deadline),
    provisional: detail.provisional === true,
  };
}

/** The provider's answer: the latest `answered` step (a later answer, e.g. a correction after all, wins). */
function replyOf(steps: VerificationStep[]): VerificationReply | null {
  const answered = steps.filter((step) => step.kind === 'answered').at(-1);
  if (!answered) return null;
  return {
    answer: answered.detail.answer as VerificationAnswer,
    answeredOn: String(answered.detail.answeredOn),
  };
}

export interface NoticeRequest {
  /** The provider asked; default the objection's (the one that delivered the record's current version). */
  providerCode?: string;
  workingDays?: number;
  /** Asia/Shanghai day the notice goes out, default today; the deadline counts from the next working day. */
  issuedOn?: string;
  operator: string;
}

/**
 * Issues the objection's verification notice: a `note` step in its log saying to whom, when and by when.
 * Refused when the objection's check (核查) is no longer open, when it has a notice already (write that one
 * again), or when no provider is known.
 */
export async function sendVerificationNotice(
  warehouse: Warehouse,
  objection: ObjectionRow,
  request: NoticeRequest,
  today: string = todayInShanghai(),
): Promise<VerificationNotice> {
  requireShown(request.operator, '--operator', '经办人', VerificationRefused);
  if (!objection.inProgress || objection.stage !== 'open')
    throw new VerificationRefused(
      `异议 ${objection.id} 的核查已办结：核实通知只在核查阶段发出 (objection ${objection.id} is past its check)`,
    );
  const [existing] = await verificationSteps(warehouse, [objection.id]);
  if (existing)
    throw new VerificationRefused(
      `异议 ${objection.id} 已于 ${String(existing.detail.issuedOn)} 发出核实通知 (a notice was issued already: \`objection notify ${objection.id} --out …\` writes it again)`,
    );
  const providerCode = request.providerCode ?? objection.providerCode;
  if (!providerCode)
    throw new VerificationRefused(
      `异议 ${objection.id} 没有可核实的报送单位：请用 --provider 指定 (no provider known: give --provider)`,
    );
  const workingDays = request.workingDays ?? DEFAULT_VERIFICATION_WORKING_DAYS;
  const issuedOn = request.issuedOn ?? today;
  // A notice is issued once and its log entry is never changed: a day not yet come would stand for good.
  if (issuedOn > today)
    throw new VerificationRefused(
      `核实通知的发出日期 ${issuedOn} 晚于今天 ${today}（Asia/Shanghai）：请填写实际发出的日期 (--issued-on is in the future: give the day the notice goes out)`,
    );
  if (issuedOn < objection.receivedOn)
    throw new VerificationRefused(
      `核实通知的发出日期 ${issuedOn} 早于异议受理日期 ${objection.receivedOn} (the notice cannot go out before the objection was received)`,
    );
  const { date: deadline, provisional } = deadlineAfter(issuedOn, workingDays);
  const notice: VerificationNotice = { providerCode, issuedOn, workingDays, deadline, provisional };
  await asOfficer(warehouse, (trx) =>
    appendObjectionStep(trx, objection.id, {
      action: 'note',
      note: `异议核实通知已发送 ${providerCode}，请于 ${deadline} 前答复`,
      operator: request.operator,
      detail: { verification: 'sent', ...notice },
    }),
  );
  return notice;
}

export interface AnswerRequest {
  answer: VerificationAnswer;
  /** The provider's reply letter (文号) or other reference. */
  basis: string;
  note?: string;
  answeredOn?: string;
  operator: string;
}

/**
 * Records the provider's answer to the notice (a `note` step). A later answer is recorded too and wins (the
 * log keeps both). Refused without a notice: there is nothing to answer.
 */
export async function recordVerificationAnswer(
  warehouse: Warehouse,
  objection: ObjectionRow,
  request: AnswerRequest,
  today: string = todayInShanghai(),
): Promise<VerificationReply> {
  requireShown(request.basis, '--basis', '报送单位的答复文号或依据', VerificationRefused);
  shownIfGiven(request.note, '--note', '说明', VerificationRefused);
  requireShown(request.operator, '--operator', '经办人', VerificationRefused);
  const notice = noticeOf(await verificationSteps(warehouse, [objection.id]));
  if (!notice)
    throw new VerificationRefused(
      `异议 ${objection.id} 尚未发出核实通知 (no verification notice yet: \`objection notify ${objection.id} --out …\`)`,
    );
  const reply: VerificationReply = {
    answer: request.answer,
    answeredOn: request.answeredOn ?? today,
  };
  if (reply.answeredOn > today)
    throw new VerificationRefused(
      `答复日期 ${reply.answeredOn} 晚于今天 ${today}（Asia/Shanghai）：请填写报送单位实际答复的日期 (--answered-on is in the future)`,
    );
  if (reply.answeredOn < notice.issuedOn)
    throw new VerificationRefused(
      `答复日期 ${reply.answeredOn} 早于核实通知发出日期 ${notice.issuedOn} (the answer cannot precede the notice)`,
    );
  await asOfficer(warehouse, (trx) =>
    appendObjectionStep(trx, objection.id, {
      action: 'note',
      basis: request.basis,
      note: request.note?.trim() ?? ANSWER_NOTES[request.answer],
      operator: request.operator,
      detail: { verification: 'answered', ...reply },
    }),
  );
  return reply;
}

const ANSWER_NOTES: Record<VerificationAnswer, string> = {
  confirmed: '报送单位核实：信息无误',
  corrected: '报送单位核实：信息有误，已重新报送更正',
};
