import { checkBusinessRegNumber } from './business-reg-number.ts';
import {
  checkPlaceholder,
  codeChars,
  describePositions,
  type IdentifierProblem,
  lengthHint,
} from './identifier-problem.ts';
import { orgCodeCheckCharAt } from './org-code.ts';
import { type CheckResidentIdOptions, isResidentIdNumber } from './resident-id.ts';
import categoriesJson from './uscc-categories.json' with { type: 'json' };
import pilotJson from './uscc-pilot-codes.json' with { type: 'json' };

const KIND = '统一社会信用代码';
/** GB 32100-2015 character set; a character's index is its value. I, O, Z, S, V are not used. */
export const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const EXCLUDED_LETTERS = new Set(['I', 'O', 'Z', 'S', 'V']);
const USCC_FIRST_17 = /^[0-9A-HJ-NP-RTUWXY]{17}$/;
/** 18 characters of the GB 32100 set: length and character set are right. */
const USCC_SHAPE = /^[0-9A-HJ-NP-RTUWXY]{18}$/;
/** Characters 3–8: the GB/T 2260 division code of the registering office, always 6 digits. */
const DIVISION_CODE = /^[0-9]{6}$/;
const DIGITS_15 = /^[0-9]{15}$/;

interface UsccAuthority {
  authority: string;
  categories: Readonly<Record<string, string>>;
}

const AUTHORITIES: Readonly<Record<string, UsccAuthority>> = categoriesJson.authorities;
const PILOT_CODES: ReadonlySet<string> = new Set(pilotJson.codes);

export interface CheckUsccOptions extends CheckResidentIdOptions {
  /** Accept the listed Fujian/Xiamen pilot-era codes silently instead of returning a warning. */
  allowPilotCodes?: boolean;
}

/**
 * The GB 32100-2015 18th character for the first 17 characters:
 * `c = 31 − (Σ value·weight mod 31)`, 31 → '0'. Throws RangeError on malformed input.
 */
export function computeUsccCheckChar(first17: string): string {
  if (USCC_FIRST_17.test(first17)) return usccCheckChar(first17);
  const chars = codeChars(first17);
  if (chars.length !== 17) throw new RangeError(`expected 17 characters, got ${chars.length}`);
  let sum = 0;
  chars.forEach((ch, i) => {
    const value = USCC_CHARSET.indexOf(ch);
    if (value < 0) throw new RangeError(`not a GB 32100 character: ${JSON.stringify(ch)}`);
    sum += value * WEIGHTS[i]!;
  });
  return USCC_CHARSET[(31 - (sum % 31)) % 31]!;
}

/** Each GB 32100 character's value, by char code (the others are never looked up). */
const VALUE_BY_CHAR_CODE = new Int8Array(128).fill(-1);
for (let i = 0; i < USCC_CHARSET.length; i++) VALUE_BY_CHAR_CODE[USCC_CHARSET.charCodeAt(i)] = i;

/** The 18th character for text whose first 17 characters the caller knows are of the GB 32100 set. */
function usccCheckChar(text: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += VALUE_BY_CHAR_CODE[text.charCodeAt(i)]! * WEIGHTS[i]!;
  return USCC_CHARSET[(31 - (sum % 31)) % 31]!;
}

/**
 * The registration authority (1st character) and institution category (2nd character) of a code, from
 * `uscc-categories.json`; undefined when either is not in the table. E.g. '92…' → 工商/市场监管, 个体工商户.
 */
export function usccCategory(code: string): { authority: string; category: string } | undefined {
  const [first, second] = codeChars(code);
  if (first === undefined || second === undefined) return undefined;
  const entry = AUTHORITIES[first];
  const category = entry?.categories[second];
  if (!entry || category === undefined) return undefined;
  return { authority: entry.authority, category };
}

function lengthProblem(chars: readonly string[], code: string): IdentifierProblem {
  let hint = '';
  if (chars.length === 9) hint = '；9位的可能是组织机构代码，请填写18位统一社会信用代码';
  else if (chars.length === 15) hint = '；15位的可能是工商注册号，请填写18位统一社会信用代码';
  return {
    code: 'uscc-length',
    message: `${KIND}应为18位，实际为${chars.length}位，请对照证照核对是否漏录或多录${hint}${lengthHint(code)}`,
    severity: 'error',
  };
}

function charsetProblem(chars: readonly string[]): IdentifierProblem | null {
  const excluded: number[] = [];
  const other: number[] = [];
  chars.forEach((ch, i) => {
    if (USCC_CHARSET.includes(ch)) return;
    (EXCLUDED_LETTERS.has(ch) ? excluded : other).push(i);
  });
  if (excluded.length === 0 && other.length === 0) return null;

  const parts: string[] = [];
  if (excluded.length > 0) {
    const typo = excluded.some((i) => chars[i] === 'I' || chars[i] === 'O')
      ? '，其中字母I、O常是数字1、0的误录'
      : '';
    parts.push(`${KIND}不使用字母I、O、Z、S、V，${describePositions(chars, excluded)}不合规${typo}`);
  }
  if (other.length > 0) {
    parts.push(
      `${describePositions(chars, other)}不是${KIND}允许的字符（只能是数字和除I、O、Z、S、V以外的大写字母）`,
    );
  }
  return {
    code: 'uscc-charset',
    message: `${parts.join('；')}；请对照营业执照等证照核对后更正`,
    severity: 'error',
  };
}

