import { type CatalogEntry, subjectCodeFields } from '../catalog/catalog-entry.ts';
import { foldDigits } from '../identifiers/id-digits.ts';
import { identifierProblem } from '../identifiers/index.ts';
import { maskOwnIds, maskPersonalField, maskPersonalText, maskTypedLookup } from '../identifiers/mask-ids.ts';
import { normalizeCode } from '../identifiers/normalize-code.ts';
import { isResidentIdNumber } from '../identifiers/resident-id.ts';

export { maskPersonalField, maskPersonalText, maskTypedLookup } from '../identifiers/mask-ids.ts';

/*
 * What is masked, and why by meaning rather than by pattern (issue #15):
 * - In free text (messages, file names, free-text columns such as 违法事实, keys, command output) a resident ID is
 *   masked when it checks as one: a real birth date and the right check character (18), or a real birth date
 *   (15-digit legacy numbers, which have no check character). Written in any character the validator reads as a
 *   digit or X (NFKC: full-width, mathematical `𝟑𝟕𝟎…`, superscript `³⁷⁰…`, circled, ⑩–㊿ as two digits, ˣ, 𝐗 …) or
 *   in another script's digits (Arabic-Indic `٣٧٠…`: src/identifiers/id-digits.ts), with spaces, dashes (also ⁻, ﹘,
 *   ︱) or invisible characters between groups (`３７１１０２…`, `371102 19790612 4048`, a zero-width space), with its
 *   X apart (`…002 X`), it is found all the same: src/identifiers/mask-ids.test.ts proves it for every character of
 *   Unicode the validator reads so. So is an ID Excel stored as a number, 15 digits and `000` with a real birth date
 *   (`370102198204010000`). So is an ID with two digits written on (`37010219881120327301`: an individual
 *   business's 税务登记号 is its owner's ID and a sequence number), the two digits left shown. So is an ID inside a
 *   longer run of digits (after a phone number, two back to back): 18 contiguous characters of the run that check
 *   as one, never a character of a valid USCC around them (maskInside in mask-ids.ts); a 15-digit legacy number
 *   there only when it is the row's own. A string that is a valid USCC is never masked: 12120000… and
 *   91370102000005… codes are 18 digits too. (The text masking itself is src/identifiers/mask-ids.ts.) Free text is full of long numbers (case numbers, accounts, amounts); masking every
 *   18-digit run would hide them and the USCCs, which must be shown. A mistyped ID in free text is the price of
 *   that choice, with two exceptions: a row's own ID mistyped (below), and another organisation's text a
 *   conflict notice quotes to a provider (src/report/notice-rows.ts: maskQuotedIds masks every run shaped like an
 *   ID there, a province's first two digits and a real birth date, 17 to 19 characters, any check character).
 * - In a code column that is not personal (统一社会信用代码, 工商注册号, 组织机构代码), a valid code of the column's
 *   kind is shown; otherwise a value shaped like an ID (digits, a real birth date) is masked even with a wrong
 *   check character or a digit missing or added (17 or 19 characters), unless it is a valid USCC: an ID typed
 *   into the wrong column, mistyped, is still a person's.
 * - A string valid both as a USCC and as an ID (possible: 11…, 12…, 31… IDs pass the USCC category table) is
 *   shown outside declared personal fields: the issue's rule "never mask a USCC" wins there, except where it is
 *   the row's own personal value. A row's own personal values (its personal fields' values, and its subject code
 *   when a personal field holds it: a natural person's) are masked wherever they appear in the row's cells, keys and
 *   messages, in any digit form or spacing (`owning`, and `row` for the row it is given): a person's number quoted
 *   in 违法事实 is theirs whatever else it would check as. About 1 in 400 IDs passes the USCC check. So is an
 *   18-character one typed one character wrong, one lost or one added (`…4047` quoted as `…4048`), a 15-digit one
 *   with one digit wrong, and either in its other length, unless what was typed is a valid USCC: 17 of its 18 digits
 *   shown beside the number masked would give it away.
 * - In a field the catalog declares personal (`x-personal`, or `format: resident-id`) the whole value is
 *   masked, whatever it is: a wrong-length ID, a passport number, a typo.
 */

/**
 * A code column's value (USCC, 工商注册号 …): shown when it is a valid code of the column's own kind (a 15-digit
 * 工商注册号 may carry a date-like run), else an ID-shaped value in it is masked unless it is a valid USCC.
 */
function maskCodeField(value: string, kind?: CodeKind): string {
  if (kind !== undefined && identifierProblem(kind, value, { allowPilotCodes: true }) === null) return value;
  return maskTypedLookup(value);
}

/** The formats of code columns that can receive an ID typed in the wrong place. */
const CODE_KINDS = ['uscc', 'org-code', 'business-reg-number'] as const;
type CodeKind = (typeof CODE_KINDS)[number];
const isCodeKind = (format: string | undefined): format is CodeKind =>
  (CODE_KINDS as readonly (string | undefined)[]).includes(format);

