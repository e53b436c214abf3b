import { parseTypedKey } from '../dedupe/business-key.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type ProcedureEntry, procedureEntries } from '../warehouse/procedure-log-repository.ts';
import {
  channelFilesOfRecord,
  findRecordRows,
  type RecordRow,
  type RecordThen,
  type RowData,
  recordById,
  type SourceRow,
  sourcesOfRecord,
  type VersionRow,
  versionsOfRecord,
} from '../warehouse/records-repository.ts';
import {
  type RefusedWithdrawalRow,
  refusedWithdrawalsOfRecord,
} from '../warehouse/refused-withdrawals-repository.ts';

import { type UnchangedDelivery, unchangedDeliveries } from './unchanged-runs.ts';

// The row types are the warehouse's (src/warehouse/records-repository.ts); re-exported for the engine's readers.
export type { RecordRow, RecordThen, RefusedWithdrawalRow, RowData, SourceRow, VersionRow };

export interface RecordHistory {
  record: RecordRow;
  /** Oldest first; the last one is the current version. */
  versions: VersionRow[];
  /** Every delivered row of the record with a lineage row, in arrival order. */
  sources: SourceRow[];
  /** Unchanged re-deliveries its files counted compactly (017-compact-lineage), in file order per channel. */
  unchanged: UnchangedDelivery[];
  /** Every legal procedure on the record (acted on, or the record that replaced it), oldest first. */
  procedures: ProcedureEntry[];
  /** The record that superseded this one, when one did. */
  supersededBy: RecordRow | undefined;
  /**
   * Providers' requests to withdraw it that were refused (a channel that does not hold it), oldest first; absent
   * in a history not read from the warehouse.
   */
  refusedWithdrawals?: RefusedWithdrawalRow[];
}

/** Records matching what a person typed: an id, a whole key (`a|b|c`), or one key part (a decision number). */
export async function findRecords(
  warehouse: Warehouse,
  typed: string,
  catalogCode?: string,
): Promise<RecordRow[]> {
  const text = typed.trim();
  if (/^\d{1,15}$/.test(text)) {
    const byId = await findRecordRows(warehouse, { id: Number(text) }, catalogCode);
    if (byId.length > 0) return byId;
  }
  const { parts, whole } = parseTypedKey(text);
  if (whole !== undefined) return findRecordRows(warehouse, { businessKey: whole }, catalogCode);
  return findRecordRows(warehouse, { keyPart: parts[0] ?? '' }, catalogCode);
}

/**
 * Everything stored of one record. Given a past `day` (YYYY-MM-DD; pastDay), its refused withdrawal requests are
 * those refused by that day's end, as the objection mark of `record --as-of` is that day's.
 */
export async function recordHistory(
  warehouse: Warehouse,
  recordId: number,
  day: string | null = null,
): Promise<RecordHistory | undefined> {
  const record = await recordById(warehouse, recordId);
  if (!record) return undefined;
  const versions = await versionsOfRecord(warehouse, recordId);
  const sources = await sourcesOfRecord(warehouse, recordId);
  const unchanged = unchangedDeliveries(sources, await channelFilesOfRecord(warehouse, recordId));
  const procedures = await procedureEntries(warehouse, { recordId });
  const supersededBy =
    record.supersededBy === null ? undefined : await recordById(warehouse, record.supersededBy);
  const refusedWithdrawals = await refusedWithdrawalsOfRecord(warehouse, recordId, day);
  return { record, versions, sources, unchanged, procedures, supersededBy, refusedWithdrawals };
}

/** What a past day's record page leaves out because it happened after the day's end: how much of each. */
export interface LaterThanDay {
  versions: number;
  /** Lineage rows (delivered rows with a row of their own). */
  lineage: number;
  /** Unchanged re-deliveries counted compactly (no lineage row of their own). */
  redeliveries: number;
  procedures: number;
}

/**
 * The record's history as it stood at the end of a past day (`then`: recordThen, which reads the record's status
 * and version of then as every as-of query does): the versions written, rows delivered, files loaded and procedures
 * performed before the day's end, the version current then as current, the status of then (a withdrawal or
 * supersession performed later was not yet in force), and how much came later. Its refused withdrawal requests are
 * recordHistory's, already bounded by the day. `then.versionId` must be a version of the record (it existed then).
 */
export function historyAsOf(
  history: RecordHistory,
  then: RecordThen,
): { history: RecordHistory; later: LaterThanDay } {
  const before = (at: Date) => at.getTime() < then.bound.getTime();
  const versions = history.versions.filter((version) => before(version.createdAt));
  const sources = history.sources.filter((source) => before(source.createdAt));
  const unchanged = history.unchanged.filter(
    (delivery) => delivery.loadedAt !== null && before(delivery.loadedAt),
  );
  const procedures = history.procedures.filter((procedure) => before(procedure.performedAt));
  const retired = then.status !== 'current';
  const record: RecordRow = {
    ...history.record,
    status: then.status,
    currentVersionId: then.versionId ?? history.record.currentVersionId,
    subjectCode: then.subjectCode,
    statusProcedureId: retired ? history.record.statusProcedureId : null,
    supersededBy: then.status === 'superseded' ? history.record.supersededBy : null,
  };
  return {
    history: {
      ...history,
      record,
      versions,
      sources,
      unchanged,
      procedures,
      supersededBy: then.status === 'superseded' ? history.supersededBy : undefined,
    },
    later: {
      versions: history.versions.length - versions.length,
      lineage: history.sources.length - sources.length,
      redeliveries: history.unchanged.length - unchanged.length,
      procedures: history.procedures.length - procedures.length,
    },
  };
}

/** The row data a delivery carried: its conflict data, else the version it was recorded against. */
export function deliveredData(history: RecordHistory, source: SourceRow): RowData | undefined {
  if (source.conflictData) return source.conflictData;
  return history.versions.find((version) => version.id === source.versionId)?.data;
}