function categoryProblem(code: string): IdentifierProblem | null {
  const first = code[0] ?? '';
  const second = code[1] ?? '';
  const entry = AUTHORITIES[first];
  if (!entry) {
    return {
      code: 'uscc-category',
      message:
        `${KIND}第1位登记管理部门代码"${first}"不存在，应为${Object.keys(AUTHORITIES).join('、')}之一，` +
        '请对照证照核对',
      severity: 'error',
    };
  }
  if (entry.categories[second] === undefined) {
    const allowed = Object.entries(entry.categories)
      .map(([key, name]) => `${key}（${name}）`)
      .join('、');
    return {
      code: 'uscc-category',
      message:
        `${KIND}第2位机构类别代码"${second}"与第1位登记管理部门"${first}"（${entry.authority}）不匹配，` +
        `应为${allowed}之一，请对照证照核对`,
      severity: 'error',
    };
  }
  return null;
}

function divisionCodeProblem(code: string): IdentifierProblem | null {
  const division = code.slice(2, 8);
  if (DIVISION_CODE.test(division)) return null;
  const chars = codeChars(code);
  const notDigits = [2, 3, 4, 5, 6, 7].filter((i) => !/[0-9]/.test(chars[i] ?? ''));
  return {
    code: 'uscc-division-code',
    message:
      `${KIND}第3–8位是登记管理机关的行政区划代码（GB/T 2260，6位数字），本代码为"${division}"，` +
      `${describePositions(chars, notDigits)}不是数字；请对照营业执照等证照核对全部18位`,
    severity: 'error',
  };
}

/**
 * A resident ID number typed into a USCC column. The message names the value only masked: the caller
 * shows `value` masked when the problem is `personal` (an ID is personal data, a USCC never is).
 */
const RESIDENT_ID_IN_USCC: IdentifierProblem = {
  code: 'uscc-resident-id',
  message:
    `该值是居民身份证号码，不是${KIND}：相对人是自然人时，本列应为空，身份证号码填入"证件号码"列` +
    '（"证件类型"填"身份证"）；相对人是法人、非法人组织或个体工商户时，请填写其18位统一社会信用代码',
  severity: 'error',
  personal: true,
};

/** True when a code that failed as a USCC is a resident ID number (and not, at 15 digits, a 工商注册号). */
function isResidentIdInstead(code: string, options: CheckResidentIdOptions): boolean {
  if (DIGITS_15.test(code) && checkBusinessRegNumber(code) === null) return false;
  return isResidentIdNumber(code, options);
}

/**
 * Checks a normalized 统一社会信用代码 (GB 32100-2015), in this order: placeholder, length, character
 * set, authority/category table, division code (characters 3–8 are 6 digits), embedded GB 11714
 * organization code (characters 9–17), 18th character. Returns the first problem, or null when the code
 * is valid. A code that fails and is a valid resident ID number gets `uscc-resident-id` instead, so the
 * provider learns where the number belongs. Characters 3–8 (the division code when the code was issued)
 * are deliberately not checked against today's division list, only as digits.
 */
export function checkUscc(code: string, options: CheckUsccOptions = {}): IdentifierProblem | null {
  const problem = checkUsccLayout(code, options);
  if (problem?.severity === 'error' && problem.code !== 'placeholder' && isResidentIdInstead(code, options)) {
    return RESIDENT_ID_IN_USCC;
  }
  return problem;
}

function checkUsccLayout(code: string, options: CheckUsccOptions): IdentifierProblem | null {
  const placeholder = checkPlaceholder(code, KIND);
  if (placeholder) return placeholder;

  // Nearly every code has the right shape; only one that does not is split into characters to describe.
  if (!USCC_SHAPE.test(code)) {
    const chars = codeChars(code);
    if (chars.length !== 18) return lengthProblem(chars, code);
    const charset = charsetProblem(chars);
    if (charset) return charset;
  }
  // From here the code is 18 ASCII characters: string indices are positions.

  const category = categoryProblem(code);
  if (category) return category;
  const division = divisionCodeProblem(code);
  if (division) return division;

  const orgExpected = orgCodeCheckCharAt(code, 8);
  if (code[16] !== orgExpected) {
    return {
      code: 'uscc-org-code-check',
      message:
        `${KIND}第9–17位（组织机构代码部分）校验错误：第17位应为"${orgExpected}"，实际为"${code[16]}"；` +
        '通常是第9–16位中有录入错误，请对照证照核对',
      severity: 'error',
    };
  }

  const expected = usccCheckChar(code);
  if (code[17] === expected) return null;

  if (PILOT_CODES.has(code)) {
    if (options.allowPilotCodes) return null;
    return {
      code: 'uscc-pilot-check-digit',
      message:
        `${KIND}第18位不符合GB 32100-2015校验规则（按规则应为"${expected}"），但该代码属于早期试点期间` +
        '合法颁发的代码（已登记在试点代码名单中），请确认与证照一致后保留，无需更改',
      severity: 'warning',
    };
  }
  return {
    code: 'uscc-check-digit',
    message:
      `${KIND}校验位错误：第18位应为"${expected}"，实际为"${code[17]}"，请核对代码` +
      '（多为前17位中某一位录入错误，请对照证照核对全部18位，不要只改校验位）',
    severity: 'error',
  };
}
