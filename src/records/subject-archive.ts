import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import type { CatalogEntry, ChannelLevel } from '../catalog/catalog-entry.ts';
import { CHANNEL_LEVELS, subjectCodeFields } from '../catalog/catalog-entry.ts';
import { entryVersion } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { keyParts } from '../dedupe/business-key.ts';
import type { DisclosureState } from '../disclosure/disclosure-state.ts';
import { disclosuresOf, pastDay } from '../disclosure/record-disclosures.ts';
import { clearFieldMaskerOf, type FieldMasker, fieldMaskerOf } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { type ObjectionMark, objectionMarks } from '../warehouse/objections-repository.ts';
import {
  type CurrentRecordRow,
  channelFilesOfRecord,
  currentRecordsOfSubject,
  currentRecordsOfSubjectAsOf,
  type LineageFactRow,
  lineageFactsOf,
  type RetiredRecordRow,
  type RowData,
  retiredRecordsOfSubject,
  sourcesOfRecord,
} from '../warehouse/records-repository.ts';
import { pendingDisagreements } from './disagreements.ts';
import { unchangedDeliveries } from './unchanged-runs.ts';

/** Masked for everyone, or in clear for an entitled person who asked (the caller logs that view). */
type MaskerOf = (entry: CatalogEntry | undefined) => FieldMasker;

/** One current record in a subject's archive. */
export interface ArchiveRecord {
  recordId: number;
  businessKey: string;
  formationDate: string | null;
  versionNo: number;
  level: ChannelLevel;
  updatedAt: Date;
  /** Delivered rows by outcome (inserted, updated, unchanged, merged, conflict). */
  lineage: Record<string, number>;
  /** Art. 10: the record first reached the platform more than 7 working days after its formation; null: pending. */
  late: boolean | null;
  /** Lower-channel deliveries whose content still differs from the current version. */
  conflictPending: number;
  /** The current version (on a past day, the version current then), personal data masked. */
  data: RowData;
  /** Public disclosure on the archive's day (公示中, 公示期满, 已信用修复, 异议处理中). */
  disclosure: DisclosureState | null;
  /** Art. 18: marked 异议处理中 while an objection (or an appeal stage after it) is open. */
  objection: ObjectionMark | null;
}

export interface ArchiveGroup {
  catalogCode: string;
  title: string;
  records: ArchiveRecord[];
}

/**
 * A record of the subject that a legal procedure withdrew or superseded: no longer current, kept, shown apart.
 * Its business key is shown as the archive shows keys: without the subject's own parts, personal data masked.
 */
export type RetiredRecord = Omit<RetiredRecordRow, 'catalogVersion'>;

export interface SubjectArchive {
  /** The code asked for, masked when it is a person's number. */
  subjectCode: string;
  /** The day the disclosure states are for (YYYY-MM-DD). */
  asOf: string;
  groups: ArchiveGroup[];
  /** Withdrawn or superseded records of the subject, newest procedure first. */
  retired: RetiredRecord[];
}

/**
 * Art. 9: every current record of one subject, across all catalog entries, grouped by entry (in catalog
 * order), newest formation date first. Four queries whatever the number of records. A past `asOf` shows the
 * subject as it stood at that day's end: its records current then, each with its version and objection mark of
 * then (a record withdrawn or reattributed since is listed, under its subject of then), and only the records a
 * procedure had retired by then.
 */
