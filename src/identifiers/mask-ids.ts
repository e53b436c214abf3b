import {
  CHECK_X_CLASS,
  DASH_CLASS,
  DIGIT_CLASS,
  digitCount,
  foldDigits,
  isCheckX,
  MULTI_DIGIT_CLASS,
  mayBeOtherForm,
} from './id-digits.ts';
import { INVISIBLE_CHARACTERS } from './invisible-characters.ts';
import { normalizeCode } from './normalize-code.ts';
import { orgCodeCheckCharAt } from './org-code.ts';
import {
  checkResidentId,
  convertLegacyResidentId,
  EARLIEST_BIRTH_YEAR,
  isResidentIdNumber,
} from './resident-id.ts';
import { checkUscc, usccCategory } from './uscc.ts';

/*
 * Resident IDs in text, masked by meaning (issue #15); the masking of a catalog entry's fields builds on this
 * (src/log/mask-personal-data.ts, which says what is masked where). Here, in the identifiers' folder, so that the
 * catalog's own messages (a header row quoted) can mask what they quote.
 *
 * Digits are read in every form the validator reads as digits, and in other scripts' (id-digits.ts): ASCII,
 * full-width, mathematical, superscript, circled (`𝟑𝟕𝟎…`, `³⁷⁰…`, `٣٧٠…`), ⑩–㊿ as two digits; the X in its forms
 * (ˣ, Ⅹ, 𝐗 …); the groups parted by any space, invisible character or dash the validator removes, and a lone X after
 * them (`…002 X`); also parted by punctuation (`370102.19750309.0014`, `370102/197503090014`, `370102_197503090014`),
 * but then only when together they make an ID beyond doubt (PUNCTUATION). Each ID is checked by the values of its
 * characters and masked where it stands, in its own form.
 * mask-ids.test.ts proves it: an ID the validator accepts is masked, whichever characters of Unicode it holds.
 */

/**
 * Spaces of every width (the figure and thin spaces typesetting leaves, the ideographic space), line breaks (an ID
 * wrapped inside a cell), and the invisible characters exports leave in cells (zero-width spaces and joiners,
 * direction marks and isolates, the word joiner and invisible operators, a BOM, the soft hyphen, the combining
 * grapheme joiner): between two groups they hide nothing from a reader, so they part groups as a space does.
 */
const SPACE = `[\\s\\u00A0\\u3000\\u2000-\\u200F\\u2028\\u2029\\u202F\\u205F${INVISIBLE_CHARACTERS}]`;
/**
 * The JSON escapes of the spaces a line break, tab or form feed leaves (`\n`, `\r`, `\t`, `\f`): output is often
 * masked after JSON.stringify (`--json`), which writes an ID wrapped in a cell (`370102`, a line break,
 * `197503090014`) as `370102\n197503090014`, a backslash and an n between the groups. They part groups as the
 * characters they stand for do. `\b`, `\"`, `\\` and `\/` stand for no space, so they part nothing, as their
 * characters do not. (A backslash and an n typed as such read as a line break too: a few more digits masked.)
 */
const JSON_SPACE_ESCAPE = '\\\\[nrtf]';
/**
 * Between the groups of a spaced ID: spaces (also NBSP, the ideographic space, invisible ones, their JSON escapes),
 * dashes, or both.
 */
const SEPARATOR = `(?:${SPACE}|${DASH_CLASS}|${JSON_SPACE_ESCAPE})+`;

/**
 * Punctuation exports and typists put between an ID's groups (`370102.19750309.0014`, `370102/197503090014`,
 * `370102_197503090014`, `370102|197503090014`, `370102·197503090014`, `370102、197503090014`), and the full-width
 * forms: the full stop, slash, low line, vertical line, middle dots and the ideographic comma. Unlike a space or dash
 * they stand between numbers that are no ID far more often (dates `2024.01.01`, decimals, paths, amounts, lists
 * `1、2、3`), and the validator does not remove them: groups parted by one are read as an ID only in a pass of their
 * own, after the one for spaces and dashes, and only when together they make one beyond doubt (`apart` in maskIds:
 * in free text an 18-character ID whose check character and birth date are right, not a 15-digit one, which has no
 * check character, nor one Excel cut).
 */
