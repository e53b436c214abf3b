import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import { type DueStanding, dueStanding, latestDueText } from '../objections/objection-due-standing.ts';
import {
  ACTION_TITLES,
  dueText,
  markStageText,
  RESULT_TITLES,
  STAGE_TITLES,
} from '../objections/objection-titles.ts';
import type { DecisionDone } from '../objections/objection-workflow.ts';
import { type VerificationState, verificationLine } from '../objections/verification-status.ts';
import type { ObjectionStep } from '../warehouse/objection-log-repository.ts';
import type { ObjectionRow } from '../warehouse/objections-repository.ts';
import { formatTable } from './format-table.ts';

/** An objection as `objection` prints it: its one-line summary, its state, and the page with its trail. */

/**
 * The row as `objection list|show --json` print it: whether it is overdue (a provisional due date: once even the
 * latest day it can be is past), or only past a provisional date; a provisional one's latest day (`dueLatest`:
 * `{ date, exact }`); whether its check was closed after its due date (`closedLate`, `closedOn`).
 */
export function withOverdue(row: ObjectionRow, asOf: string): ObjectionRow & DueStanding {
  return { ...row, ...dueStanding(row, asOf) };
}

/**
 * `异议处理中 · 已逾期`, `异议处理中 · 已逾期（期限暂定，最迟 2026-10-17 已过）`, `异议处理中 · 暂定期限已过`,
 * `办结：异议不成立`, `办结：异议成立（程序 #7）`, `办结：异议不成立 · 逾期办结（2026-12-07 办结）`.
 */
export function stateText(row: ObjectionRow, asOf: string): string {
  const { overdue, provisionalPastDue, dueLatest, closedLate, closedOn } = dueStanding(row, asOf);
  // The check closed after its due date: said for good, through a later stage too.
  const late = closedLate ? ` · ${row.stage === 'open' ? '' : '核查'}逾期办结（${closedOn} 办结）` : '';
  if (row.inProgress) {
    if (overdue)
      return `异议处理中 · 已逾期${dueLatest ? `（期限暂定，${latestDueText(dueLatest)}，已过）` : ''}`;
    return `异议处理中${provisionalPastDue ? ' · 暂定期限已过' : ''}${late}`;
  }
  const remedy = remedyText(row.lastProcedureId, row.lastVersionNo);
  return `办结${row.lastResult ? `：${RESULT_TITLES[row.lastResult]}${remedy ? `（${remedy}）` : ''}` : ''}${late}`;
}

/** What carried a result out: `程序 #7`, `报送更正 v2`, or nothing. */
function remedyText(procedureId: number | null, versionNo: number | null): string {
  if (procedureId !== null) return `程序 #${procedureId}`;
  if (versionNo !== null) return `报送更正 v${versionNo}`;
  return '';
}

/**
 * `objection list`'s due column: the platform's check's due date (`2026-02-25`, `2026-10-05（暂定）`, in Chinese as
 * the state beside it and the console say it: dueText); in an appeal, review or lawsuit the day that stage began
 * (`since 2026-12-06`), not the finished check's due date as if it were the stage's (as markStageText).
 */
export function dueCell(row: ObjectionRow): string {
  return row.stage === 'open' ? dueText(row) : `since ${row.stageSince}`;
}

/**
 * `objection #3 on record 12 (xzcf) · 异议核查 异议处理中 (record marked) · received 2026-02-13, due 2026-02-25`;
 * in a later stage the check's due date is named as the check's, and the stage's start follows:
 * `… · received 2026-11-02, check due 2026-11-05, appeal since 2026-12-06`.
 */
export function objectionLine(row: ObjectionRow): string {
  const due = `due ${row.dueOn}${row.dueProvisional ? ' (provisional: a year without calendar data)' : ''}`;
  return (
    `objection #${row.id} on record ${row.recordId} (${row.catalogCode}) · ${STAGE_TITLES[row.stage]} ` +
    `${row.inProgress ? '异议处理中 (record marked)' : '办结 (mark lifted)'} · received ${row.receivedOn}, ` +
    (row.stage === 'open' ? due : `check ${due}, ${markStageText(row)}`)
  );
}

export function decisionLines(done: DecisionDone): string {
  const row = done.objection;
  const result = row.lastResult ? RESULT_TITLES[row.lastResult] : '—';
  const carried = done.procedure
    ? ` · carried out by legal procedure #${done.procedure.procedureId}`
    : done.version
      ? ` · carried out by the provider's corrected delivery v${done.version.versionNo} (报送更正)`
      : '';
  return `${objectionLine(row)}\n    result ${result}${carried}`;
}

/** The objection page: what was received, its state, and every step. */
export function formatObjection(
  row: ObjectionRow,
  steps: ObjectionStep[],
  asOf: string,
  verification: VerificationState,
): string {
  return [
    objectionLine(row),
    `applicant ${row.applicant} · channel ${row.channel} · provider ${row.providerCode ?? '—'}`,
    `reason ${row.reason}`,
    `state ${stateText(row, asOf)}`,
    `provider's verification (核实) ${verificationLine(verification)}`,
    '',
    'trail (oldest first):',
    formatTable(
      ['step', 'at', 'action', 'stage', 'result', 'carried out by', 'basis', 'note', 'by'],
      steps.map((step) => [
        step.id,
        shanghaiTime(step.performedAt),
        ACTION_TITLES[step.action],
        STAGE_TITLES[step.stage],
        step.result ? RESULT_TITLES[step.result] : '',
        remedyText(step.procedureId, step.versionNo),
        step.basis ?? '',
        step.note ?? '',
        `${step.operator} (db ${step.dbUser})`,
      ]),
    ),
  ].join('\n');
}
