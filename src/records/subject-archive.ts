import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import type { CatalogEntry, ChannelLevel } from '../catalog/catalog-entry.ts';
import { CHANNEL_LEVELS, subjectCodeFields } from '../catalog/catalog-entry.ts';
import { entryVersionOrNewest } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { keyParts } from '../dedupe/business-key.ts';
import type { DisclosureState } from '../disclosure/disclosure-state.ts';
import { disclosuresOf, pastDay } from '../disclosure/record-disclosures.ts';
import {
  clearFieldMaskerOf,
  type FieldMasker,
  fieldMaskerOf,
  maskPersonalField,
} from '../log/mask-personal-data.ts';
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
import { SUBJECT_KINDS, type SubjectKind, subjectKindOf, subjectNameField } from './subject-kind.ts';
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
  /**
   * Public disclosure on the archive's day (公示中, 公示期满, 已信用修复, 异议处理中), with the record's 保存期限 that
   * day (`retention`, record-retention.ts: as `record` gives it), under the entry version the state is judged by.
   */
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
export type RetiredRecord = Omit<RetiredRecordRow, 'catalogVersion' | 'data'>;

/** A subject under a code: of which kind, how many records it holds, and one of them to address it by. */
export interface SubjectUnderCode {
  kind: SubjectKind;
  /** Its current records (on the archive's day). */
  current: number;
  /** Its records legal procedures retired (by the archive's day). */
  retired: number;
  /** One of its records: `/subjects/r<record id>` is its archive, and names no person's number. */
  recordId: number;
}

export interface SubjectArchive {
  /** The code asked for: masked in a natural person's archive, shown in an organization's. */
  subjectCode: string;
  /**
   * Whose archive: a natural person's or an organization's (subject-kind.ts). One code can name one of each (an
   * ID number that checks as a USCC too); each has an archive of its own. Null: no record under the code.
   */
  kind: SubjectKind | null;
  /** The subject's name, from its own records' name field (newest first); null when none gives one. */
  name: string | null;
  /** The day the disclosure states are for (YYYY-MM-DD). */
  asOf: string;
  groups: ArchiveGroup[];
  /** Withdrawn or superseded records of the subject, newest procedure first. */
  retired: RetiredRecord[];
  /** The other subject the same code names (of the other kind), if it holds records: not in this archive. */
  alsoUnderCode: SubjectUnderCode | null;
}

/** `subjectArchive` without a kind, for a code naming two subjects: which ones, and the code as it may be shown. */
export class SubjectKindNeeded extends Error {
  override readonly name = 'SubjectKindNeeded';
  constructor(
    /** The code masked (one of the subjects is a person), unless the caller is entitled to see it. */
    readonly subjectCode: string,
    readonly subjects: SubjectUnderCode[],
  ) {
    super(`the code ${subjectCode} names ${subjects.length} subjects: a kind must be chosen`);
  }
}

/**
 * One subject's archive: of `kind` (empty if that subject holds no record under the code); without one, of the
 * only subject under the code, else SubjectKindNeeded. See subjectArchives.
 */
export async function subjectArchive(
  warehouse: Warehouse,
  catalog: Catalog,
  subjectCode: string,
  asOf: string = todayInShanghai(),
  options: { unmasked?: boolean; kind?: SubjectKind } = {},
): Promise<SubjectArchive> {
  const archives = await subjectArchives(warehouse, catalog, subjectCode, asOf, options);
  if (options.kind !== undefined) {
    const kind = options.kind;
    const other = archives.find((archive) => archive.kind !== null && archive.kind !== kind);
    return (
      archives.find((archive) => archive.kind === kind) ?? {
        subjectCode: shownCode(subjectCode, kind, undefined, options),
        kind,
        name: null,
        asOf,
        groups: [],
        retired: [],
        alsoUnderCode: other ? subjectUnderCode(other) : null,
      }
    );
  }
  const [only, ...more] = archives;
  if (!only) throw new Error('subjectArchives returns at least one archive');
  if (more.length > 0)
    throw new SubjectKindNeeded(
      shownCode(subjectCode, 'person', undefined, options),
      archives.map((archive) => subjectUnderCode(archive)),
    );
  return only;
}

/** The archive holding the record `recordId` (current or retired), among the archives of one code. */
export function archiveHolding(
  archives: readonly SubjectArchive[],
  recordId: number,
): SubjectArchive | undefined {
  return archives.find(
    (archive) =>
      archive.groups.some((group) => group.records.some((record) => record.recordId === recordId)) ||
      archive.retired.some((record) => record.recordId === recordId),
  );
}

/**
 * Art. 9: every current record of the subjects under one code, across all catalog entries, grouped by entry (in
 * catalog order), newest formation date first: one archive per kind of subject holding records under the code (a
 * natural person's first), each with its own retired records, name and masking; a code no record has, one empty
 * archive of no kind. Four queries whatever the number of records. A past `asOf` shows the subject as it stood
 * at that day's end: its records current then, each with its version and objection mark of then (a record
 * withdrawn or reattributed since is listed, under its subject of then), and only the records a procedure had
 * retired by then.
 */