const PUNCTUATION = '[./_|\\u00B7\\u3001\\u30FB\\uFF0E\\uFF0F\\uFF3F\\uFF5C]';
const PUNCTUATION_ANYWHERE = new RegExp(PUNCTUATION);
const PUNCTUATION_EVERYWHERE = new RegExp(PUNCTUATION, 'g');
/**
 * Between groups that may be an ID parted by punctuation: punctuation, and the separators of a spaced ID. The
 * characters in one class, not three alternatives: this pattern runs over every text with punctuation and 15 digits.
 */
const SEPARATOR_OR_PUNCTUATION = `(?:[${SPACE.slice(1, -1)}${DASH_CLASS.slice(1, -1)}${PUNCTUATION.slice(1, -1)}]|${JSON_SPACE_ESCAPE})+`;

/**
 * How digit runs are found: a run is groups joined by separators; a group is a whole run of digits. `punctuated`:
 * a run whose groups may also be joined by punctuation.
 */
interface RunPatterns {
  run: RegExp;
  punctuated: RegExp;
  group: RegExp;
}

function runPatterns(digit: string, checkX: string, flags: string): RunPatterns {
  // An X ends a group when no digit follows (`…404X5` is no ID), or when two digits written on end it (`…091X01`:
  // an ID and a sequence number, ID_WITH_SUFFIX); it may stand apart, a group of its own (`…002 X`: the validator
  // joins it). ⑩–㊿ after an X are one character for two digits: `{1,2}`, the length is checked by idFrom.
  const group = `(?:${digit}+(?:${checkX}(?:${digit}{1,2})?(?!${digit}))?|${checkX}(?!${digit}))`;
  return {
    // Not preceded by a digit: a group is always a whole digit run.
    run: new RegExp(`(?<!${digit})${group}(?:${SEPARATOR}${group})*`, flags),
    punctuated: new RegExp(`(?<!${digit})${group}(?:${SEPARATOR_OR_PUNCTUATION}${group})*`, flags),
    group: new RegExp(group, flags),
  };
}

/** ASCII and full-width digits, as nearly every text holds them: patterns without `u`, faster. */
const PLAIN = runPatterns('[0-9\\uFF10-\\uFF19]', '[Xx\\uFF38\\uFF58]', 'g');
/**
 * Digits of every form and ⑩–㊿ (id-digits.ts), for a text that holds one of them; the gate (mayBeOtherForm) sends
 * every text holding a digit or X the plain patterns do not know here.
 */
const ANY_FORM = runPatterns(`(?:${DIGIT_CLASS}|${MULTI_DIGIT_CLASS})`, CHECK_X_CLASS, 'gu');

/**
 * The digits of a text, -1 when it holds a character that may be a digit or X of another form, or ⑩–㊿ (the gate,
 * id-digits.ts). ASCII and full-width ones are counted by char code (this runs on every log line and every value
 * shown); Chinese text, Latin letters and punctuation are passed over without a closer look.
 */
function plainDigitCount(text: string): number {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0xb2) {
      if (code >= 48 && code <= 57) digits++;
    } else if (code >= 0x3400 && code < 0xa620) {
      // CJK ideographs, most of what is shown: no digit among them.
    } else if (code >= 0xff10 && code <= 0xff19) digits++;
    else if (mayBeOtherForm(code)) return -1;
  }
  return digits;
}

