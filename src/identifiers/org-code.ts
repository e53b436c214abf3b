import {
  checkPlaceholder,
  codeChars,
  describePositions,
  type IdentifierProblem,
  lengthHint,
} from './identifier-problem.ts';

const KIND = '组织机构代码';
const WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;
const BODY_CHAR = /^[0-9A-Z]$/;
const CHECK_CHAR = /^[0-9X]$/;

// GB 11714: digits keep their value, letters count A=10 … Z=35.
function charValue(ch: string): number {
  const value = Number.parseInt(ch, 36);
  if (!BODY_CHAR.test(ch) || Number.isNaN(value)) {
    throw new RangeError(`not a GB 11714 body character: ${JSON.stringify(ch)}`);
  }
  return value;
}

const BODY_8 = /^[0-9A-Z]{8}$/;
/** The check character by `Σ value·weight mod 11`: c = 11 − remainder, 10 → 'X', 11 → '0'. */
const CHECK_BY_REMAINDER = ['0', 'X', '9', '8', '7', '6', '5', '4', '3', '2', '1'] as const;

/**
 * The check character of the 8 body characters at `start` of `text`, which the caller knows to be ASCII digits
 * and capitals (a USCC of the right shape carries its organization code at 8–15): read by char code, no copy.
 */
export function orgCodeCheckCharAt(text: string, start: number): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const ch = text.charCodeAt(start + i);
    sum += (ch <= 57 ? ch - 48 : ch - 55) * WEIGHTS[i]!; // '0'–'9' → 0–9, 'A'–'Z' → 10–35
  }
  return CHECK_BY_REMAINDER[sum % 11]!;
}

/**
 * The GB 11714 check character for the 8 body characters of an organization code:
 * `c = 11 − (Σ value·weight mod 11)`, 10 → 'X', 11 → '0'. Throws RangeError on malformed input.
 */
export function computeOrgCodeCheckChar(body8: string): string {
  if (BODY_8.test(body8)) return orgCodeCheckCharAt(body8, 0);
  const chars = codeChars(body8);
  if (chars.length !== 8) throw new RangeError(`expected 8 characters, got ${chars.length}`);
  const sum = chars.reduce((acc, ch, i) => acc + charValue(ch) * WEIGHTS[i]!, 0);
  return CHECK_BY_REMAINDER[sum % 11]!;
}

/**
 * Checks a normalized 9-character 组织机构代码 (GB 11714; the hyphen before the check character is
 * already removed by normalizeCode). Returns the first problem, or null when the code is valid.
 */
export function checkOrgCode(code: string): IdentifierProblem | null {
  const placeholder = checkPlaceholder(code, KIND);
  if (placeholder) return placeholder;

  const chars = codeChars(code);
  if (chars.length !== 9) {
    const usccHint =
      chars.length === 18
        ? '；如填写的是18位统一社会信用代码，其第9–17位才是组织机构代码，请核对应填内容'
        : '';
    return {
      code: 'org-code-length',
      message: `${KIND}应为9位（8位本体代码+1位校验码，可写作"XXXXXXXX-X"），实际为${chars.length}位${usccHint}${lengthHint(code)}`,
      severity: 'error',
    };
  }

  const bad = chars.flatMap((ch, i) => ((i < 8 ? BODY_CHAR : CHECK_CHAR).test(ch) ? [] : [i]));
  if (bad.length > 0) {
    return {
      code: 'org-code-charset',
      message:
        `${KIND}含有不允许的字符：${describePositions(chars, bad)}；前8位只能是数字或大写字母，` +
        '第9位校验码只能是数字或"X"，请对照证照核对后更正',
      severity: 'error',
    };
  }

  const expected = computeOrgCodeCheckChar(chars.slice(0, 8).join(''));
  if (chars[8] !== expected) {
    return {
      code: 'org-code-check-digit',
      message:
        `${KIND}校验码错误：第9位应为"${expected}"，实际为"${chars[8]}"；` +
        '通常是前8位中有录入错误，请对照证照核对全部9位，不要只改校验码',
      severity: 'error',
    };
  }
  return null;
}
