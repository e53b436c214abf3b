import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { latestObjectionDue, objectionDue } from '../calendar/objection-due.ts';
import type { Deadline } from '../calendar/provisional-deadline.ts';
import { calendar, type WorkingDayCalendar } from '../calendar/working-days.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { requireShown, shownIfGiven } from '../identifiers/shown-text.ts';
import {
  correctRecord,
  type Grounds,
  type ProcedureDone,
  supersedeRecord,
  withdrawRecord,
} from '../procedures/legal-procedures.ts';
import { checkOfficer, ProcedureRefused } from '../procedures/run-procedure.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { databaseRefusal } from '../warehouse/database-refusal.ts';
import { appendObjectionStep, asOfficer, insertObjection } from '../warehouse/objection-log-repository.ts';
import type {
  AppealStage,
  ObjectionChannel,
  ObjectionResult,
  ObjectionStage,
} from '../warehouse/objection-vocabulary.ts';
import { type ObjectionRow, objectionRows } from '../warehouse/objections-repository.ts';
import {
  type NumberedVersion,
  recordFirstLoadedOn,
  recordFormationDate,
  versionOfRecord,
} from '../warehouse/record-version-lookups.ts';
import { recordById } from '../warehouse/records-repository.ts';
import { dueStanding, latestDueText } from './objection-due-standing.ts';
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
 * The day of receipt, checked (a real day, not in the future, Asia/Shanghai), and its due date. A year the
 * calendar lacks does not stop the registration: Art. 18 ¶2 marks the record whatever the calendar knows, so the
 * due date is counted Monday–Friday there and marked provisional, as a provider's objection's is
 * (src/run/provider-objections.ts), with a warning that says so. `calendar recompute` settles it once the year is
 * added (src/calendar/recompute-pending.ts); until then it is raised as overdue only once even the latest day it can
 * be is past (src/objections/objection-due-standing.ts).
 */
export function objectionReceipt(
  receivedOn: string,
  today: string = todayInShanghai(),
  days: WorkingDayCalendar = calendar(),
): { receivedOn: string; due: Deadline; warnings: string[] } {
  if (receivedOn > today)
    throw new ObjectionRefused(
      `异议受理日期 ${receivedOn} 晚于今天 ${today}（Asia/Shanghai）：请填写收到异议申请的日期 (--received-at is in the future)`,
    );
  const due = objectionDue(receivedOn, days);
  return { receivedOn, due, warnings: due.provisional ? [provisionalDueWarning(receivedOn, due, days)] : [] };
}