function digitCountOfAnyForm(text: string): number {
  let digits = 0;
  for (const char of text) digits += digitCount(char.codePointAt(0)!);
  return digits;
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

/** True when a code is shaped like a resident ID with a real birth date, whatever its check character. */
function isResidentIdShaped(code: string): boolean {
  if (code.length !== 18 && code.length !== 15) return false;
  const problem = checkResidentId(code);
  return (
    problem === null || problem.code === 'resident-id-legacy-15' || problem.code === 'resident-id-check-digit'
  );
}

/** 18 digits, the last three 0: what Excel leaves of an 18-digit number, 15 significant digits. */
const EXCEL_CUT_SHAPE = /^[1-9]\d{14}000$/;

/**
 * True when an 18-digit number is an ID Excel stored as a number: its 15 significant digits kept, the last three
 * zeroed (`370102198204010015` → `370102198204010000`), a real birth date at the 7th–14th digits. The check
 * character is lost with the tail, so it checks as no ID; it is a person's number all the same.
 */
function isExcelCutId(code: string): boolean {
  return EXCEL_CUT_SHAPE.test(code) && isRealBirthDate(code.slice(6, 14));
}

/** Free text's IDs: those that check, and those Excel cut (a valid USCC is kept by idFrom either way). */
const isIdInText = (code: string): boolean => isResidentIdNumber(code) || isExcelCutId(code);

/** An ID typed with a digit lost or one too many: 17 or 19 characters, digits but for an X last. */
const OFF_BY_ONE_SHAPE = /^(?:\d{16}|\d{18})[\dX]$/;

/**
 * True when a code reads as a resident ID typed with one digit missing or one too many: 17 or 19 characters and
 * a real birth date (1800 on) where the slip would have moved it, at the 6th, 7th or 8th character. No code of
 * a code column is 17 or 19 characters long, so in one such a value is a person's number mistyped.
 */
function isResidentIdOffByOne(code: string): boolean {
  return OFF_BY_ONE_SHAPE.test(code) && [5, 6, 7].some((at) => isRealBirthDate(code.slice(at, at + 8)));
}

/**
 * True when 8 digits are a real date from 1800 to next year: what the 7th–14th digits of an ID hold. At least as
 * wide as the validator's birth dates (resident-id.ts: 1800 to today in Asia/Shanghai, which may be next year in UTC):
 * masking a number that is no ID costs little, leaving one that is costs a person's number.
 */
export function isRealBirthDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < EARLIEST_BIRTH_YEAR || year > new Date().getUTCFullYear() + 1) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Masks the ID's characters between its first 4 and last 4, leaving separators where they were. A character for
 * two digits (⑩) with either of them masked becomes two stars.
 */
function maskCharacters(text: string, idLength: number): string {
  let out = '';
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    const codePoint = text.codePointAt(i)!;
    const width = codePoint > 0xffff ? 2 : 1;
    const digits = digitCount(codePoint) || (isCheckX(codePoint) ? 1 : 0);
    if (digits > 0) {
      // A mathematical digit is two UTF-16 units and one character: one star.
      const masked = seen + digits > 4 && seen < idLength - 4;
      out += masked ? '*'.repeat(digits) : text.slice(i, i + width);
      seen += digits;
    } else {
      out += text.slice(i, i + width);
    }
    i += width - 1;
  }
  return out;
}

interface Group {
  start: number;
  end: number;
  code: string;
  /** Parted from the group before it by punctuation. */
  apart: boolean;
}

/** Where an ID found in a run ends (its last group) and how many characters it has (its suffix not counted). */
interface Found {
  last: number;
  idLength: number;
}

/** The code lengths an ID is looked for at: 15 and 18, or 17–19 for a mistyped one (`isId` decides which). */
interface IdLengths {
  has(length: number): boolean;
  readonly max: number;
}

const ID_LENGTHS: IdLengths = { has: (length) => length === 18 || length === 15, max: 18 };
const NEAR_ID_LENGTHS: IdLengths = {
  has: (length) => length === 15 || (length >= 17 && length <= 19),
  max: 19,
};

/**
 * An 18-character ID and two digits written on, nothing between (`37010219881120327301`): an individual
 * business's 税务登记号 is its owner's ID and a 2-digit sequence number. The ID in it is masked; the two digits stay.
 */
const ID_WITH_SUFFIX = 20;

/**
 * The ID a run of groups starting at `first` forms, the longest preferred (18 over 15); undefined if none. Groups
 * joined across punctuation are read by `apart` instead of `isId`.
 */
function idFrom(
  groups: readonly Group[],
  first: number,
  isId: (code: string) => boolean,
  isShown: (code: string) => boolean,
  lengths: IdLengths,
  apart: (code: string) => boolean,
): Found | undefined {
  let code = '';
  let found: Found | undefined;
  let isIdHere = isId;
  for (let last = first; last < groups.length; last++) {
    const before = code.length;
    code += groups[last]!.code;
    if (last > first && groups[last]!.apart) isIdHere = apart;
    if (code.length > lengths.max) {
      // The ID's 18th character and the two digits after it in one group: written on, not a number beside it.
      if (code.length === ID_WITH_SUFFIX && before < 18) {
        const id = code.slice(0, 18);
        if (isIdHere(id) && !isShown(id)) found = { last, idLength: 18 };
      }
      break;
    }
    const id = lengths.has(code.length) && isIdHere(code) && !isShown(code);
    if (id) found = { last, idLength: code.length };
    // An X ends an ID: no group may follow it.
    if (code.endsWith('X')) break;
  }
  return found;
}

