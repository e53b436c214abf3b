import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { newestEntryVersion } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { keyParts, parseTypedKey } from '../dedupe/business-key.ts';
import { fieldMaskerOf, maskTypedLookup } from '../log/mask-personal-data.ts';
import { findRecords, type RecordRow } from '../records/record-history.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';

/**
 * The one record a person means by what they typed (an id, a whole key, one part of a key such as a decision
 * number or a subject's code), as `record` accepts it; undefined after saying on stderr why not (none, or several
 * to choose from by id). For a command that only reads.
 */
export async function resolveRecord(
  warehouse: Warehouse,
  catalog: Catalog,
  typed: string,
  catalogCode: string | undefined,
): Promise<RecordRow | undefined> {
  const found = await findRecords(warehouse, typed, catalogCode);
  return theOne(catalog, found, maskTypedLookup(typed));
}

/**
 * The one record a command that changes the record names (every legal procedure, `repair`, `objection open`, a
 * record that supersedes another): a record id, a whole business key (`a|b|c`) or a decision number (文书号),
 * nothing else. One part of a key that is no decision number (the subject's code, the deciding authority's)
 * names a subject or an authority, not a record, even when it has one record: refused on stderr (undefined),
 * saying what it matched and what to type instead. An entry keyed by one field alone (法人登记: the USCC) has that
 * value as its whole key.
 */
export async function resolveRecordToChange(
  warehouse: Warehouse,
  catalog: Catalog,
  typed: string,
  catalogCode: string | undefined,
): Promise<RecordRow | undefined> {
  const found = await findRecords(warehouse, typed, catalogCode);
  const text = typed.trim();
  const { parts, whole } = parseTypedKey(text);
  const byId = /^\d{1,15}$/.test(text) && found.length === 1 && found[0]?.id === Number(text);
  if (byId || whole !== undefined) return theOne(catalog, found, maskTypedLookup(typed));
  const part = parts[0] ?? '';
  const matches = found.map((record) => partMatch(catalog, record, part));
  const naming = matches.filter((match) => match.names);
  // A decision number that is also another record's authority or subject code: ambiguous, chosen by id.
  if (naming.length > 0 && naming.length < matches.length)
    return theOne(catalog, found, maskTypedLookup(typed));
  if (naming.length > 0 || matches.length === 0)
    return theOne(
      catalog,
      naming.map((match) => match.record),
      maskTypedLookup(typed),
    );
  console.error(notARecord(matches));
  return undefined;
}

/** How one part of a key matched a record: which of its key fields hold it, and whether that names the record. */
interface PartMatch {
  record: RecordRow;
  /** A decision number (a field with `x-key: document-number`) or the whole of a one-field key. */
  names: boolean;
  /** The part as shown (masked as the first field holding it says: an ID is masked, a USCC never). */
  shown: string;
  /** `CF_CFJGDM 处罚机关统一社会信用代码` of each key field holding it. */
  fields: string[];
  subject: boolean;
}

function partMatch(catalog: Catalog, record: RecordRow, part: string): PartMatch {
  const entry = newestEntryVersion(catalog, record.catalogCode);
  const stored = keyParts(record.businessKey);
  const at = stored.flatMap((value, i) => (value === part ? [i] : []));
  const fieldAt = (i: number) => entry?.businessKey[i];
  const isDecisionNumber = (i: number) => {
    const field = fieldAt(i);
    return field !== undefined && entry?.schema.properties[field]?.['x-key'] === 'document-number';
  };
  const shownParts = fieldMaskerOf(entry).key(stored);
  return {
    record,
    names: stored.length === 1 ? at.length === 1 : at.some(isDecisionNumber),
    shown: shownParts[at[0] ?? -1] ?? maskTypedLookup(part),
    fields: at.map((i) => fieldName(entry, fieldAt(i), i)),
    subject: record.subjectCode === part,
  };
}

function fieldName(entry: CatalogEntry | undefined, field: string | undefined, i: number): string {
  if (field === undefined) return `key part ${i + 1}`;
  const title = entry?.schema.properties[field]?.title;
  return title ? `${field} ${title}` : field;
}

/** Why a subject's or an authority's code names no record, and what to type instead. */
function notARecord(matches: PartMatch[]): string {
  const first = matches[0]!;
  const shown = first.shown;
  const count = `${matches.length} record${matches.length === 1 ? '' : 's'}`;
  const fields = [...new Set(matches.flatMap((match) => match.fields))].join(', ');
  const what = matches.some((match) => match.subject)
    ? `the subject's code (${fields}) of ${count}`
    : `${fields} in the key of ${count}`;
  // A masked ID is not typed back: the operator has it, the terminal and its scroll-back need not.
  const code = shown.includes('*') ? '<code>' : shown;
  const list = matches.some((match) => match.subject)
    ? `list that subject's records with \`credit-etl subject ${code}\``
    : `list them with \`credit-etl record ${code}\``;
  return (
    `${shown} is ${what}, not a record id, a whole key or a decision number: a command that changes the record ` +
    `takes only those. To choose, ${list}, then give the record id (or its whole key a|b|c, or its decision number)`
  );
}

/** The one record of `found`, else a reason on stderr: none, or several to choose from by id. */
function theOne(catalog: Catalog, found: RecordRow[], what: string): RecordRow | undefined {
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    console.error(`no record matches ${what}: give a record id, a whole key (a|b|c) or a decision number`);
    return undefined;
  }
  console.error(`${found.length} records match ${what}; choose one by id:`);
  for (const record of found)
    console.error(
      `  ${record.id}  ${record.catalogCode}  ${shownKey(catalog, record.catalogCode, record.businessKey)}${record.status === 'current' ? '' : `  (${record.status})`}`,
    );
  return undefined;
}

/** A stored key as shown: each part masked as its field says. */
function shownKey(catalog: Catalog, code: string, key: string): string {
  return fieldMaskerOf(newestEntryVersion(catalog, code)).key(keyParts(key)).join('|');
}
