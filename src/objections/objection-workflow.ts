import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { objectionDue } from '../calendar/objection-due.ts';
import type { Deadline } from '../calendar/provisional-deadline.ts';
import { calendar, type WorkingDayCalendar } from '../calendar/working-days.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import {
  correctRecord,
  type Grounds,
  type ProcedureDone,
  supersedeRecord,
  withdrawRecord,
} from '../procedures/legal-procedures.ts';
import { checkOfficer, ProcedureRefused } from '../procedures/run-procedure.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  type AppealStage,
  appendObjectionStep,
  asOfficer,
  insertObjection,
  type ObjectionChannel,
  type ObjectionResult,
  type ObjectionRow,
  type ObjectionStage,
  objectionRows,
  recordFormationDate,
} from '../warehouse/objections-repository.ts';
import { RESULT_TITLES, STAGE_TITLES } from './objection-titles.ts';

/**
 * The objection workflow of Art. 18 as an officer runs it: register (the record is marked at once), decide
 * the platform's check within 3 working days, then the appeal (申诉), administrative review (行政复议) and
 * lawsuit (行政诉讼) stages. An upheld or partly upheld result is carried out by a legal procedure (Art. 17) in
 * the same transaction as the decision, so neither exists without the other.
 */

/** Refused before anything was written: the message says why (exit 2). */
export class ObjectionRefused extends Error {
  override readonly name = 'ObjectionRefused';
}

/**
 * The day of receipt, checked: a real day, not in the future (Asia/Shanghai), in a year the calendar knows
 * (the due date of a receipt in an unknown year would be a guess from day one), and its due date.
 */
export function objectionReceipt(
  receivedOn: string,
  today: string = todayInShanghai(),
  days: WorkingDayCalendar = calendar(),
): { receivedOn: string; due: Deadline } {
  if (receivedOn > today)
    throw new ObjectionRefused(
      `--received-at ${receivedOn} is in the future (today is ${today} in Asia/Shanghai): give the day the objection was received`,
    );
  const year = Number(receivedOn.slice(0, 4));
  if (!days.covers(year)) {
    const known = days.calendarYears();
    throw new ObjectionRefused(
      `--received-at ${receivedOn}: the working-day calendar has no data for ${year} (it covers ${known.from}–${known.to}), ` +
        `so the 3-working-day due date cannot be counted: add the year to ${days.data.file} (src/calendar/README.md) / ` +
        `工作日日历缺少 ${year} 年数据，无法计算异议核查期限`,
    );
  }
  return { receivedOn, due: objectionDue(receivedOn, days) };
}

export interface ObjectionOpening {
  recordId: number;
  applicant: string;
  reason: string;
  receivedOn: string;
  channel: ObjectionChannel;
  operator: string;
  basis?: string;
  note?: string;
}

/** Registers an objection as the officer; the record is marked 异议处理中 from this moment. */
export async function openObjection(
  warehouse: Warehouse,
  opening: ObjectionOpening,
  today?: string,
): Promise<ObjectionRow> {
  required(opening.applicant, '--applicant', '异议申请人');
  required(opening.reason, '--reason', '异议理由');
  required(opening.operator, '--operator', '经办人');
  const { due } = objectionReceipt(opening.receivedOn, today);
  // An objection to a decision is not received before the decision was made: a year typed wrong would make it
  // overdue from the start.
  const decided = await recordFormationDate(warehouse, opening.recordId);
  if (decided && opening.receivedOn < decided)
    throw new ObjectionRefused(
      `--received-at ${opening.receivedOn} is before record ${opening.recordId}'s decision date ${decided}: ` +
        `give the day the objection was received / 异议受理日期不能早于该记录的决定日期（${decided}）`,
    );
  await officer(warehouse);
  const id = await refusedAsObjection(() =>
    asOfficer(warehouse, (trx) =>
      insertObjection(trx, {
        ...opening,
        dueOn: due.date,
        dueProvisional: due.provisional,
      }),
    ),
  );
  return shown(warehouse, id);
}

/** How an upheld or partly upheld result is carried out: one of the legal procedures of Art. 17. */
export type Remedy =
  | { kind: 'withdraw' }
  | { kind: 'correct'; settings: readonly string[] }
  | { kind: 'supersede'; byRecordId: number }
  /** A procedure already run on the record (`credit-etl procedure …`), cited by its log id. */
  | { kind: 'procedure'; procedureId: number };

export interface Decision {
  result: ObjectionResult;
  basis: string;
  note: string;
  operator: string;
  remedy?: Remedy;
}

/** `objection close`: the platform's check (核查) decided. */
export function closeObjection(
  warehouse: Warehouse,
  catalog: Catalog,
  objectionId: number,
  decision: Decision,
): Promise<DecisionDone> {
  return decide(warehouse, catalog, objectionId, 'open', decision);
}

/** `objection outcome`: the result of an appeal, an administrative review or a lawsuit. */
export function recordOutcome(
  warehouse: Warehouse,
  catalog: Catalog,
  objectionId: number,
  stage: AppealStage,
  decision: Decision,
): Promise<DecisionDone> {
  return decide(warehouse, catalog, objectionId, stage, decision);
}