function maskRun(
  run: string,
  isId: (code: string) => boolean,
  patterns: RunPatterns,
  isShown: (code: string) => boolean,
  lengths: IdLengths,
  apart: (code: string) => boolean = isId,
): string {
  const groups: Group[] = [];
  let end = 0;
  for (const match of run.matchAll(patterns.group)) {
    // Only a punctuated run (maskIds' second pass) has punctuation between its groups.
    const between = run.slice(end, match.index);
    end = match.index + match[0].length;
    const parted = between !== '' && PUNCTUATION_ANYWHERE.test(between);
    groups.push({ start: match.index, end, code: foldDigits(match[0]), apart: parted });
  }
  let out = '';
  let copied = 0;
  for (let first = 0; first < groups.length; first++) {
    const found = idFrom(groups, first, isId, isShown, lengths, apart);
    if (found === undefined) continue;
    const start = groups[first]!.start;
    const end = groups[found.last]!.end;
    out += run.slice(copied, start) + maskCharacters(run.slice(start, end), found.idLength);
    copied = end;
    first = found.last;
  }
  return out + run.slice(copied);
}

/**
 * A JSON escape (`\u0001`, a lone surrogate `\ud800`): output is often masked after JSON.stringify (`--json`, a
 * quoted file name), and the escape's hex digits would join the digits of an ID right after it into one longer
 * number that reads as no ID (`\u0001370102…`: 22 digits).
 */
const JSON_ESCAPE = /(\\u[0-9A-Fa-f]{4})/;

/**
 * `isShown`: an ID-like code shown all the same: a valid USCC, unless the caller knows it is a person's. `inside`:
 * the IDs looked for inside longer digit runs (maskInside). `apart`: what counts as an ID whose groups are parted by
 * punctuation (PUNCTUATION), stricter than `isId` where numbers that are no ID stand so.
 */
function maskIds(
  text: string,
  isId: (code: string) => boolean,
  isShown: (code: string) => boolean = isValidUscc,
  lengths: IdLengths = ID_LENGTHS,
  inside: Inside = CHECKED_IDS_INSIDE,
  apart: (code: string) => boolean = isCheckedId18,
): string {
  if (text.includes('\\u')) {
    // The text between escapes is masked piece by piece; the escapes themselves (odd indexes) are kept.
    const pieces = text.split(JSON_ESCAPE);
    if (pieces.length > 1)
      return pieces
        .map((piece, i) => (i % 2 === 1 ? piece : maskIds(piece, isId, isShown, lengths, inside, apart)))
        .join('');
  }
  const plain = plainDigitCount(text);
  // Fewer than 15 digits cannot hold an ID: most values (names, dates, amounts) stop here.
  if (plain >= 0 && plain < 15) return text;
  const patterns = plain < 0 ? ANY_FORM : PLAIN;
  if (plain < 0 && digitCountOfAnyForm(text) < 15) return text;
  const count = plain < 0 ? digitCountOfAnyForm : plainDigitCount;
  const masked = text.replace(patterns.run, (run: string, at: number) =>
    count(run) < 15 || isUsccBeside(text, run, at) ? run : maskRun(run, isId, patterns, isShown, lengths),
  );
  // Then the IDs parted by punctuation, the groups the first pass read apart; what it masked is parted by its stars.
  const punctuated = !PUNCTUATION_ANYWHERE.test(masked)
    ? masked
    : masked.replace(patterns.punctuated, (run: string, at: number) =>
        count(run) < 15 || !PUNCTUATION_ANYWHERE.test(run) || isUsccBeside(masked, run, at)
          ? run
          : maskRun(run, NO_ID, patterns, isShown, lengths, apart),
      );
  return maskInside(punctuated, plain >= 0, inside, isShown);
}

/** In the punctuated pass, groups not parted by punctuation: read in the first pass already. */
const NO_ID = (): boolean => false;

/** An 18-character ID whose check character and birth date are right: what groups parted by punctuation must be. */
const isCheckedId18 = (code: string): boolean => code.length === 18 && isResidentIdNumber(code);

/**
 * The IDs looked for inside a longer run of digits (an ID touching a phone number, two IDs back to back): `phases`,
 * the lengths tried, a later phase only where an earlier found nothing; `isId`, what counts as one there.
 */
interface Inside {
  phases: readonly (readonly number[])[];
  isId: (code: string) => boolean;
  /** A cheap no before `isId`, for the window of `code` at `start`, not cut out yet. */
  mayBe?: (code: string, start: number) => boolean;
}

