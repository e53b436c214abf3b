import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { keyParts } from '../dedupe/business-key.ts';
import { fieldMaskerOf } from '../log/mask-personal-data.ts';
import { pendingDisagreements } from './disagreements.ts';
import {
  deliveredData,
  type RecordHistory,
  type RowData,
  type SourceRow,
  type VersionRow,
} from './record-history.ts';

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
  differences: FieldDifference[];
}

/** Everything `credit-etl record` shows, personal data masked: also the `--json` output. */
export interface RecordView {
  id: number;
  catalogCode: string;
  title: string;
  key: string;
  subjectCode: string | null;
  level: string;
  current: { versionNo: number; fileName: string; rowNumber: number; runId: number; data: RowData };
  versions: Array<Omit<VersionRow, 'data'> & { changedFields: string[]; data: RowData }>;
  lineage: Array<Omit<SourceRow, 'conflictData'>>;
  disagreements: Disagreement[];
}

export function recordView(history: RecordHistory, entry: CatalogEntry | undefined): RecordView {
  const { record, versions, sources } = history;
  const current = versions.find((version) => version.id === record.currentVersionId) ?? versions.at(-1);
  if (!current) throw new Error(`record ${record.id} has no versions`);
  const channelContent = (source: SourceRow) =>
    `${source.level}|${source.providerCode}|${source.contentHash}`;
  const pending = new Set(
    pendingDisagreements(
      sources,
      { contentHash: current.contentHash, level: record.level },
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
  const masker = fieldMaskerOf(entry);
  return {
    id: record.id,
    catalogCode: record.catalogCode,
    title: entry?.title ?? record.catalogCode,
    key: masker.key(keyParts(record.businessKey)).join('|'),
    subjectCode: record.subjectCode === null ? null : masker.subjectCode(record.subjectCode, current.data),
    level: record.level,
    current: {
      versionNo: current.versionNo,
      fileName: current.fileName,
      rowNumber: current.rowNumber,
      runId: current.runId,
      data: masker.row(current.data),
    },
    versions: versions.map((version, i) => ({
      ...version,
      data: masker.row(version.data),
      changedFields: i === 0 ? [] : changedFields(versions[i - 1]!.data, version.data),
    })),
    lineage: sources.map(({ conflictData: _, ...source }) => source),
    disagreements: [...disputed.values()].map((source) => {
      const delivered = masker.row(deliveredData(history, source) ?? {});
      const now = masker.row(current.data);
      return {
        sourceId: source.id,
        outcome: source.outcome,
        providerCode: source.providerCode,
        level: source.level,
        fileName: source.fileName,
        rowNumber: source.rowNumber,
        receivedAt: source.receivedAt,
        status: pending.has(channelContent(source)) ? 'pending' : 'resolved',
        differences: changedFields(now, delivered).map((field) => ({
          field,
          title: title(field),
          current: now[field],
          delivered: delivered[field],
        })),
      };
    }),
  };
}

/** Fields whose stored values differ between two rows, in a stable order. */
export function changedFields(before: RowData, after: RowData): string[] {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return fields.filter((field) => before[field] !== after[field]);
}
