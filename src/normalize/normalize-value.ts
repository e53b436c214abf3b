import type { CodeList, FieldSchema } from '../catalog/catalog-entry.ts';
import { IDENTIFIER_KINDS } from '../identifiers/index.ts';
import { INVISIBLE_CHARACTERS, SHOWS_NOTHING } from '../identifiers/invisible-characters.ts';
import { normalizeCode } from '../identifiers/normalize-code.ts';
import { normalizeDocumentNumber } from './document-number.ts';
import { toIsoDate } from './parse-date.ts';

/** A normalized cell: text, a number, or absent (empty cells are absent, so `required` catches them). */
export type CellValue = string | number | undefined;
export type ValueNormalizer = (raw: string) => CellValue;

// Characters that show nothing and mean nothing in credit data (invisible-characters.ts). Kept, a decision number
// holding one would be another business key. NBSP and the ideographic space count as spaces.
const INVISIBLE = new RegExp(`[${INVISIBLE_CHARACTERS}]`, 'g');
const ODD_SPACES = /[\u00A0\u3000]/g;
const CODE_FORMATS = new Set<string>(IDENTIFIER_KINDS);
const LIST_SEPARATOR = /[;；]/;

// Either kind, tested once: most cells have neither, and then the two replaces would change nothing.
const INVISIBLE_OR_ODD_SPACE = new RegExp(`[${INVISIBLE_CHARACTERS}\\u00A0\\u3000]`);

export function cleanText(raw: string): string {
  if (!INVISIBLE_OR_ODD_SPACE.test(raw)) return raw.trim();
  return raw.replace(INVISIBLE, '').replace(ODD_SPACES, ' ').trim();
}

/** Builds the normalizer of one field once, so the per-row work is a single call. */
export function valueNormalizer(field: FieldSchema): ValueNormalizer {
  const codeList = field['x-codeList'];
  if (field.format && CODE_FORMATS.has(field.format)) return present(normalizeCode);
  // A decision number is stored in its one canonical form (〔〕, half-width), whichever channel typed it first.
  if (field['x-key'] === 'document-number') return present(normalizeDocumentNumber);
  if (field['x-personal']) return present(normalizeCode);
  if (field.format === 'cn-date') return present(remembered((text) => toIsoDate(text.normalize('NFKC'))));
  if (field.type === 'number') return present(toNumber);
  if (codeList) return present(remembered((text) => canonicalCodes(text.normalize('NFKC'), codeList)));
  return present((text) => text);
}

/**
 * A cell that shows nothing although it is not empty once cleaned: Hangul fillers (U+3164, U+FFA0), the Braille
 * blank (U+2800), control characters and the like, which web forms and copied documents leave where nothing was
 * typed. Absent, as an empty cell is, so that `required` catches it rather than a 当事人名称 of U+3164 being kept.
 * Most cells start with a visible character, where the test stops.
 */
const SHOWS_NOTHING_ONLY = new RegExp(`^[${SHOWS_NOTHING}]+$`, 'u');

function present(normalize: (text: string) => CellValue): ValueNormalizer {
  return (raw) => {
    const text = cleanText(raw);
    return text === '' || SHOWS_NOTHING_ONLY.test(text) ? undefined : normalize(text);
  };
}

/**
 * Dates and code-list values repeat from row to row (a few hundred distinct values in a million rows): the
 * normalized form of each is remembered rather than recomputed (NFKC and all). Forgets everything when full,
 * so a column of unexpectedly distinct values costs a little memory, never unbounded.
 */
const REMEMBERED_VALUES = 1000;

function remembered(normalize: (text: string) => string): (text: string) => string {
  const memo = new Map<string, string>();
  return (text) => {
    let value = memo.get(text);
    if (value === undefined) {
      value = normalize(text);
      if (memo.size >= REMEMBERED_VALUES) memo.clear();
      memo.set(text, value);
    }
    return value;
  };
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
// A plain ASCII decimal, as most amounts are: NFKC and the separator removal would leave it as it is.
const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

/**
 * `1,234.50` and full-width digits become numbers; anything else stays text for the validator to name. So does
 * a decimal with more significant digits than a number holds exactly (15): a 前置库 DECIMAL(20,6) is never
 * rounded unseen (the validator rejects it as `number-too-precise`).
 */
function toNumber(text: string): CellValue {
  if (PLAIN_DECIMAL.test(text)) return exactNumber(text);
  const compact = text.normalize('NFKC').replace(/[,\s]/g, '');
  return NUMERIC.test(compact) ? exactNumber(compact) : text;
}

const MAX_EXACT_DIGITS = 15;

function exactNumber(text: string): CellValue {
  // Most amounts are short: only a long one can hold more digits than a double keeps.
  if (text.length <= MAX_EXACT_DIGITS) return Number(text);
  const mantissa = text.replace(/e.*$/i, '').replace(/^[+-]/, '');
  const significant = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
  return significant > MAX_EXACT_DIGITS ? text : Number(text);
}

/** Old names become current ones (行政处罚法 2021 Art. 9); several values are kept in a canonical `;` list. */
function canonicalCodes(text: string, codeList: CodeList): string {
  if (!codeList.multiple) return canonicalCode(text.trim(), codeList);
  const values = text
    .split(LIST_SEPARATOR)
    .flatMap((value) => canonicalCode(value.trim(), codeList).split(LIST_SEPARATOR))
    .filter((value) => value !== '');
  return [...new Set(values)].join(';');
}

function canonicalCode(value: string, codeList: CodeList): string {
  return codeList.aliases?.[value] ?? value;
}