/**
 * True when 18 characters may hold a birth date from 1800 on at the 7th–14th: the century 18, 19 or 20, a month's
 * first digit 0 or 1, a day's 0–3. A cheap no for nearly every window of a long number, before the check digit.
 */
function mayHoldBirthDate(code: string, start: number): boolean {
  const century = code.charCodeAt(start + 6);
  const month = code.charCodeAt(start + 10);
  const day = code.charCodeAt(start + 12);
  return (century === 49 || century === 50) && (month === 48 || month === 49) && day >= 48 && day <= 51;
}

/**
 * In free text, inside a longer run: 18 characters that check as an ID (the check character right, a real birth
 * date). Not a 15-digit legacy number: it has no check character, and a real date (YYMMDD) stands somewhere in
 * most long numbers (accounts, case numbers, amounts), which would be masked with it; one inside a longer run is
 * masked only where it is a row's own (maskOwnIds). Nor an ID Excel cut to `…000`, a number that stands alone.
 */
const CHECKED_IDS_INSIDE: Inside = {
  phases: [[18]],
  isId: (code) => isResidentIdNumber(code),
  mayBe: mayHoldBirthDate,
};

/** Nothing looked for inside longer runs. */
const NOTHING_INSIDE: Inside = { phases: [], isId: () => false };

/** A run of digits (ASCII, full-width) and X with nothing between, long enough to hold an ID and more. */
const PLAIN_STRETCH = /[0-9\uFF10-\uFF19Xx\uFF38\uFF58]{16,}/g;
/** The same in every digit form (id-digits.ts). */
const ANY_STRETCH = new RegExp(`(?:${DIGIT_CLASS}|${MULTI_DIGIT_CLASS}|${CHECK_X_CLASS}){16,}`, 'gu');

/**
 * Masks the IDs inside runs of digits longer than an ID, which maskRun, reading whole runs, leaves: a phone number
 * and an ID (`当事人13800138000370102197503090014`), two IDs back to back, an ID and a case number's digits after
 * it. Every window of the lengths `inside` gives is tried, anywhere in the run; each one found is masked to its
 * first and last 4 characters, overlapping ones together. No character of a valid USCC is masked (any 18 code
 * characters around, letters beside the run included): an ID whose masked characters one holds is left, and so is
 * one that is a USCC itself, unless `isShown` says it is a person's. What the first pass masked is parted by its
 * stars, not looked at again. An ID parted by a space, dash or punctuation and touching other digits
 * (`13800138000370102 19750309 0014`) is not found: a run is read from its groups' starts (maskRun).
 */
function maskInside(
  text: string,
  plain: boolean,
  inside: Inside,
  isShown: (code: string) => boolean,
): string {
  let shortest = Number.POSITIVE_INFINITY;
  for (const phase of inside.phases) for (const length of phase) shortest = Math.min(shortest, length);
  return text.replace(plain ? PLAIN_STRETCH : ANY_STRETCH, (stretch: string, at: number) =>
    maskStretch(text, stretch, at, inside, isShown, shortest),
  );
}

/** Up to 17 code characters (letters, digits) of `text` beside a run, read as a USCC reads them. */
function codeBeside(text: string, from: number, step: 1 | -1): string {
  let out = '';
  for (let i = from; out.length < 17 && i >= 0 && i < text.length && CODE_CHARACTER.test(text[i]!); i += step)
    out = step === 1 ? out + text[i] : text[i] + out;
  return normalizeCode(out);
}