/** Personal field values shorter than this are not searched for in messages (`第12行` must not become `第**行`). */
const QUOTED_MIN_LENGTH = 6;

const CODE_CHAR = /[0-9A-Za-z\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/;

/**
 * Replaces `value` where it stands alone, not where it is part of a longer code (`…123` inside `…1231`). An own ID
 * touching other digits (`13800138000370102…`) is not left for that: maskOwnIds finds it inside the longer run.
 */
function replaceStandalone(text: string, value: string, shown: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + 1)) {
    if (at < from) continue;
    const before = text.charAt(at - 1);
    const after = text.charAt(at + value.length);
    if ((before && CODE_CHAR.test(before)) || (after && CODE_CHAR.test(after))) continue;
    out += text.slice(from, at) + shown;
    from = at + value.length;
  }
  return out + text.slice(from);
}

export type ShownValue = string | number | undefined;

/** How one catalog entry's values are shown outside the platform. */
export interface FieldMasker {
  /** True when the catalog declares the field personal (`x-personal` or `format: resident-id`). */
  isPersonal(field: string): boolean;
  /** One value of a field as shown: personal fields whole, code columns ID-shaped values, other text IDs. */
  cell(field: string, value: string): string;
  /**
   * A stored row as shown: every string value masked as its field says, and the row's own personal values wherever
   * its other cells quote them; numbers and empties as they are.
   */
  row<Row extends Record<string, ShownValue>>(row: Row): Row;
  /**
   * A message about a row, masked: the values of the rows given (the row as received, the current version a
   * conflict quotes, the message's own field value) wherever quoted, as their fields say; then any ID in the text.
   */
  message(text: string, ...quoted: Readonly<Record<string, unknown>>[]): string;
  /** A business key's parts (in the entry's `businessKey` field order) as shown, each masked as its field. */
  key(parts: readonly string[]): string[];
  /** A subject code as shown: masked as the subject field of `data` that holds it, else as free text. */
  subjectCode(code: string, data: Record<string, ShownValue>): string;
  /**
   * The same masker for one record's values: the personal values of `rows` (its versions, as delivered or
   * stored) and `subjectCode` when a personal field of them holds it (a natural person's) are the person's own,
   * masked wherever any cell, message or key shows them, even where one is also a valid USCC. Any other USCC
   * stays shown.
   */
  owning(rows: readonly Readonly<Record<string, unknown>>[], subjectCode?: string | null): FieldMasker;
}

/** A row's own personal values: as typed (found where they stand alone) and as codes (found in any form). */
interface OwnValues {
  /** The values as typed and as the validator reads them, each at least QUOTED_MIN_LENGTH long. */
  forms: ReadonlySet<string>;
  /** The 15- and 18-character ones as the validator reads them, digits folded: IDs found in any form or spacing. */
  codes: ReadonlySet<string>;
}

const NO_OWN_VALUES: OwnValues = { forms: new Set(), codes: new Set() };

/** What fieldMaskerOf reads from an entry once. */
interface EntryFields {
  entry: CatalogEntry | undefined;
  personal: ReadonlySet<string>;
  codes: ReadonlyMap<string, CodeKind>;
  subjectFields: readonly string[];
}

/** The masker of an entry's fields; without an entry (unknown catalog code) every value is free text. */
export function fieldMaskerOf(entry: CatalogEntry | undefined): FieldMasker {
  const personal = new Set<string>();
  const codes = new Map<string, CodeKind>();
  for (const [field, schema] of Object.entries(entry?.schema.properties ?? {})) {
    if (schema['x-personal'] || schema.format === 'resident-id') personal.add(field);
    else if (isCodeKind(schema.format)) codes.set(field, schema.format);
  }
  const subjectFields = entry ? subjectCodeFields(entry) : [];
  return maskerOf({ entry, personal, codes, subjectFields }, NO_OWN_VALUES);
}

/** A valid USCC that is no resident ID number: a code of an organisation, whichever field holds it. */
function isCompanyCode(value: string): boolean {
  const code = normalizeCode(value);
  return identifierProblem('uscc', code, { allowPilotCodes: true }) === null && !isResidentIdNumber(code);
}

