import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import { entryVersion, missingEntryText } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { DisclosureState } from '../disclosure/disclosure-state.ts';
import { earlyRepairText, periodNote } from '../disclosure/disclosure-state.ts';
import { recordDisclosure } from '../disclosure/record-disclosure.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { repairMarks } from '../warehouse/disclosure-repository.ts';
import { objectionMarks } from '../warehouse/objections-repository.ts';
import { currentVersion } from '../warehouse/procedure-log-repository.ts';
import { checkGrounds, type Grounds, type ProcedureDone } from './legal-procedures.ts';
import { checkOfficer, ProcedureRefused, runProcedure } from './run-procedure.ts';

export interface RepairDone extends ProcedureDone {
  /** The record's disclosure just before the repair, as logged. */
  before: DisclosureState;
}

/**
 * 信用修复 (《信用修复管理办法》): ends a record's public disclosure early, through the procedure log (014). The
 * record stays current and keeps every version. Refused, naming why and what would make it possible: a record
 * that is withdrawn or superseded, repaired already (a repair in force), of an entry whose records are not 失信信息,
 * no longer shown (its period has run), or whose minimum disclosure period has not run yet (the day repair becomes
 * possible). A repair made before the version now in force may be repaired (its severity raised since) is not in
 * force: the record may be repaired again once that version allows it (057-repair-after-severity-raise.ts).
 */
export async function repairRecord(
  warehouse: Warehouse,
  catalog: Catalog,
  recordId: number,
  grounds: Grounds,
  today: string = todayInShanghai(),
): Promise<RepairDone> {
  checkGrounds(grounds);
  await checkOfficer(warehouse);
  const found = await currentVersion(warehouse, recordId);
  if (!found) throw new ProcedureRefused(`记录 ${recordId} 不存在`);
  if (found.status !== 'current') {
    const how = found.status === 'withdrawn' ? '已撤销' : '已被取代';
    throw new ProcedureRefused(
      `记录 ${recordId} ${how}（程序 #${found.statusProcedureId}），不再公示：不能信用修复`,
    );
  }
  const repairs = (await repairMarks(warehouse, [recordId])).get(recordId);
  const entry = entryVersion(catalog, found.catalogCode, found.catalogVersion);
  if (!entry)
    throw new ProcedureRefused(
      `记录 ${recordId} 不能信用修复：${missingEntryText(found.catalogCode, found.catalogVersion)}`,
    );
  if (!entry.disclosure.repair) {
    throw new ProcedureRefused(
      `${entry.title}（${entry.code}）的信息不是失信信息，不适用信用修复（${entry.disclosure.basis}）`,
    );
  }
  const objection = (await objectionMarks(warehouse, [recordId])).get(recordId);
  const before = recordDisclosure(
    entry,
    { status: found.status, data: found.data, formationDate: found.formationDate, repairs, objection },
    today,
  );
  // A repair in force refuses another; one made before the version now in force may be repaired stops nothing
  // (`earlyRepair`): the record may be repaired again, from that version's first repairable day (057).
  if (before.repair) {
    throw new ProcedureRefused(
      `记录 ${recordId} 已于 ${before.repair.on} 信用修复（程序 #${before.repair.procedureId}），不能重复修复`,
    );
  }
  if (before.state !== 'disclosed' && before.state !== 'objection') {
    throw new ProcedureRefused(`记录 ${recordId} ${before.label}：无需信用修复`);
  }
  const from = before.period.repairableFrom;
  if (!from || from > today) {
    throw new ProcedureRefused(
      `记录 ${recordId} 最短公示期未满，自 ${from ?? '（无起算日期）'} 起方可信用修复（${periodNote(before.period)}）` +
        (before.earlyRepair ? `；${earlyRepairText(before.earlyRepair)}` : ''),
    );
  }
  const procedureId = await runProcedure(warehouse, 'procedure_repair', [
    recordId,
    JSON.stringify(loggedDisclosure(before)),
    grounds.basis,
    grounds.reason,
    grounds.operator,
  ]);
  return { procedureId, warnings: [], before };
}

/** What the log keeps of the disclosure before the repair: enough to see that the rules allowed it. */
function loggedDisclosure(state: DisclosureState): Record<string, unknown> {
  const { period } = state;
  return {
    asOf: state.asOf,
    state: state.state,
    label: state.label,
    from: period.from,
    until: period.until,
    untilSource: period.untilSource,
    ...(period.severity ? { severity: period.severity, severitySource: period.severitySource } : {}),
    repairableFrom: period.repairableFrom,
    ...(state.objection ? { objectionId: state.objection.objectionId } : {}),
  };
}