export interface DecisionDone {
  objection: ObjectionRow;
  /** The legal procedure that carried out an upheld or partly upheld result. */
  procedure?: ProcedureDone;
}

async function decide(
  warehouse: Warehouse,
  catalog: Catalog,
  objectionId: number,
  stage: ObjectionStage,
  decision: Decision,
): Promise<DecisionDone> {
  required(decision.basis, '--basis', '依据');
  required(decision.note, '--note', '说明');
  required(decision.operator, '--operator', '经办人');
  const { remedy } = decision;
  if (decision.result === 'rejected' && remedy)
    throw new ObjectionRefused(
      'a rejected objection changes nothing: drop --withdraw, --set, --superseded-by and --procedure',
    );
  if (decision.result !== 'rejected' && !remedy)
    throw new ObjectionRefused(
      `an ${decision.result} result must be carried out by a legal procedure (Art. 17): give --withdraw, ` +
        '--set 字段=值 (correct), --superseded-by <record> or --procedure <id> (one already run)',
    );
  const objection = await existing(warehouse, objectionId);
  await officer(warehouse);
  const grounds: Grounds = {
    basis: decision.basis,
    reason: `异议 #${objection.id} ${STAGE_TITLES[stage]}结果：${RESULT_TITLES[decision.result]}。${decision.note}`,
    operator: decision.operator,
  };
  const procedure = await refusedAsObjection(() =>
    asOfficer(warehouse, async (trx) => {
      const done = remedy && (await carryOut(trx, catalog, objection.recordId, remedy, grounds));
      await appendObjectionStep(trx, objection.id, {
        action: stage === 'open' ? 'close' : 'outcome',
        stage,
        result: decision.result,
        ...(done ? { procedureId: done.procedureId } : {}),
        basis: decision.basis,
        note: decision.note,
        operator: decision.operator,
        ...(remedy ? { detail: { remedy: remedy.kind } } : {}),
      });
      return done;
    }),
  );
  return { objection: await shown(warehouse, objection.id), ...(procedure ? { procedure } : {}) };
}

async function carryOut(
  trx: Warehouse,
  catalog: Catalog,
  recordId: number,
  remedy: Remedy,
  grounds: Grounds,
): Promise<ProcedureDone> {
  switch (remedy.kind) {
    case 'withdraw':
      return withdrawRecord(trx, recordId, grounds);
    case 'correct':
      return correctRecord(trx, catalog, recordId, remedy.settings, grounds);
    case 'supersede':
      return supersedeRecord(trx, recordId, remedy.byRecordId, grounds);
    case 'procedure':
      return { procedureId: remedy.procedureId, warnings: [] };
  }
}

/** `objection appeal`: the subject appeals (申诉), seeks administrative review or sues; the record is marked again. */
export async function appealObjection(
  warehouse: Warehouse,
  objectionId: number,
  step: { stage: AppealStage; basis: string; note: string; operator: string },
): Promise<ObjectionRow> {
  required(step.basis, '--basis', '依据');
  required(step.operator, '--operator', '经办人');
  const objection = await existing(warehouse, objectionId);
  await officer(warehouse);
  await refusedAsObjection(() =>
    asOfficer(warehouse, (trx) =>
      appendObjectionStep(trx, objection.id, {
        action: 'appeal',
        stage: step.stage,
        basis: step.basis,
        note: step.note,
        operator: step.operator,
      }),
    ),
  );
  return shown(warehouse, objection.id);
}

async function existing(warehouse: Warehouse, objectionId: number): Promise<ObjectionRow> {
  const [objection] = await objectionRows(warehouse, { id: objectionId });
  if (!objection) throw new ObjectionRefused(`异议 ${objectionId} 不存在 (no objection ${objectionId})`);
  return objection;
}

async function shown(warehouse: Warehouse, objectionId: number): Promise<ObjectionRow> {
  const [objection] = await objectionRows(warehouse, { id: objectionId });
  if (!objection) throw new Error(`objection ${objectionId} was written but cannot be read back`);
  return objection;
}

function required(value: string | undefined, flag: string, title: string): void {
  if (!value?.trim()) throw new ObjectionRefused(`${flag} is required and may not be blank (${title})`);
}

async function officer(warehouse: Warehouse): Promise<void> {
  await refusedAsObjection(() => checkOfficer(warehouse));
}

interface PgError {
  code?: string;
  message: string;
}

/**
 * knex puts the statement before the database's message (`insert into … - 异议 8 …`, a procedure's
 * `SELECT procedure_supersede($1, …) AS id - 记录 8 …`): the officer needs the message.
 */
function withoutStatement(message: string): string {
  return message.replace(/^(?:insert|select|update|delete|with)\s[\s\S]*? - /i, '');
}

/**
 * The database's refusals (a step out of order, a record no longer current, a missing privilege) and a
 * procedure's become ObjectionRefused: nothing was written, the message says why.
 */
async function refusedAsObjection<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProcedureRefused) throw new ObjectionRefused(withoutStatement(error.message));
    const code = (error as PgError).code;
    if (code === '42501' || code === 'P0001' || code === 'P0002' || code?.startsWith('23'))
      throw new ObjectionRefused(withoutStatement((error as PgError).message));
    throw error;
  }
}
