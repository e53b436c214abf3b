import { type CatalogEntry, subjectCodeFields } from '../catalog/catalog-entry.ts';
import { identifierProblem } from '../identifiers/index.ts';
import { maskPersonalField, maskPersonalText, maskTypedLookup } from '../identifiers/mask-ids.ts';
import { normalizeCode } from '../identifiers/normalize-code.ts';

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
 *   (`370102198204010000`). A string that is a valid USCC is never masked: 12120000…
 *   and 91370102000005… codes are 18 digits too. (The text masking itself is src/identifiers/mask-ids.ts.)
 *   Free text is full of long numbers (case numbers, accounts, amounts); masking every 18-digit run would hide
 *   them and the USCCs, which must be shown. A mistyped ID in free text is the price of that choice.
 * - In a code column that is not personal (统一社会信用代码, 工商注册号, 组织机构代码), a valid code of the column's
 *   kind is shown; otherwise a value shaped like an ID (digits, a real birth date) is masked even with a wrong
 *   check character or a digit missing or added (17 or 19 characters), unless it is a valid USCC: an ID typed
 *   into the wrong column, mistyped, is still a person's.
 * - A string valid both as a USCC and as an ID (possible: 11…, 12…, 31… IDs pass the USCC category table) is
 *   shown outside declared personal fields: the rule "never mask a USCC" wins there.
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

/** Replaces `value` where it stands alone, not where it is part of a longer code (`…123` inside `…1231`). */
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
  /** A stored row as shown: every string value masked as its field says; numbers and empties as they are. */
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
  const cell = (field: string, value: string): string => {
    if (personal.has(field)) return maskPersonalField(value);
    const kind = codes.get(field);
    if (kind !== undefined) return maskCodeField(value, kind);
    return maskPersonalText(value);
  };
  return {
    isPersonal: (field) => personal.has(field),
    cell,
    row(row) {
      const shown: Record<string, ShownValue> = {};
      for (const [field, value] of Object.entries(row)) {
        shown[field] = typeof value === 'string' ? cell(field, value) : value;
      }
      return shown as typeof row;
    },
    message(text, ...quoted) {
      let masked = text;
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
      return maskPersonalText(masked);
    },
    key: (parts) => parts.map((part, i) => cell(entry?.businessKey[i] ?? '', part)),
    subjectCode(code, data) {
      const field = subjectFields.find((candidate) => {
        const value = data[candidate];
        return typeof value === 'string' && normalizeCode(value) === code;
      });
      return field === undefined ? maskCodeField(code) : cell(field, code);
    },
  };
}

/**
 * The same entry's fields shown in clear: for an auditor who asked to see them (the console logs every such
 * view). `isPersonal` still says which fields are personal, so a page can mark them.
 */
export function clearFieldMaskerOf(entry: CatalogEntry | undefined): FieldMasker {
  const masked = fieldMaskerOf(entry);
  return {
    isPersonal: masked.isPersonal,
    cell: (_field, value) => value,
    row: (row) => ({ ...row }),
    message: (text) => text,
    key: (parts) => [...parts],
    subjectCode: (code) => code,
  };
}
