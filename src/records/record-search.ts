import { newestEntryVersion } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { keyParts } from '../dedupe/business-key.ts';
import { normalizeCode } from '../identifiers/normalize-code.ts';
import { isResidentIdNumber } from '../identifiers/resident-id.ts';
import { checkUscc } from '../identifiers/uscc.ts';
import {
  clearFieldMaskerOf,
  type FieldMasker,
  fieldMaskerOf,
  maskTypedLookup,
} from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { findRecordRows, type RecordRow } from '../warehouse/records-repository.ts';
import { findRecords } from './record-history.ts';

/** One record a search found, as a list shows it. */
export interface FoundRecord {
  id: number;
  catalogCode: string;
  title: string;
  /** The business key, parts joined by `|`, each masked as its field says (unless unmasked). */
  key: string;
  subjectCode: string | null;
  /**
   * How the subject's page is addressed: the code itself when showing it is harmless (a USCC) and it is no
   * resident ID number as well, else `r<record id>` (the subject of that record): a person's ID number never
   * stands in a link or an address bar, and a code that is both (it may name a person and an organization,
   * subject-kind.ts) leads to this record's subject, not to the page asking which.
   */
  subjectRef: string | null;
  status: RecordRow['status'];
}

export interface RecordSearch {
  /** What was typed, as shown (an ID number in it masked unless unmasked). */
  typed: string;
  /** `subject`: the text was a subject's code; `record`: an id, a whole key or a key part (decision number). */
  matchedAs: 'subject' | 'record' | 'none';
  records: FoundRecord[];
}

/**
 * What a person typed into the console's search: a subject's code (统一社会信用代码, 身份证号, typed with spaces,
 * full-width, lower case), else what `credit-etl record` accepts — a record id, a whole key `a|b|c`, or one key
 * part such as a decision number typed any way (`鲁市监罚【2026】12号` finds `鲁市监罚〔2026〕12号`).
 */
export async function searchRecords(
  warehouse: Warehouse,
  catalog: Catalog,
  typed: string,
  options: { unmasked?: boolean } = {},
): Promise<RecordSearch> {
  const text = typed.trim();
  const shownTyped = options.unmasked ? text : maskTypedLookup(text);
  if (text === '') return { typed: shownTyped, matchedAs: 'none', records: [] };
  const bySubject = await findRecordRows(warehouse, { subjectCode: normalizeCode(text) });
  const found = bySubject.length > 0 ? bySubject : await findRecords(warehouse, text);
  // A person's own ID typed is theirs even where it checks as a USCC too: the record found says whose it is.
  const [first] = bySubject;
  const typedShown = first && !options.unmasked ? ownMasker(catalog, first).message(shownTyped) : shownTyped;
  return {
    typed: typedShown,
    matchedAs: found.length === 0 ? 'none' : bySubject.length > 0 ? 'subject' : 'record',
    records: found.map((record) => foundRecord(catalog, record, Boolean(options.unmasked))),
  };
}

/**
 * The masker of a record's values as its key shows them: its subject code is a person's own number when a
 * personal part of the key holds it (a natural person's 证件号码), even where that number checks as a USCC too.
 */
function ownMasker(catalog: Catalog, record: RecordRow): FieldMasker {
  const entry = newestEntryVersion(catalog, record.catalogCode);
  const parts = keyParts(record.businessKey);
  const keyRow = Object.fromEntries((entry?.businessKey ?? []).map((field, i) => [field, parts[i] ?? '']));
  return fieldMaskerOf(entry).owning([keyRow], record.subjectCode);
}

function foundRecord(catalog: Catalog, record: RecordRow, unmasked: boolean): FoundRecord {
  const entry = newestEntryVersion(catalog, record.catalogCode);
  const masked = ownMasker(catalog, record);
  const masker = unmasked ? clearFieldMaskerOf(entry) : masked;
  const code = record.subjectCode;
  // A USCC that is a resident ID number too may name two subjects: `/subjects/<code>` would ask which.
  const byCode =
    code !== null && masked.subjectCode(code, {}) === code && !isResidentIdNumber(normalizeCode(code));
  return {
    id: record.id,
    catalogCode: record.catalogCode,
    title: entry?.title ?? record.catalogCode,
    key: masker.key(keyParts(record.businessKey)).join('|'),
    subjectCode: code === null ? null : masker.subjectCode(code, {}),
    subjectRef: code === null ? null : byCode ? code : `r${record.id}`,
    status: record.status,
  };
}

/**
 * The subject code a subject page's address names: `r<record id>` (that record's subject), or the code itself
 * when it is a valid USCC (whose archive may be empty) or the subject of a record (a resident ID number, a
 * passport number, an older code); undefined for anything else, so `/subjects/<anything>` is no made-up subject.
 */
export async function subjectOfRef(warehouse: Warehouse, ref: string): Promise<string | undefined> {
  const byRecord = /^r(\d{1,15})$/.exec(ref);
  if (!byRecord) {
    const code = normalizeCode(ref);
    if (checkUscc(code)?.severity !== 'error') return code;
    const [record] = await findRecordRows(warehouse, { subjectCode: code });
    return record ? code : undefined;
  }
  const [record] = await findRecordRows(warehouse, { id: Number(byRecord[1]) });
  return record?.subjectCode ?? undefined;
}