function provisionalDueWarning(receivedOn: string, due: Deadline, days: WorkingDayCalendar): string {
  const missing: number[] = [];
  for (let year = Number(receivedOn.slice(0, 4)); year <= Number(due.date.slice(0, 4)); year++)
    if (!days.covers(year)) missing.push(year);
  // The latest day it can turn out to be: only after it is the objection raised as overdue (objection-due-standing.ts).
  const latest = latestObjectionDue(receivedOn, days).date;
  return (
    `异议核查期限 ${due.date} 为暂定：工作日日历缺少 ${missing.join('、')} 年数据，暂按周一至周五（除元旦、劳动节、国庆节）计算，` +
    `最迟可能为 ${latest}，此前暂不计为逾期；该年数据录入后请运行 credit-etl calendar recompute 重算 (the due date is provisional, ` +
    `counted Monday–Friday, and raised as overdue only after ${latest}, the latest it can be: add ${missing.join(', ')} ` +
    `to ${days.data.file} and run \`credit-etl calendar recompute\`, src/calendar/README.md)`
  );
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

export interface ObjectionOpened {
  objection: ObjectionRow;
  /** What the officer should know: a provisional due date. */
  warnings: string[];
}

/** Registers an objection as the officer; the record is marked 异议处理中 from this moment. */
export async function openObjection(
  warehouse: Warehouse,
  opening: ObjectionOpening,
  today?: string,
): Promise<ObjectionOpened> {
  required(opening.applicant, '--applicant', '异议申请人');
  required(opening.reason, '--reason', '异议理由');
  required(opening.operator, '--operator', '经办人');
  shownIfGiven(opening.basis, '--basis', '依据', ObjectionRefused);
  shownIfGiven(opening.note, '--note', '说明', ObjectionRefused);
  const { due, warnings } = objectionReceipt(opening.receivedOn, today);
  // An objection to a decision is not received before the decision was made: a year typed wrong would make it
  // overdue from the start.
  const decided = await recordFormationDate(warehouse, opening.recordId);
  if (decided && opening.receivedOn < decided)
    throw new ObjectionRefused(
      `异议受理日期 ${opening.receivedOn} 早于记录 ${opening.recordId} 的决定日期 ${decided}：` +
        `异议受理日期不能早于该记录的决定日期，请填写收到异议申请的日期 (--received-at)`,
    );
  // Received before the record came into the platform (its first version's load day): allowed, since objections
  // registered in an earlier system are migrated with their own receipt days, but said: until that day the `--as-of`
  // views (record, subject, report disclosure) show an objection on a record they do not know yet.
  const loaded = await recordFirstLoadedOn(warehouse, opening.recordId);
  if (loaded && opening.receivedOn < loaded)
    warnings.push(
      `异议受理日期 ${opening.receivedOn} 早于记录 ${opening.recordId} 首次归集入平台的日期 ${loaded}：` +
        `请核对受理日期；迁移原系统的异议时属正常，但按 ${loaded} 之前的日期查看 (--as-of) 时该记录尚不存在 ` +
        `(--received-at ${opening.receivedOn} is before record ${opening.recordId} was first loaded, ${loaded}, Asia/Shanghai)`,
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
  return { objection: await shown(warehouse, id), warnings };
}

/** How an upheld or partly upheld result is carried out: one of the legal procedures of Art. 17. */
export type Remedy =
  | { kind: 'withdraw' }
  | { kind: 'correct'; settings: readonly string[] }
  | { kind: 'supersede'; byRecordId: number }
  /** A procedure already run on the record (`credit-etl procedure …`), cited by its log id. */
  | { kind: 'procedure'; procedureId: number }
  /** The provider's corrected re-delivery: the record's version it delivered (`v<n>` in `record`). */
  | { kind: 'version'; versionNo: number };

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
  /** The legal procedure that carried out an upheld or partly upheld result… */
  procedure?: ProcedureDone;
  /** …or the delivered version that did (the provider's corrected re-delivery). */
  version?: { versionId: number; versionNo: number };
  /** What the officer should know: the check closed after its due date (逾期办结). */
  warnings: string[];
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
      '异议不成立不改变记录：请去掉 --withdraw、--set、--superseded-by、--procedure 和 --version ' +
        '(a rejected objection changes nothing)',
    );
  if (decision.result !== 'rejected' && !remedy)
    throw new ObjectionRefused(
      `${RESULT_TITLES[decision.result]}的结果须经法定程序办理（第十七条）：请给出 --withdraw（撤销）、` +
        '--set 字段=值（更正）、--superseded-by <记录>（取代）、--procedure <程序编号>（已办理的程序）或 ' +
        '--version <版本号>（数据提供单位报送的更正版本）之一 ' +
        `(an ${decision.result} result must be carried out by a legal procedure or a corrected delivery)`,
    );
  const objection = await existing(warehouse, objectionId);
  await officer(warehouse);
  if (remedy) await checkRemedy(warehouse, objection.recordId, remedy);
  const warnings = stage === 'open' ? lateCheckWarnings(objection, todayInShanghai()) : [];
  const version =
    remedy?.kind === 'version'
      ? await deliveredVersion(warehouse, objection.recordId, remedy.versionNo)
      : undefined;
  const grounds: Grounds = {
    basis: decision.basis,
    reason: `异议 #${objection.id} ${STAGE_TITLES[stage]}结果：${RESULT_TITLES[decision.result]}。${decision.note}`,
    operator: decision.operator,
  };
  const procedure = await refusedAsObjection(() =>
    asOfficer(warehouse, async (trx) => {
      const done =
        remedy && remedy.kind !== 'version'
          ? await carryOut(trx, catalog, objection.recordId, remedy, grounds)
          : undefined;
      await appendObjectionStep(trx, objection.id, {
        action: stage === 'open' ? 'close' : 'outcome',
        stage,
        result: decision.result,
        ...(done ? { procedureId: done.procedureId } : {}),
        ...(version ? { versionId: version.id } : {}),
        basis: decision.basis,
        note: decision.note,
        operator: decision.operator,
        ...(remedy ? { detail: { remedy: remedy.kind } } : {}),
      });
      return done;
    }),
  );
  return {
    objection: await shown(warehouse, objection.id),
    ...(procedure ? { procedure } : {}),
    ...(version ? { version: { versionId: version.id, versionNo: version.versionNo } } : {}),
    warnings,
  };
}

/**
 * The check closed after its due date (Art. 18: 3 working days from receipt): allowed, since a late answer is still
 * owed, but said, and `objection list` shows it as 逾期办结 from then on (objection-due-standing.ts). A provisional
 * date counts as passed once even the latest day it can be is past, as `objection check` counts it.
 */
function lateCheckWarnings(objection: ObjectionRow, today: string): string[] {
  const { overdue, dueLatest } = dueStanding(objection, today);
  if (!overdue) return [];
  const due = dueLatest ? `${objection.dueOn}（暂定，${latestDueText(dueLatest)}）` : objection.dueOn;
  const dueEn = dueLatest ? `${dueLatest.date} (the latest its provisional date can be)` : objection.dueOn;
  return [
    `异议 #${objection.id}（记录 ${objection.recordId}）${objection.receivedOn} 受理，核查期限 ${due}，` +
      `今天 ${today} 办结已逾期：记为逾期办结 (objection ${objection.id} closed on ${today}, after its due date ` +
      `${dueEn}: listed as closed late)`,
  ];
}