function maskStretch(
  text: string,
  stretch: string,
  at: number,
  inside: Inside,
  isShown: (code: string) => boolean,
  shortest: number,
): string {
  // Each character's code (`⑩` two digits, `𝟑` one), and whether a code position starts a character: ASCII digits
  // and X, nearly every run, are their own code, each position a character's.
  const plain = PLAIN_CODE_RUN.test(stretch);
  const chars = plain ? undefined : Array.from(stretch);
  const codes = chars?.map(foldDigits);
  const code = codes === undefined ? stretch : codes.join('');
  if (code.length <= shortest) return stretch;
  let startsCharacter: boolean[] | undefined;
  if (codes !== undefined) {
    startsCharacter = new Array<boolean>(code.length + 1).fill(false);
    for (let i = 0, offset = 0; i <= codes.length; offset += codes[i]?.length ?? 0, i++)
      startsCharacter[offset] = true;
  }
  let around: string | undefined;
  let before = 0;
  let masked: boolean[] | undefined;
  const found: [number, number][] = [];
  for (const phase of inside.phases) {
    const earlier = found.length;
    for (const length of phase) {
      for (let start = 0; start + length <= code.length; start++) {
        const end = start + length;
        if (startsCharacter !== undefined && !(startsCharacter[start] && startsCharacter[end])) continue;
        if (inside.mayBe !== undefined && !inside.mayBe(code, start)) continue;
        let overlaps = false;
        for (let f = 0; f < earlier && !overlaps; f++) overlaps = start < found[f]![1] && found[f]![0] < end;
        if (overlaps) continue;
        const id = code.slice(start, end);
        if (!inside.isId(id)) continue;
        if (around === undefined) {
          // The code characters beside the run, read only once an ID is found: a USCC may hold some of them.
          const left = codeBeside(text, at - 1, -1);
          before = left.length;
          around = left + code + codeBeside(text, at + stretch.length, 1);
        }
        if (isInUscc(around, before + start, length, isShown(id))) continue;
        found.push([start, end]);
        masked ??= new Array<boolean>(code.length).fill(false);
        masked.fill(true, start + 4, end - 4);
      }
    }
  }
  if (masked === undefined) return stretch;
  if (chars === undefined || codes === undefined) {
    let out = '';
    for (let i = 0; i < stretch.length; i++) out += masked[i] ? '*' : stretch[i];
    return out;
  }
  let out = '';
  for (let i = 0, offset = 0; i < chars.length; offset += codes[i]!.length, i++) {
    const width = codes[i]!.length;
    const hidden = masked.slice(offset, offset + width).includes(true);
    out += hidden ? '*'.repeat(width) : chars[i];
  }
  return out;
}

/** ASCII digits and X only: each character its own code. */
const PLAIN_CODE_RUN = /^[0-9X]*$/;

/**
 * True when the characters an ID at `start` of `around`, `length` long, would mask (all but its first and last 4)
 * are part of a valid USCC: an 18-character window of `around` overlapping them checks as one (the window that is
 * the ID itself only when `selfShown`). A USCC touching only the ID's first or last 4 keeps its characters all the
 * same: both are shown whole.
 */
function isInUscc(around: string, start: number, length: number, selfShown: boolean): boolean {
  const last = Math.min(start + length - 5, around.length - 18);
  for (let from = Math.max(0, start + 4 - 17); from <= last; from++) {
    if (from === start && length === 18) {
      if (selfShown) return true;
      continue;
    }
    const window = around.slice(from, from + 18);
    // The organisation code's check character first (a valid USCC, pilot codes too, has it right): a cheap no for
    // ten in eleven windows, before the full check, which looks for a resident ID in what fails.
    if (window[16] === orgCodeCheckCharAt(window, 8) && isValidUscc(window)) return true;
  }
  return false;
}

/** A letter or a digit (ASCII or full-width): a code's character. */
const CODE_CHARACTER = /^[0-9A-Za-z\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]$/;

/** What may stand between a USCC's 17 digits and its letter: a space, a line break (or its JSON escape), a dash. */
const LETTER_APART = `(?:${SPACE}|${DASH_CLASS}|${JSON_SPACE_ESCAPE}){0,3}`;
/** A letter after a run, directly or set apart (`…019N`, `…019 N`, `…019-N`, `…019\nN`): the letter in group 1. */
const LETTER_AFTER = new RegExp(`^${LETTER_APART}([A-Za-z\\uFF21-\\uFF3A\\uFF41-\\uFF5A])`);
/** A letter before a run, directly or set apart (`Y1…`, `Y 1…`): the letter in group 1, at the match's start. */
const LETTER_BEFORE = new RegExp(`([A-Za-z\\uFF21-\\uFF3A\\uFF41-\\uFF5A])${LETTER_APART}$`);

/**
 * True when a run of 17 digits (at `at` in `text`) and a letter beside it are a valid USCC as a whole: its check
 * character a letter (`11010119850312019N`), or its registration authority (`Y1…`), also set apart from the digits
 * by a space, a dash or a line break (`11010119850312019 N`, `…019-N`: the validator joins them so). The run alone
 * reads as an ID a digit short, which a USCC is not: never masked. The letter must end (or start) the code: no code
 * character beyond it.
 */