export async function subjectArchives(
  warehouse: Warehouse,
  catalog: Catalog,
  subjectCode: string,
  asOf: string = todayInShanghai(),
  options: { unmasked?: boolean } = {},
): Promise<SubjectArchive[]> {
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
    { retention: true },
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
  // Each record on the shelf of its own subject: a code can name a person and an organization (subject-kind.ts).
  const shelves = new Map<SubjectKind, Shelf>();
  const shelf = (kind: SubjectKind) => {
    const found: Shelf = shelves.get(kind) ?? {
      groups: new Map(),
      retired: [],
      names: new Map(),
      retiredNames: [],
      holders: [],
    };
    shelves.set(kind, found);
    return found;
  };
  // Shown by its own version, else the newest (title, masking, key order); its disclosure (disclosuresOf) only ever
  // by its own version.
  for (const row of current) {
    const entry = entryVersionOrNewest(catalog, row.catalogCode, row.catalogVersion);
    const kept = shelf(subjectKindOf(entry, row.data, subjectCode));
    let group = kept.groups.get(row.catalogCode);
    if (!group) {
      group = { catalogCode: row.catalogCode, title: entry?.title ?? row.catalogCode, records: [] };
      kept.groups.set(row.catalogCode, group);
    }
    const lineage = factsByRecord.get(row.recordId) ?? [];
    const record: ArchiveRecord = {
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
    };
    group.records.push(record);
    const field = subjectNameField(entry);
    kept.names.set(row.recordId, field === undefined ? undefined : nonEmpty(record.data[field]));
    kept.holders.push({ entry, data: row.data });
  }
  for (const { catalogVersion, data, ...row } of await retiredRecordsOfSubject(warehouse, subjectCode, day)) {
    const entry = entryVersionOrNewest(catalog, row.catalogCode, catalogVersion);
    const kept = shelf(subjectKindOf(entry, data, subjectCode));
    const masker = maskerOf(entry).owning([data], subjectCode);
    kept.retired.push({ ...row, businessKey: keyWithoutSubject(row.businessKey, entry, () => masker) });
    kept.retiredNames.push(shownName(entry, data, masker));
    kept.holders.push({ entry, data });
  }
  const order = [...new Set(catalog.entries.map((entry) => entry.code))];
  const rank = (code: string) => (order.includes(code) ? order.indexOf(code) : order.length);
  const archives = SUBJECT_KINDS.filter((kind) => shelves.has(kind)).map((kind): SubjectArchive => {
    const kept = shelf(kind);
    const groups = [...kept.groups.values()].sort((a, b) => rank(a.catalogCode) - rank(b.catalogCode));
    // The subject's name as its own records give it: the current ones in the order shown, then the retired.
    const names = [
      ...groups.flatMap((group) => group.records.map((record) => kept.names.get(record.recordId))),
      ...kept.retiredNames,
    ];
    return {
      subjectCode: shownCode(subjectCode, kind, kept.holders[0], options),
      kind,
      name: names.find((name) => name !== undefined) ?? null,
      asOf,
      groups,
      retired: kept.retired,
      alsoUnderCode: null,
    };
  });
  for (const archive of archives) {
    const other = archives.find((candidate) => candidate !== archive);
    archive.alsoUnderCode = other ? subjectUnderCode(other) : null;
  }
  if (archives.length > 0) return archives;
  return [
    {
      subjectCode: shownCode(subjectCode, null, undefined, options),
      kind: null,
      name: null,
      asOf,
      groups: [],
      retired: [],
      alsoUnderCode: null,
    },
  ];
}

/** One subject's records under a code, as they are read: its groups, retired records, names and their rows. */
interface Shelf {
  groups: Map<string, ArchiveGroup>;
  retired: RetiredRecord[];
  /** The subject's name in each current record (by record id), as shown. */
  names: Map<number, string | undefined>;
  /** The subject's name in each retired record, as shown, newest procedure first. */
  retiredNames: (string | undefined)[];
  /** Its records' entries and rows, current first: the field holding the code says how the code is shown. */
  holders: { entry: CatalogEntry | undefined; data: RowData }[];
}

/** The subject's name in a row, as shown; undefined when the entry has no name field or the row leaves it empty. */
function shownName(entry: CatalogEntry | undefined, data: RowData, masker: FieldMasker): string | undefined {
  const field = subjectNameField(entry);
  const name = field === undefined ? undefined : nonEmpty(data[field]);
  return field === undefined || name === undefined ? undefined : masker.cell(field, name);
}

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/**
 * The code as an archive of `kind` shows it: a natural person's masked whole (unless unmasked), an organization's
 * as the field that holds it in one of its records says (a valid USCC shown); of no kind (no record), as free text.
 */
function shownCode(
  subjectCode: string,
  kind: SubjectKind | null,
  holder: { entry: CatalogEntry | undefined; data: RowData } | undefined,
  options: { unmasked?: boolean },
): string {
  if (options.unmasked) return subjectCode;
  if (kind === 'person') return maskPersonalField(subjectCode);
  return fieldMaskerOf(holder?.entry).subjectCode(subjectCode, holder?.data ?? {});
}

/** An archive's subject as the other subject under the same code, or a choice between them, tells of it. */
export function subjectUnderCode(archive: SubjectArchive): SubjectUnderCode {
  const [first] = archive.groups.flatMap((group) => group.records);
  return {
    kind: archive.kind ?? 'organization',
    current: archive.groups.reduce((sum, group) => sum + group.records.length, 0),
    retired: archive.retired.length,
    recordId: first?.recordId ?? archive.retired[0]?.recordId ?? 0,
  };
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
