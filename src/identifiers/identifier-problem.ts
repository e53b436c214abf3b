/**
 * One problem found in an identifier. The caller prefixes the field name and the value, so `message`
 * names neither: it says what is wrong and what the provider should do.
 */
export interface IdentifierProblem {
  /** Stable kebab-case code, e.g. `uscc-check-digit`; reports and tests key on it. */
  code: string;
  /** Chinese, actionable, without the field name or the raw value. */
  message: string;
  severity: 'error' | 'warning';
  /**
   * The value is personal data although the field is not a personal one (a resident ID typed into a USCC
   * column): whoever prefixes the value to the message shows it masked.
   */
  personal?: true;
}

// Words providers type instead of leaving a code empty, compared after punctuation is removed and the
// value uppercased by normalizeCode ("N/A" → "NA", "（无）" → "无", "#N/A" → "NA").
const PLACEHOLDER_WORDS: ReadonlySet<string> = new Set([
  '无',
  '空',
  '暂无',
  '没有',
  '不详',
  '未知',
  '未提供',
  '缺失',
  '无代码',
  '无编码',
  '不适用',
  '略',
  'NULL',
  'NONE',
  'NIL',
  'NA',
  'NAN',
  'UNDEFINED',
]);

const PUNCTUATION_OR_SYMBOL = /[\p{P}\p{S}]/gu;
const ZEROS = /^0+X?$/;
const ASCII_ALPHANUMERIC = /^[0-9A-Za-z]*$/;

/**
 * True when a normalized code is a stand-in for "no code": blank, only punctuation (`/`, `-`, `——`),
 * a "none" word (`无`, `空`, `null`), or all zeros with an optional trailing X
 * (`000000000000000000` passes both USCC check characters, so only this rule catches it).
 */
export function isPlaceholderCode(code: string): boolean {
  // Letters and digits only (nearly every code): nothing to remove, so skip the Unicode-property regex.
  const bare = ASCII_ALPHANUMERIC.test(code) ? code : code.replace(PUNCTUATION_OR_SYMBOL, '');
  return bare === '' || ZEROS.test(bare) || PLACEHOLDER_WORDS.has(bare);
}

/** The `placeholder` problem for one kind of code, or null when the value is not a placeholder. */
export function checkPlaceholder(code: string, kindLabel: string): IdentifierProblem | null {
  if (!isPlaceholderCode(code)) return null;
  const message =
    code === ''
      ? `${kindLabel}为空（只有空格或不可见字符），请填写真实的${kindLabel}；确实没有时保持单元格为空`
      : `${kindLabel}填写的是占位值（如全0、"无"、"/"、"-"），不是真实代码，请填写真实的${kindLabel}；` +
        '确实没有时按目录要求保持单元格为空，并在相应字段提供其他证照号码';
  return { code: 'placeholder', message, severity: 'error' };
}

/** Splits into code points so positions match what a person counts on screen. */
export function codeChars(code: string): string[] {
  return Array.from(code);
}

// What Excel shows after storing a long code as a number, e.g. 9.13501E+17.
const EXCEL_SCIENTIFIC = /^\d(\.\d+)?E\+?\d+$/;

/** Extra advice for a length problem, when the value looks like what Excel did to a long number. */
export function lengthHint(code: string): string {
  if (EXCEL_SCIENTIFIC.test(code)) {
    return '；该值是Excel科学计数法，原代码已被截断、无法恢复，请将单元格设为文本格式后重新录入完整代码';
  }
  return '';
}

/** `第3位"I"、第5位"O"` — 1-based positions as a person counts them. */
export function describePositions(chars: readonly string[], positions: readonly number[]): string {
  return positions.map((i) => `第${i + 1}位"${chars[i]}"`).join('、');
}