function isUsccBeside(text: string, run: string, at: number): boolean {
  // Punctuation between its groups too (the punctuated pass): it parts a USCC's digits as a space would.
  const digits = foldDigits(normalizeCode(run.replace(PUNCTUATION_EVERYWHERE, '')));
  if (digits.length !== 17) return false;
  const end = at + run.length;
  const isCode = (code: string) => isValidUscc(normalizeCode(code));
  const after = LETTER_AFTER.exec(text.slice(end, end + 8));
  if (after) {
    const letterEnd = end + after[0].length;
    if (!CODE_CHARACTER.test(text[letterEnd] ?? '') && isCode(digits + after[1])) return true;
  }
  const before = LETTER_BEFORE.exec(text.slice(Math.max(0, at - 8), at));
  if (before) {
    const letterAt = at - before[0].length;
    if (!CODE_CHARACTER.test(text[letterAt - 1] ?? '') && isCode(before[1] + digits)) return true;
  }
  return false;
}

/**
 * Masks every resident ID in free text to its first 4 and last 4 characters (`3701**********1231`), also when
 * typed full-width, in other digit forms (`𝟑𝟕𝟎…`, `³⁷⁰…`, `٣٧٠…`) or in spaced groups, and an ID Excel cut to 15
 * digits and `000`; in groups parted by punctuation (`370102.19750309.0014`) only an 18-character one that checks;
 * leaves valid USCCs, longer digit runs and mistyped IDs as they are.
 */
export function maskPersonalText(text: string): string {
  return maskIds(text, isIdInText);
}

/**
 * Masks a person's own numbers in text, nothing else (`own`: 15 or 18 characters as the validator reads them,
 * normalize-code.ts, digits folded): in any form and spacing maskPersonalText finds IDs in, also where one of them
 * is a valid USCC as well (a resident ID can pass the USCC check: 11…, 12…, 31… numbers), and in its other length
 * (a 15-digit legacy number's 18-character form, an 18-character one's 15-digit form). One mistyped is theirs too,
 * unless what was typed is a valid USCC: an 18-character form with one character wrong (`…4047` as `…4048`), one
 * dropped or one added (17 or 19 characters); a 15-digit form with one digit wrong. 17 of its 18 digits (14 of 15)
 * must not be read where the rest of the platform masks it.
 */
export function maskOwnIds(text: string, own: ReadonlySet<string>): string {
  if (own.size === 0) return text;
  const forms = Array.from(own, idForms);
  const isOwn = (code: string) => isOwnId(code, forms);
  // Inside a longer run too, anywhere (a phone number before it, another ID after it): as it is or in its other
  // length first, then one character lost or added where neither stands.
  // Parted by punctuation too, in every form it is looked for in: a known number, not a guess.
  return maskIds(
    text,
    isOwn,
    () => false,
    NEAR_ID_LENGTHS,
    {
      phases: [
        [18, 15],
        [19, 17],
      ],
      isId: isOwn,
    },
    isOwn,
  );
}

const DIGITS_15 = /^\d{15}$/;
/** An 18-character ID of the 20th century: the one a 15-digit legacy number converts to. */
const LEGACY_CENTURY_18 = /^\d{6}19\d{9}[\dX]$/;

/**
 * An own number in both lengths (each only when it has one): `{ long }` its 18-character form (a 15-digit legacy
 * number converted, GB 11643), `{ short }` its 15-digit form (an 18-character one born 19xx, century and check
 * character dropped).
 */
function idForms(id: string): { long?: string; short?: string } {
  if (DIGITS_15.test(id)) return { long: convertLegacyResidentId(id), short: id };
  if (LEGACY_CENTURY_18.test(id)) return { long: id, short: id.slice(0, 6) + id.slice(8, 17) };
  return id.length === 18 ? { long: id } : {};
}

/**
 * True when a code is an own number (`forms`: each one's idForms), in either length, or one slip from it: 17–19
 * characters from its 18-character form (a character changed, lost or added), or 15 digits from its 15-digit form
 * (a digit changed), unless what was typed is a valid USCC.
 */
function isOwnId(code: string, forms: readonly { long?: string; short?: string }[]): boolean {
  const length = code.length;
  for (const { long, short } of forms) {
    if (length === 18 || length === 15) {
      const form = length === 18 ? long : short;
      if (form === undefined) continue;
      const differences = differencesUpToTwo(code, form);
      if (differences === 0 || (differences === 1 && !isValidUscc(code))) return true;
    } else if (long !== undefined) {
      if ((length === 19 && dropsOne(code, long)) || (length === 17 && dropsOne(long, code))) return true;
    }
  }
  return false;
}