/**
 * A record a procedure already ended takes no new procedure: the one that ended it may be what carries this
 * result out too, at any stage (cited with --procedure; the database checks it was performed after this objection
 * was registered and that no step of this objection cites it yet: 038). Said before anything is tried, with the id
 * to cite.
 */
async function checkRemedy(warehouse: Warehouse, recordId: number, remedy: Remedy): Promise<void> {
  if (remedy.kind === 'procedure' || remedy.kind === 'version') return;
  const record = await recordById(warehouse, recordId);
  if (!record || record.status === 'current' || record.statusProcedureId === null) return;
  const how = record.status === 'withdrawn' ? '撤销' : '被取代';
  const flag =
    remedy.kind === 'withdraw' ? '--withdraw' : remedy.kind === 'correct' ? '--set' : '--superseded-by';
  throw new ObjectionRefused(
    `记录 ${recordId} 已${how}（程序 #${record.statusProcedureId}），不能再办理 ${flag}：` +
      `若该程序已实现本异议的结果，请用 --procedure ${record.statusProcedureId} 引用它 ` +
      `(record ${recordId} was ended by procedure #${record.statusProcedureId}: cite it with --procedure ${record.statusProcedureId})`,
  );
}

/** The version `--version <n>` names on the record; the database checks the rest (a delivery, after registration). */
async function deliveredVersion(
  warehouse: Warehouse,
  recordId: number,
  versionNo: number,
): Promise<NumberedVersion> {
  const version = await versionOfRecord(warehouse, recordId, versionNo);
  if (!version)
    throw new ObjectionRefused(
      `记录 ${recordId} 没有版本 v${versionNo}：版本号见 credit-etl record ${recordId} (--version ${versionNo}: no such version)`,
    );
  return version;
}

async function carryOut(
  trx: Warehouse,
  catalog: Catalog,
  recordId: number,
  remedy: Exclude<Remedy, { kind: 'version' }>,
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
  required(step.note, '--note', '说明');
  required(step.operator, '--operator', '经办人');
  const objection = await existing(warehouse, objectionId);
  await officer(warehouse);
  await checkAppealable(warehouse, objection, step.stage);
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

/**
 * A result carried out by ending the record (`--withdraw`, `--superseded-by`, or `--procedure` citing the procedure
 * that ended it) gave the subject all an objection can: the record is no longer current, shown to no one, and takes
 * no new objection or procedure. There is nothing left to appeal (Art. 18 ¶2: 对异议处理结果有异议的), and marking
 * it 异议处理中 again would label a record nobody is shown. A superseding record is a record of its own: an objection
 * to it is opened on it. An appeal of a result the procedure did not carry out (a rejected check on a record a
 * provider's delivery withdrew meanwhile) stays open to the subject. Said before anything is tried; out-of-order
 * stages are left to the database's message.
 */
async function checkAppealable(
  warehouse: Warehouse,
  objection: ObjectionRow,
  stage: AppealStage,
): Promise<void> {
  if (objection.inProgress || objection.lastProcedureId === null) return;
  const record = await recordById(warehouse, objection.recordId);
  if (!record || record.status === 'current' || record.statusProcedureId !== objection.lastProcedureId)
    return;
  const ended = record.status === 'withdrawn' ? '已撤销' : `已被记录 ${record.supersededBy} 取代`;
  const newRecord =
    record.status === 'superseded' && record.supersededBy !== null
      ? `；对记录 ${record.supersededBy} 有异议的，请对该记录另行提出异议`
      : '';
  throw new ObjectionRefused(
    `异议 ${objection.id} 的${RESULT_TITLES[objection.lastResult ?? 'upheld']}结果已由程序 #${record.statusProcedureId} 办理，` +
      `记录 ${record.id} ${ended}，不再是现行信息，也不再标注异议：本异议已无需继续处理，不能进入${STAGE_TITLES[stage]}阶段${newRecord} ` +
      `(objection ${objection.id}: its result ended record ${record.id} by procedure #${record.statusProcedureId}, ` +
      `nothing is left to ${stage})`,
  );
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

/**
 * A text the step needs must show something (053): spaces, control and invisible characters do not count. Refused
 * before anything is read or written, whoever calls (the CLI, the console).
 */
function required(value: string | undefined, flag: string, title: string): void {
  requireShown(value, flag, title, ObjectionRefused);
}

async function officer(warehouse: Warehouse): Promise<void> {
  await refusedAsObjection(() => checkOfficer(warehouse));
}

/**
 * The database's refusals (a step out of order, a record no longer current, a missing privilege) and a
 * procedure's become ObjectionRefused: nothing was written, the message says why, without the statement knex
 * puts before it (databaseRefusal).
 */
async function refusedAsObjection<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProcedureRefused) throw new ObjectionRefused(error.message);
    const refused = databaseRefusal(error);
    if (refused !== undefined) throw new ObjectionRefused(refused);
    throw error;
  }
}
