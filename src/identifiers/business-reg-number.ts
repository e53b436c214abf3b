import {
  checkPlaceholder,
  codeChars,
  describePositions,
  type IdentifierProblem,
  lengthHint,
} from './identifier-problem.ts';

const KIND = '工商注册号';
const DIGIT = /^[0-9]$/;

/**
 * The ISO 7064 MOD 11,10 check digit (GS 15-2006) for the first 14 digits of a 工商注册号.
 * Throws RangeError on malformed input.
 */
export function computeBusinessRegCheckDigit(first14: string): string {
  const chars = codeChars(first14);
  if (chars.length !== 14 || !chars.every((ch) => DIGIT.test(ch))) {
    throw new RangeError(`expected 14 digits, got ${JSON.stringify(first14)}`);
  }
  let p = 10;
  for (const ch of chars) {
    const s = (Number(ch) + p) % 10;
    p = ((s === 0 ? 10 : s) * 2) % 11;
  }
  // The completed number must leave remainder 1: (p + check) mod 10 = 1.
  return String((11 - p) % 10);
}

/**
 * Checks a normalized 15-digit 工商注册号 (GS 15-2006, ISO 7064 MOD 11,10).
 * Returns the first problem, or null when the number is valid.
 */
export function checkBusinessRegNumber(code: string): IdentifierProblem | null {
  const placeholder = checkPlaceholder(code, KIND);
  if (placeholder) return placeholder;

  const chars = codeChars(code);
  if (chars.length !== 15) {
    const usccHint =
      chars.length === 18 ? '；18位的可能是统一社会信用代码，已有统一社会信用代码时请按其填写要求报送' : '';
    return {
      code: 'business-reg-number-length',
      message: `${KIND}应为15位数字，实际为${chars.length}位，请对照营业执照核对${usccHint}${lengthHint(code)}`,
      severity: 'error',
    };
  }

  const bad = chars.flatMap((ch, i) => (DIGIT.test(ch) ? [] : [i]));
  if (bad.length > 0) {
    return {
      code: 'business-reg-number-charset',
      message: `${KIND}只能由数字组成，${describePositions(chars, bad)}不是数字，请对照营业执照核对后更正`,
      severity: 'error',
    };
  }

  const expected = computeBusinessRegCheckDigit(chars.slice(0, 14).join(''));
  if (chars[14] !== expected) {
    return {
      code: 'business-reg-number-check-digit',
      message:
        `${KIND}校验位错误：第15位应为"${expected}"，实际为"${chars[14]}"；` +
        '多为前14位中某一位录入错误，请对照营业执照核对全部15位，不要只改校验位',
      severity: 'error',
    };
  }
  return null;
}
