import { daysInMonth } from '../../connectors/days-in-month.ts';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import {
  checkPlaceholder,
  codeChars,
  describePositions,
  type IdentifierProblem,
  lengthHint,
} from './identifier-problem.ts';

const KIND = '居民身份证号码';
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const DIGITS_17 = /^[0-9]{17}$/;
const DIGITS_15 = /^[0-9]{15}$/;
const RESIDENT_ID_SHAPE = /^[0-9]{17}[0-9X]$/;
/** The oldest sample in GB 11643 is born 1880; anything before 1800 is a typo, not a person. */
export const EARLIEST_BIRTH_YEAR = 1800;

export interface CheckResidentIdOptions {
  /** Returns today's date as `YYYY-MM-DD` in Asia/Shanghai; defaults to the clock. Injected by tests. */
  today?: () => string;
}

/** GB 11643-1999 check character (MOD 11-2) for 17 digits. Throws RangeError on malformed input. */
export function computeResidentIdCheckChar(first17: string): string {
  if (!DIGITS_17.test(first17)) throw new RangeError(`expected 17 digits, got ${JSON.stringify(first17)}`);
  return residentIdCheckChar(first17);
}

/** The check character for text whose first 17 characters the caller knows are ASCII digits. */
function residentIdCheckChar(text: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (text.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/**
 * Converts a 15-digit (1989 standard) number to 18 characters: the century "19" goes before the
 * 2-digit birth year and the check character is appended. Throws RangeError unless given 15 digits.
 */
export function convertLegacyResidentId(id15: string): string {
  if (!DIGITS_15.test(id15)) throw new RangeError(`expected 15 digits, got ${JSON.stringify(id15)}`);
  const first17 = `${id15.slice(0, 6)}19${id15.slice(6)}`;
  return first17 + computeResidentIdCheckChar(first17);
}

/**
 * Masks an ID for display and logs: first 4 and last 4 characters kept (`3701**********123X`, and the
 * same for 15-digit numbers). Shorter values keep less, so that at most 8 characters and at most a third
 * of the value at each end are shown.
 */
export function maskResidentId(id: string): string {
  const chars = codeChars(id);
  const keep = Math.min(4, Math.floor(chars.length / 3));
  const head = chars.slice(0, keep).join('');
  const tail = keep > 0 ? chars.slice(-keep).join('') : '';
  return head + '*'.repeat(chars.length - 2 * keep) + tail;
}

/** Why an 8-digit YYYYMMDD birth date is impossible, or null when it is a real past date. */
function birthDateFault(yyyymmdd: string, today: string): string | null {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  // Years 0–99 have always counted as unreal here (Date.UTC, used before, reads them as 19xx).
  const real = year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
  if (!real) return '不是真实存在的日期';
  if (year < EARLIEST_BIRTH_YEAR) return `早于${EARLIEST_BIRTH_YEAR}年，不是合理的出生日期`;
  if (yyyymmdd > compactDate(today)) return '晚于今天';
  return null;
}

let lastToday = { iso: '', compact: '' };

/** `2026-11-27` → `20261127`, remembered: every ID of a load compares with the same today. */
function compactDate(iso: string): string {
  if (iso !== lastToday.iso) lastToday = { iso, compact: iso.replaceAll('-', '') };
  return lastToday.compact;
}

function birthDateProblem(where: string, fault: string): IdentifierProblem {
  return {
    code: 'resident-id-birth-date',
    // The birth date is not quoted: beside a masked number (first and last 4 shown) it would give away all
    // but two of its digits.
    message: `${KIND}${where}的出生日期${fault}，请对照身份证核对号码`,
    severity: 'error',
  };
}

function lengthOrCharsetProblem(code: string): IdentifierProblem | null {
  const chars = codeChars(code);
  if (chars.length !== 18) {
    return {
      code: 'resident-id-length',
      message: `${KIND}应为18位，实际为${chars.length}位，请对照身份证核对是否漏录或多录${lengthHint(code)}`,
      severity: 'error',
    };
  }
  const bad = chars.flatMap((ch, i) => (/[0-9]/.test(ch) || (i === 17 && ch === 'X') ? [] : [i]));
  if (bad.length > 0) {
    return {
      code: 'resident-id-charset',
      message:
        `${KIND}前17位只能是数字，第18位只能是数字或"X"，${describePositions(chars, bad)}不合规，` +
        '请对照身份证核对后更正',
      severity: 'error',
    };
  }
  return null;
}

/**
 * True when a normalized value is a resident ID number by its own checks: 18 characters passing every
 * check, or a 15-digit legacy number with a real birth date (a person's number all the same, only to be
 * converted). Used to recognise an ID typed where another code belongs, and to find IDs in free text.
 */
export function isResidentIdNumber(code: string, options: CheckResidentIdOptions = {}): boolean {
  if (RESIDENT_ID_SHAPE.test(code)) {
    // The check character first: ten in eleven long numbers that are no ID stop here, cheaply.
    if (residentIdCheckChar(code) !== code[17]) return false;
  } else if (!DIGITS_15.test(code)) return false;
  const problem = checkResidentId(code, options);
  return problem === null || problem.code === 'resident-id-legacy-15';
}

/**
 * Checks a normalized 居民身份证号码 (GB 11643-1999; also 港澳台居民居住证, which share the layout), in
 * this order: placeholder, 15-digit legacy number, length, character set, birth date, check character.
 * Returns the first problem, or null when the number is valid.
 */
export function checkResidentId(
  code: string,
  options: CheckResidentIdOptions = {},
): IdentifierProblem | null {
  const placeholder = checkPlaceholder(code, KIND);
  if (placeholder) return placeholder;
  const today = (options.today ?? todayInShanghai)();

  if (DIGITS_15.test(code)) {
    const fault = birthDateFault(`19${code.slice(6, 12)}`, today);
    if (fault) return birthDateProblem('（15位旧号码）第7–12位', fault);
    const converted = convertLegacyResidentId(code);
    return {
      code: 'resident-id-legacy-15',
      // The check character is named on its own: reports mask both numbers, and with the rule and it the
      // provider, who holds the full old number, can still write the new one.
      message:
        `${KIND}是15位旧号码，请换算为18位后报送：在第6位后补"19"，末尾加GB 11643校验码"${converted.slice(-1)}"，` +
        `换算结果为"${converted}"，请与身份证核对一致后使用`,
      severity: 'error',
    };
  }

  // Nearly every number has the right shape; only one that does not is split into characters to describe.
  if (!RESIDENT_ID_SHAPE.test(code)) {
    const shapeProblem = lengthOrCharsetProblem(code);
    if (shapeProblem) return shapeProblem;
  }

  const birth = code.slice(6, 14);
  const fault = birthDateFault(birth, today);
  if (fault) return birthDateProblem('第7–14位', fault);

  const expected = residentIdCheckChar(code);
  if (code[17] !== expected) {
    const excel = code.endsWith('000')
      ? '；如号码曾在Excel中按数字保存，第15位之后会变成0且无法恢复，请将单元格设为文本后重新录入'
      : '';
    return {
      code: 'resident-id-check-digit',
      message:
        `${KIND}校验码错误：第18位应为"${expected}"，实际为"${code[17]}"；` +
        `多为前17位中某一位录入错误，请对照身份证核对全部18位，不要只改校验码${excel}`,
      severity: 'error',
    };
  }
  return null;
}
