import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { keyParts } from '../dedupe/business-key.ts';
import type { DisclosureState } from '../disclosure/disclosure-state.ts';
import { type FieldMasker, fieldMaskerOf } from '../log/mask-personal-data.ts';
import type { ObjectionMark } from '../warehouse/objections-repository.ts';
import type { ProcedureEntry } from '../warehouse/procedure-log-repository.ts';
import { pendingDisagreements } from './disagreements.ts';
import { maskProcedure } from './mask-procedure.ts';
import {
  deliveredData,
  type LaterThanDay,
  type RecordHistory,
  type RecordRow,
  type RefusedWithdrawalRow,
  type RowData,
  type SourceRow,
  type VersionRow,
} from './record-history.ts';
import { subjectDiffers, subjectDiffersNote } from './subject-differs.ts';
import { type ChannelDeliveries, channelDeliveries } from './unchanged-runs.ts';

export interface FieldDifference {
  field: string;
  title: string;
  current: RowData[string];
  delivered: RowData[string];
}

/** A delivery whose content differs from the current version, shown side by side with it. */
export interface Disagreement {
  sourceId: number;
  outcome: SourceRow['outcome'];
  providerCode: string;
  level: SourceRow['level'];
  fileName: string;
  rowNumber: number;
  receivedAt: Date;
  /** `pending` while this content is its channel's latest word and still differs; else `resolved`. */
  status: 'pending' | 'resolved';
  /** Why it was not applied when it names another subject than the record's (Chinese, both codes, masked). */
  reason?: string;
  differences: FieldDifference[];
}

/** A legal procedure as `record` shows it, personal data masked. */
export type ProcedureView = Omit<ProcedureEntry, 'prevHash' | 'hash'>;

/** One line of a record's history: a version, or a legal procedure, in the order they happened. */
export type HistoryEvent =
  | { at: Date; event: 'version'; versionNo: number; procedureId: number | null }
  | { at: Date; event: 'procedure'; procedureId: number; kind: ProcedureEntry['kind'] };

/** Everything `credit-etl record` shows, personal data masked: also the `--json` output. */
export interface RecordView {
  id: number;
  catalogCode: string;
  title: string;
  key: string;
  subjectCode: string | null;
  level: string;
  /** `withdrawn` / `superseded`: a legal procedure retired the record; its versions are all kept. */
  status: RecordRow['status'];
  /** The procedure that withdrew or superseded it, with its basis. */
  retiredBy: ProcedureView | null;
  supersededBy: { id: number; key: string; subjectCode: string | null } | null;
  /** Records this one replaced (supersede, reattribute). */
  replaces: number[];
  current: {
    versionNo: number;
    /** The catalog entry version it was stored under: its disclosure, repair and correction follow that one. */
    catalogVersion: number;
    fileName: string | null;
    rowNumber: number | null;
    runId: number | null;
    procedureId: number | null;
    data: RowData;
  };
  versions: Array<Omit<VersionRow, 'data'> & { changedFields: string[]; data: RowData }>;
  procedures: ProcedureView[];
  /** Versions and procedures interleaved, oldest first. */
  history: HistoryEvent[];
  /**
   * `note`: why a delivery was not applied (the record had been withdrawn, superseded or corrected; the row names
   * another subject than the record's: in Chinese, both subject codes).
   */
  lineage: Array<Omit<SourceRow, 'conflictData'> & { note?: string }>;
  /** Per channel: files that delivered the record, re-deliveries (compacted ones included), first and last. */
  deliveries: ChannelDeliveries[];
  disagreements: Disagreement[];
  /** Public disclosure on the day asked (公示中, 公示期满, 已信用修复, 异议处理中, not disclosed); null: not computed. */
  disclosure: DisclosureState | null;
  /**
   * Providers' requests to withdraw the record that were refused (`withdrawal-not-provider-record`: a channel that
   * does not hold it; `withdrawal-with-data`), oldest first, message masked: an officer may have to act on them.
   * Requests refused before migration 062 are not listed.
   */
  refusedWithdrawals: RefusedWithdrawalRow[];
  /** Art. 18: the record is marked 异议处理中 while an objection (or an appeal stage after it) is open. */
  objection?: ObjectionMark | null;
  /**
   * A past `--as-of` day: everything above is the record as it stood at the day's end (Asia/Shanghai): its version
   * and status of then, and only the versions, lineage, re-deliveries and procedures by then; `later` counts what
   * came after (shown by `record` without `--as-of`). Absent for today or a later day.
   */
  asOf?: { day: string; recorded: true; later: LaterThanDay };
}