/** How many characters two codes of one length differ in: 0, 1, or 2 for two or more. */
function differencesUpToTwo(a: string, b: string): number {
  let differences = 0;
  for (let i = 0; i < a.length && differences < 2; i++)
    if (a.charCodeAt(i) !== b.charCodeAt(i)) differences++;
  return differences;
}

/** True when `short` is `long` with one character dropped. */
function dropsOne(long: string, short: string): boolean {
  if (long.length !== short.length + 1) return false;
  let at = 0;
  while (at < short.length && long.charCodeAt(at) === short.charCodeAt(at)) at++;
  for (let i = at; i < short.length; i++) if (long.charCodeAt(i + 1) !== short.charCodeAt(i)) return false;
  return true;
}

/**
 * The first two digits of a resident ID: a province-level division (GB/T 2260: 11–15, 21–23, 31–37, 41–46, 50–54,
 * 61–65, 71 Taiwan) or a residence permit of Hong Kong, Macao and Taiwan residents (81, 82, 83).
 */
const PROVINCE_PREFIX = /^(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3])/;

/** 17 to 19 characters, digits but for an X last: an 18-character ID as typed, perhaps a digit short or long. */
const MISTYPED_ID_SHAPE = /^\d{16,18}[\dX]$/;

/**
 * True when a code reads as a resident ID even mistyped: a province's first two digits, and a real birth date at
 * the 7th–14th characters (of 18, whatever the check character), or where a digit lost or added would have moved it
 * (17 or 19 characters: from the 6th, 7th or 8th).
 */
function isMistypedId(code: string): boolean {
  if (!MISTYPED_ID_SHAPE.test(code) || !PROVINCE_PREFIX.test(code)) return false;
  const starts = code.length === 18 ? [6] : [5, 6, 7];
  return starts.some((at) => isRealBirthDate(code.slice(at, at + 8)));
}

/**
 * Another organisation's free text quoted to a provider (a conflict notice quotes the current version's 备注,
 * 违法事实 …): every ID masked as maskPersonalText does, and every run that reads as one mistyped (a province's
 * first two digits, a real birth date at the 7th–14th digits, 17 to 19 characters, any check character, in any
 * form and spacing maskPersonalText reads), unless it is a valid USCC. Stricter than free text of one's own: the
 * provider who gets it is not the one who wrote it, so a case number that reads as an ID is masked rather than a
 * person's number shown.
 */
export function maskQuotedIds(text: string): string {
  return maskIds(text, (code) => isIdInText(code) || isMistypedId(code), isValidUscc, NEAR_ID_LENGTHS);
}

/**
 * What a person typed to look a record or subject up, as echoed back, and a code column's value that is no code
 * of its kind: a value shaped like an ID (a real birth date) is masked whatever its check character (they typed a
 * person's number, perhaps mistyped), and so is one typed a digit short or long (17 or 19 characters); a valid
 * USCC never is. Parted by punctuation (`370102_197503090014`, which the validator refuses as 19 characters): 18
 * characters shaped like an ID, whatever the check character.
 */
export function maskTypedLookup(text: string): string {
  // The runs as they stand first: a value a digit long (19) holds an ID of 18 inside, but is masked whole below.
  if (maskIds(text, isResidentIdShaped, isValidUscc, ID_LENGTHS, NOTHING_INSIDE, isShapedId18) !== text)
    return maskIds(text, isResidentIdShaped, isValidUscc, ID_LENGTHS, CHECKED_IDS_INSIDE, isShapedId18);
  // The whole value as the validator reads it (normalize-code.ts), digits NFKC leaves as they are (Arabic-Indic …)
  // read by their values, each one or two UTF-16 units: what the runs above may have missed is masked whole.
  const code = normalizeCode(text);
  if (code.length < 15) return text;
  const folded = foldDigits(code);
  const id =
    code.length <= 38 &&
    (isResidentIdOffByOne(folded) || (isResidentIdShaped(folded) && !isValidUscc(folded)));
  // Else the IDs inside longer runs (a phone number and an ID typed together).
  return id
    ? maskPersonalField(text)
    : maskIds(text, isResidentIdShaped, isValidUscc, ID_LENGTHS, CHECKED_IDS_INSIDE, isShapedId18);
}

/**
 * Groups parted by punctuation in what a person typed to look up: 18 characters shaped like an ID (a real birth
 * date, any check character: typed, perhaps mistyped), not 15 digits, which a date and a number parted so may be.
 */
const isShapedId18 = (code: string): boolean => code.length === 18 && isResidentIdShaped(code);

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
