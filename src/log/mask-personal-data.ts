import { type CatalogEntry, subjectCodeFields } from '../catalog/catalog-entry.ts';
import { identifierProblem } from '../identifiers/index.ts';
import { normalizeCode } from '../identifiers/normalize-code.ts';
import { checkResidentId, computeResidentIdCheckChar } from '../identifiers/resident-id.ts';
import { checkUscc, usccCategory } from '../identifiers/uscc.ts';

/*
 * What is masked, and why by meaning rather than by pattern (issue #15):
 * - In free text (messages, file names, free-text columns such as 违法事实, keys, command output) a resident ID is
 *   masked when it checks as one: a real birth date and the right check character (18), or a real birth date
 *   (15-digit legacy numbers, which have no check character). Typed full-width or with spaces/dashes between
 *   groups (`３７１１０２…`, `371102 19790612 4048`), or with invisible characters between them (a zero-width
 *   space), it is found all the same. A string that is a valid USCC is never masked: 12120000… and
 *   91370102000005… codes are 18 digits too.
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

const DIGIT = '[0-9\uFF10-\uFF19]';
const CHECK_X = '[Xx\uFF38\uFF58]';
/**
 * Spaces of every width (the figure and thin spaces typesetting leaves, the ideographic space), line breaks (an ID
 * wrapped inside a cell), and the invisible characters exports leave in cells (zero-width spaces and joiners,
 * direction marks and isolates, the word joiner and invisible operators, a BOM, the soft hyphen, the combining
 * grapheme joiner): between two groups they hide nothing from a reader, so they part groups as a space does.
 */
const SPACE =
  '[\\s\\u00A0\\u3000\\u2000-\\u200F\\u2028\\u2029\\u202A-\\u202F\\u205F-\\u2064\\u2066-\\u2069\\u061C\\u180E\\u034F\\uFEFF\\u00AD]';
/** Hyphens and dashes, the minus sign among them. */
const DASH = '[-\\uFF0D\\u2010-\\u2015\\u2212\\uFE63]';
/** Between the groups of a spaced ID: spaces (also NBSP, the ideographic space, invisible ones), dashes, or both. */
const SEPARATOR = `(?:${SPACE}|${DASH})+`;
/** A digit group; an X ends it only when no digit follows (`…404X5` is no ID). */
const GROUP = `${DIGIT}+(?:${CHECK_X}(?!${DIGIT}))?`;
/** Runs of digit groups joined by separators, not preceded by a digit: a group is always a whole digit run. */
const DIGIT_RUN = new RegExp(`(?<!${DIGIT})${GROUP}(?:${SEPARATOR}${GROUP})*`, 'g');
const GROUP_IN_RUN = new RegExp(GROUP, 'g');

/** An ASCII or full-width digit, by char code: this runs on every character of every value shown. */
function isDigitCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 0xff10 && code <= 0xff19);
}

function isCheckXCode(code: number): boolean {
  return code === 88 || code === 120 || code === 0xff38 || code === 0xff58;
}

function digitCount(text: string): number {
  let digits = 0;
  for (let i = 0; i < text.length; i++) if (isDigitCode(text.charCodeAt(i))) digits++;
  return digits;
}

/** Full-width digits and X to ASCII, x to X: the form the identifier checks read. */
function halfWidth(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xff10 && code <= 0xff19) out += String.fromCharCode(code - 0xff10 + 48);
    else if (isCheckXCode(code)) out += 'X';
    else out += text.charAt(i);
  }
  return out;
}

/** A valid USCC (pilot-era codes included) is never masked, even when it is all digits. */
function isValidUscc(code: string): boolean {
  // usccCategory first: a cheap no for nearly every ID (37…, 44…), before the full check builds its messages.
  return (
    code.length === 18 &&
    usccCategory(code) !== undefined &&
    checkUscc(code, { allowPilotCodes: true }) === null
  );
}

/** True when 15 or 18 half-width characters check as a resident ID: real birth date, right check character. */
export function isResidentId(code: string): boolean {
  if (code.length !== 18 && code.length !== 15) return false;
  // The check character first: ten in eleven long numbers that are no ID stop here, cheaply.
  if (code.length === 18 && computeResidentIdCheckChar(code.slice(0, 17)) !== code[17]) return false;
  const problem = checkResidentId(code);
  return problem === null || problem.code === 'resident-id-legacy-15';
}

/** True when a code is shaped like a resident ID with a real birth date, whatever its check character. */
function isResidentIdShaped(code: string): boolean {
  if (code.length !== 18 && code.length !== 15) return false;
  const problem = checkResidentId(code);
  return (
    problem === null || problem.code === 'resident-id-legacy-15' || problem.code === 'resident-id-check-digit'
  );
}