/**
 * `record --as-of` a past day before the record was in the warehouse (it had no version by the day's end): nothing
 * of it was shown that day. Its id and entry, when its first version was written, and that day's disclosure
 * (不公示：当日尚无此记录); nothing of its data, which is of later.
 */
export interface RecordNotYetView {
  id: number;
  catalogCode: string;
  title: string;
  asOf: { day: string; recorded: false; firstVersionAt: Date };
  /** That day's state and label only: its period and 保存期限 would be today's version's, not then's. */
  disclosure: Pick<DisclosureState, 'asOf' | 'state' | 'reason' | 'label'> | null;
}

export function recordView(
  history: RecordHistory,
  entry: CatalogEntry | undefined,
  disclosure: DisclosureState | null = null,
  fieldMasker: FieldMasker = fieldMaskerOf(entry),
): RecordView {
  const { record, versions, sources } = history;
  // The record's own personal values (every version's, every conflicting delivery's, a natural person's subject
  // code) are masked wherever any of its cells quotes them, even where such a number is a valid USCC too.
  const masker = fieldMasker.owning(
    [
      ...versions.map((version) => version.data),
      ...sources.flatMap((source) => (source.conflictData ? [source.conflictData] : [])),
    ],
    record.subjectCode,
  );
  const current = versions.find((version) => version.id === record.currentVersionId) ?? versions.at(-1);
  if (!current) throw new Error(`record ${record.id} has no versions`);
  const channelContent = (source: SourceRow) =>
    `${source.level}|${source.providerCode}|${source.contentHash}`;
  const pending = new Set(
    pendingDisagreements(
      sources,
      {
        contentHash: current.contentHash,
        level: record.level,
        corrected: current.procedureId !== null,
        versionId: current.id,
      },
      entry?.precedence ?? ['province', 'city', 'county'],
    ).map(channelContent),
  );
  // One side-by-side per channel and content: the first delivery of it stands for its repeats.
  const disputed = new Map<string, SourceRow>();
  for (const source of sources) {
    const key = channelContent(source);
    if ((source.outcome === 'conflict' || pending.has(key)) && !disputed.has(key)) disputed.set(key, source);
  }
  const title = (field: string) => entry?.schema.properties[field]?.title ?? field;
  const procedures = history.procedures.map(({ prevHash: _, hash: __, ...procedure }) =>
    maskProcedure(
      procedure,
      masker,
      versions.map((version) => version.data),
    ),
  );
  const retiredBy = procedures.find((procedure) => procedure.id === record.statusProcedureId) ?? null;
  const correctedBy = procedures.find((procedure) => procedure.id === current.procedureId) ?? null;
  // A delivery never moves a record to another subject (merge-staged.ts): the row's subject and the record's, each
  // masked as the field holding it says (a person's ID number is theirs).
  const otherSubject = (source: SourceRow) => {
    if (source.outcome !== 'conflict') return undefined;
    const differs = subjectDiffers(entry, source.conflictData, record.subjectCode);
    if (!differs) return undefined;
    const shown = (code: string | null, data: RowData) =>
      code === null ? null : masker.subjectCode(code, data);
    return subjectDiffersNote(
      shown(differs.delivered, source.conflictData ?? {}),
      shown(differs.current, current.data),
    );
  };
  const notApplied = (source: SourceRow) => {
    if (source.outcome !== 'conflict') return undefined;
    const notes: string[] = [];
    if (retiredBy && source.createdAt >= retiredBy.performedAt)
      notes.push(`not applied: the record was ${record.status} by procedure #${retiredBy.id}`);
    else if (correctedBy && source.createdAt >= correctedBy.performedAt)
      notes.push(`not applied: the record was corrected by procedure #${correctedBy.id}`);
    const subject = otherSubject(source);
    if (subject) notes.push(subject);
    return notes.length > 0 ? notes.join('; ') : undefined;
  };
  return {
    id: record.id,
    catalogCode: record.catalogCode,
    title: entry?.title ?? record.catalogCode,
    key: masker.key(keyParts(record.businessKey)).join('|'),
    subjectCode: record.subjectCode === null ? null : masker.subjectCode(record.subjectCode, current.data),
    level: record.level,
    status: record.status,
    retiredBy,
    supersededBy: history.supersededBy
      ? {
          id: history.supersededBy.id,
          key: masker.key(keyParts(history.supersededBy.businessKey)).join('|'),
          subjectCode:
            history.supersededBy.subjectCode === null
              ? null
              : masker.subjectCode(history.supersededBy.subjectCode, {}),
        }
      : null,
    replaces: procedures
      .filter((procedure) => procedure.otherRecordId === record.id && procedure.kind !== 'correct')
      .map((procedure) => procedure.recordId),
    current: {
      versionNo: current.versionNo,
      catalogVersion: current.catalogVersion,
      fileName: current.fileName,
      rowNumber: current.rowNumber,
      runId: current.runId,
      procedureId: current.procedureId,
      data: masker.row(current.data),
    },
    versions: versions.map((version, i) => ({
      ...version,
      data: masker.row(version.data),
      changedFields: i === 0 ? [] : changedFields(versions[i - 1]!.data, version.data),
    })),
    procedures,
    history: historyEvents(versions, procedures),
    lineage: sources.map((delivered) => {
      const { conflictData: _, ...source } = delivered;
      const note = notApplied(delivered);
      return note ? { ...source, note } : source;
    }),
    deliveries: channelDeliveries(sources, history.unchanged),
    disagreements: [...disputed.values()].map((source) => {
      const delivered = masker.row(deliveredData(history, source) ?? {});
      const now = masker.row(current.data);
      const reason = otherSubject(source);
      return {
        sourceId: source.id,
        outcome: source.outcome,
        providerCode: source.providerCode,
        level: source.level,
        fileName: source.fileName,
        rowNumber: source.rowNumber,
        receivedAt: source.receivedAt,
        status: pending.has(channelContent(source)) ? 'pending' : 'resolved',
        ...(reason ? { reason } : {}),
        differences: changedFields(now, delivered).map((field) => ({
          field,
          title: title(field),
          current: now[field],
          delivered: delivered[field],
        })),
      };
    }),
    refusedWithdrawals: (history.refusedWithdrawals ?? []).map((refused) => ({
      ...refused,
      message: masker.message(refused.message),
    })),
    disclosure,
  };
}

/**
 * Versions and procedures in the order they happened. A version a procedure wrote comes right after that
 * procedure (it is stored in the same transaction, stamped with the transaction's start).
 */
export function historyEvents(
  versions: readonly VersionRow[],
  procedures: readonly ProcedureView[],
): HistoryEvent[] {
  const performed = new Map(procedures.map((procedure) => [procedure.id, procedure.performedAt]));
  const events: Array<HistoryEvent & { rank: number }> = [
    ...versions.map((version) => ({
      at: (version.procedureId !== null && performed.get(version.procedureId)) || version.createdAt,
      event: 'version' as const,
      versionNo: version.versionNo,
      procedureId: version.procedureId,
      rank: 1,
    })),
    ...procedures.map((procedure) => ({
      at: procedure.performedAt,
      event: 'procedure' as const,
      procedureId: procedure.id,
      kind: procedure.kind,
      rank: 0,
    })),
  ];
  events.sort((a, b) => a.at.getTime() - b.at.getTime() || a.rank - b.rank);
  return events.map(({ rank: _, ...event }) => event);
}

/** Fields whose stored values differ between two rows, in a stable order. */
export function changedFields(before: RowData, after: RowData): string[] {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return fields.filter((field) => before[field] !== after[field]);
}