/** The personal values of `rows`, and `subjectCode` when one of their personal subject fields holds it. */
function ownValuesOf(
  fields: EntryFields,
  rows: readonly Readonly<Record<string, unknown>>[],
  subjectCode: string | null | undefined,
  known: OwnValues,
): OwnValues {
  const values: string[] = [];
  for (const row of rows) {
    for (const [field, value] of Object.entries(row)) {
      // A company's USCC typed into a personal field is masked there, but it is no person's number elsewhere.
      if (fields.personal.has(field) && typeof value === 'string' && !isCompanyCode(value))
        values.push(value);
    }
  }
  if (subjectCode) {
    const holder = fields.subjectFields.find((field) =>
      rows.some((row) => {
        const value = row[field];
        return typeof value === 'string' && normalizeCode(value) === normalizeCode(subjectCode);
      }),
    );
    if (holder !== undefined && fields.personal.has(holder)) values.push(subjectCode);
  }
  if (values.length === 0) return known;
  const forms = new Set(known.forms);
  const codes = new Set(known.codes);
  for (const value of values) {
    const code = normalizeCode(value);
    for (const form of [value, code]) if (form.length >= QUOTED_MIN_LENGTH) forms.add(form);
    const folded = foldDigits(code);
    if (folded.length === 15 || folded.length === 18) codes.add(folded);
  }
  return forms.size === known.forms.size && codes.size === known.codes.size ? known : { forms, codes };
}

/** The row's own values only: where they stand alone as typed, and as IDs in any form, even valid USCCs. */
function maskOwnValues(own: OwnValues, value: string): string {
  let masked = value;
  for (const form of own.forms) {
    if (masked.includes(form)) masked = replaceStandalone(masked, form, maskPersonalField(form));
  }
  return maskOwnIds(masked, own.codes);
}

/** Free text: the row's own values, then every ID. */
function maskText(own: OwnValues, value: string): string {
  return maskPersonalText(own === NO_OWN_VALUES ? value : maskOwnValues(own, value));
}

function maskerOf(fields: EntryFields, own: OwnValues): FieldMasker {
  const { entry, personal, codes } = fields;
  const text = (value: string) => maskText(own, value);
  /** A code column's value or a subject code: a person's own number masked, even as a valid code of its kind. */
  const code = (value: string, kind?: CodeKind): string => {
    const masked = maskOwnValues(own, value);
    return masked !== value ? masked : maskCodeField(value, kind);
  };
  const cell = (field: string, value: string): string => {
    if (personal.has(field)) return maskPersonalField(value);
    const kind = codes.get(field);
    return kind === undefined ? text(value) : code(value, kind);
  };
  const owning = (rows: readonly Readonly<Record<string, unknown>>[], subjectCode?: string | null) => {
    const more = ownValuesOf(fields, rows, subjectCode, own);
    return more === own ? masker : maskerOf(fields, more);
  };
  const masker: FieldMasker = {
    isPersonal: (field) => personal.has(field),
    cell,
    row(row) {
      const self = owning([row]);
      const shown: Record<string, ShownValue> = {};
      for (const [field, value] of Object.entries(row)) {
        shown[field] = typeof value === 'string' ? self.cell(field, value) : value;
      }
      return shown as typeof row;
    },
    message(message, ...quoted) {
      let masked = message;
      for (const [field, value] of quoted.flatMap((row) => Object.entries(row))) {
        // Stored rows hold numbers and nulls too (a JSON row's amounts): only text can quote an ID.
        if (typeof value !== 'string') continue;
        // A message quotes the value as typed, or as the validator read it: full-width folded, spaces and dashes
        // between groups gone (`３７０１ …` → `3701…`), a form a mistyped ID is no longer found in by its raw cell.
        for (const form of new Set([value, normalizeCode(value)])) {
          if (form.length < QUOTED_MIN_LENGTH || !masked.includes(form)) continue;
          const shown = cell(field, form);
          if (shown !== form) masked = replaceStandalone(masked, form, shown);
        }
      }
      // The quoted rows' personal values are the person's own: found in any form, even as valid USCCs.
      return maskText(ownValuesOf(fields, quoted, undefined, own), masked);
    },
    key(parts) {
      // A key's personal part is the row's own: a decision number quoting it is masked with it.
      const fieldOf = (i: number) => entry?.businessKey[i] ?? '';
      const self = owning([Object.fromEntries(parts.map((part, i) => [fieldOf(i), part]))]);
      return parts.map((part, i) => self.cell(fieldOf(i), part));
    },
    subjectCode(subject, data) {
      const field = fields.subjectFields.find((candidate) => {
        const value = data[candidate];
        return typeof value === 'string' && normalizeCode(value) === subject;
      });
      return field === undefined ? code(subject) : cell(field, subject);
    },
    owning,
  };
  return masker;
}

/**
 * The same entry's fields shown in clear: for an auditor who asked to see them (the console logs every such
 * view). `isPersonal` still says which fields are personal, so a page can mark them.
 */
export function clearFieldMaskerOf(entry: CatalogEntry | undefined): FieldMasker {
  const masked = fieldMaskerOf(entry);
  const clear: FieldMasker = {
    isPersonal: masked.isPersonal,
    cell: (_field, value) => value,
    row: (row) => ({ ...row }),
    message: (text) => text,
    key: (parts) => [...parts],
    subjectCode: (code) => code,
    owning: () => clear,
  };
  return clear;
}