/** An ID typed with a digit lost or one too many: 17 or 19 characters, digits but for an X last. */
const OFF_BY_ONE_SHAPE = /^(?:\d{16}|\d{18})[\dX]$/;

/**
 * True when a code reads as a resident ID typed with one digit missing or one too many: 17 or 19 characters and
 * a real birth date (1900 on) where the slip would have moved it, at the 6th, 7th or 8th character. No code of
 * a code column is 17 or 19 characters long, so in one such a value is a person's number mistyped.
 */
function isResidentIdOffByOne(code: string): boolean {
  return OFF_BY_ONE_SHAPE.test(code) && [5, 6, 7].some((at) => isRealBirthDate(code.slice(at, at + 8)));
}

function isRealBirthDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < 1900 || year > new Date().getUTCFullYear() || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Masks the ID's characters between its first 4 and last 4, leaving separators where they were. */
function maskCharacters(text: string, idLength: number): string {
  let out = '';
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isDigitCode(code) || isCheckXCode(code)) {
      out += seen >= 4 && seen < idLength - 4 ? '*' : text.charAt(i);
      seen++;
    } else {
      out += text.charAt(i);
    }
  }
  return out;
}

interface Group {
  start: number;
  end: number;
  code: string;
}

/** The ID a run of groups starting at `first` forms, 18 characters preferred over 15; undefined if none. */
function idFrom(
  groups: readonly Group[],
  first: number,
  isId: (code: string) => boolean,
): number | undefined {
  let code = '';
  let found: number | undefined;
  for (let last = first; last < groups.length; last++) {
    code += groups[last]!.code;
    if (code.length > 18) break;
    const id = (code.length === 18 || code.length === 15) && isId(code) && !isValidUscc(code);
    if (id) found = last;
    // An X ends an ID: no group may follow it.
    if (code.endsWith('X')) break;
  }
  return found;
}

function maskRun(run: string, isId: (code: string) => boolean): string {
  const groups: Group[] = [];
  for (const match of run.matchAll(GROUP_IN_RUN)) {
    groups.push({ start: match.index, end: match.index + match[0].length, code: halfWidth(match[0]) });
  }
  let out = '';
  let copied = 0;
  for (let first = 0; first < groups.length; first++) {
    const last = idFrom(groups, first, isId);
    if (last === undefined) continue;
    const start = groups[first]!.start;
    const end = groups[last]!.end;
    const idLength = groups.slice(first, last + 1).reduce((sum, group) => sum + group.code.length, 0);
    out += run.slice(copied, start) + maskCharacters(run.slice(start, end), idLength);
    copied = end;
    first = last;
  }
  return out + run.slice(copied);
}

function maskIds(text: string, isId: (code: string) => boolean): string {
  // Fewer than 15 digits cannot hold an ID: most values (names, dates, amounts) stop here.
  if (digitCount(text) < 15) return text;
  return text.replace(DIGIT_RUN, (run) => (digitCount(run) < 15 ? run : maskRun(run, isId)));
}

/**
 * Masks every resident ID in free text to its first 4 and last 4 characters (`3701**********1231`), also when
 * typed full-width or in spaced groups; leaves valid USCCs, longer digit runs and mistyped IDs as they are.
 */
export function maskPersonalText(text: string): string {
  return maskIds(text, isResidentId);
}

/**
 * What a person typed to look a record or subject up, as echoed back, and a code column's value that is no code
 * of its kind: a value shaped like an ID (a real birth date) is masked whatever its check character (they typed a
 * person's number, perhaps mistyped), and so is one typed a digit short or long (17 or 19 characters); a valid
 * USCC never is.
 */
export function maskTypedLookup(text: string): string {
  const masked = maskIds(text, isResidentIdShaped);
  if (masked !== text) return masked;
  return isResidentIdOffByOne(normalizeCode(text)) ? maskPersonalField(text) : text;
}

/**
 * Masks a value of a field declared personal, whatever it holds: first and last 4 characters kept from 12
 * characters on (`3701**********1231`), 2 from 5, none below.
 */
export function maskPersonalField(value: string): string {
  const chars = Array.from(value);
  if (chars.length === 0) return value;
  if (chars.length <= 4) return '*'.repeat(chars.length);
  const keep = chars.length >= 12 ? 4 : 2;
  return chars.slice(0, keep).join('') + '*'.repeat(chars.length - 2 * keep) + chars.slice(-keep).join('');
}

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