export async function subjectArchive(
  warehouse: Warehouse,
  catalog: Catalog,
  subjectCode: string,
  asOf: string = todayInShanghai(),
  options: { unmasked?: boolean } = {},
): Promise<SubjectArchive> {
  const maskerOf: MaskerOf = options.unmasked ? clearFieldMaskerOf : fieldMaskerOf;
  const day = pastDay(asOf);
  const current =
    day === null
      ? await currentRecordsOfSubject(warehouse, subjectCode)
      : await currentRecordsOfSubjectAsOf(warehouse, subjectCode, day);
  const disclosures = await disclosuresOf(
    warehouse,
    catalog,
    current.map((row) => ({ ...row, id: row.recordId, status: 'current' as const })),
    asOf,
  );
  const facts = await lineageFactsOf(
    warehouse,
    current.map((row) => row.recordId),
  );
  const factsByRecord = new Map<number, LineageFactRow[]>();
  for (const fact of facts) {
    const list = factsByRecord.get(fact.recordId) ?? [];
    list.push(fact);
    factsByRecord.set(fact.recordId, list);
  }
  // Unchanged re-deliveries counted compactly (017-compact-lineage) join the lineage's own `unchanged` rows.
  const compacted = new Map<number, number>();
  for (const row of current) {
    const files = await channelFilesOfRecord(warehouse, row.recordId);
    if (!files.some((file) => file.summarized)) continue;
    const runs = unchangedDeliveries(await sourcesOfRecord(warehouse, row.recordId), files);
    if (runs.length > 0) compacted.set(row.recordId, runs.length);
  }
  const marks = await objectionMarks(
    warehouse,
    current.map((row) => row.recordId),
    day,
  );
  const groups = new Map<string, ArchiveGroup>();
  for (const row of current) {
    const entry = entryVersion(catalog, row.catalogCode, row.catalogVersion);
    let group = groups.get(row.catalogCode);
    if (!group) {
      group = { catalogCode: row.catalogCode, title: entry?.title ?? row.catalogCode, records: [] };
      groups.set(row.catalogCode, group);
    }
    const lineage = factsByRecord.get(row.recordId) ?? [];
    group.records.push({
      ...archiveRecord(
        row,
        lineage,
        entry,
        disclosures.get(row.recordId) ?? null,
        compacted.get(row.recordId) ?? 0,
        // The record's own personal values (a natural person's ID) masked wherever its cells quote them.
        (of) => maskerOf(of).owning([row.data], subjectCode),
      ),
      objection: marks.get(row.recordId) ?? null,
    });
  }
  const order = [...new Set(catalog.entries.map((entry) => entry.code))];
  const rank = (code: string) => (order.includes(code) ? order.indexOf(code) : order.length);
  // The code as typed may be a person's ID: shown masked as the field that holds it in a record says.
  const first = current[0];
  const holder = first ? entryVersion(catalog, first.catalogCode, first.catalogVersion) : undefined;
  return {
    subjectCode: maskerOf(holder).subjectCode(subjectCode, first?.data ?? {}),
    asOf,
    groups: [...groups.values()].sort((a, b) => rank(a.catalogCode) - rank(b.catalogCode)),
    retired: await retiredRecords(warehouse, catalog, subjectCode, day, maskerOf),
  };
}

async function retiredRecords(
  warehouse: Warehouse,
  catalog: Catalog,
  subjectCode: string,
  day: string | null,
  maskerOf: MaskerOf,
): Promise<RetiredRecord[]> {
  const rows = await retiredRecordsOfSubject(warehouse, subjectCode, day);
  return rows.map(({ catalogVersion, ...row }) => ({
    ...row,
    businessKey: keyWithoutSubject(
      row.businessKey,
      entryVersion(catalog, row.catalogCode, catalogVersion),
      maskerOf,
    ),
  }));
}

function archiveRecord(
  row: CurrentRecordRow,
  lineage: LineageFactRow[],
  entry: CatalogEntry | undefined,
  disclosure: DisclosureState | null,
  compacted: number,
  maskerOf: MaskerOf,
): Omit<ArchiveRecord, 'objection'> {
  const counts: Record<string, number> = {};
  for (const fact of lineage) counts[fact.outcome] = (counts[fact.outcome] ?? 0) + 1;
  if (compacted > 0) counts.unchanged = (counts.unchanged ?? 0) + compacted;
  const first = [...lineage].sort(
    (a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.id - b.id,
  )[0];
  const precedence = entry?.precedence ?? [...CHANNEL_LEVELS];
  return {
    recordId: row.recordId,
    businessKey: keyWithoutSubject(row.businessKey, entry, maskerOf),
    formationDate: row.formationDate,
    versionNo: row.versionNo,
    level: row.level,
    updatedAt: row.updatedAt,
    lineage: counts,
    late: first ? first.late : false,
    conflictPending: pendingDisagreements(lineage, { ...row, versionId: row.currentVersionId }, precedence)
      .length,
    data: maskerOf(entry).row(row.data),
    disclosure,
  };
}

/** The archive is one subject's already: its code (often a resident ID) need not repeat on every line. */
function keyWithoutSubject(key: string, entry: CatalogEntry | undefined, maskerOf: MaskerOf): string {
  const parts = maskerOf(entry).key(keyParts(key));
  if (!entry) return parts.join('|');
  const subjectFields = new Set(subjectCodeFields(entry));
  return parts.filter((_, i) => !subjectFields.has(entry.businessKey[i] ?? '')).join('|');
}
