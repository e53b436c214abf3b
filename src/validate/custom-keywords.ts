import type { Ajv } from 'ajv';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import type { CodeList } from '../catalog/catalog-entry.ts';
import { isRealIsoDate } from '../normalize/parse-date.ts';

/** Annotation keywords: data about a field that validation does not check. */
export const ANNOTATIONS = ['x-aliases', 'x-key', 'x-personal', 'x-statusSignal'];

/**
 * Registers the catalog's `x-` keywords on an ajv instance. `notAfter`: the last day `x-notFuture` allows, asked
 * per value (the validator sets it per row: the day the platform received the row, never after today).
 */
export function addCatalogKeywords(ajv: Ajv, notAfter: () => string = todayInShanghai): void {
  for (const keyword of ANNOTATIONS) ajv.addKeyword({ keyword });
  ajv.addKeyword({ keyword: 'x-codeList', type: 'string', schemaType: 'object', compile: codeListCheck });
  ajv.addKeyword({
    keyword: 'x-notFuture',
    type: 'string',
    schemaType: 'boolean',
    compile: (enabled: boolean) => notFutureCheck(enabled, notAfter),
  });
  ajv.addKeyword({
    keyword: 'x-maxDecimals',
    type: 'number',
    schemaType: 'number',
    compile: maxDecimalsCheck,
  });
}

// The checks behind the keywords, shared with the specialised row check (fast-row-check.ts): one
// definition, so the fast path and ajv cannot disagree on what a keyword accepts.

/** `x-codeList`: the value (each value of a multiple list) is in the list, or a named other after its prefix. */
export function codeListCheck(codeList: CodeList): (data: string) => boolean {
  const allowed = new Set(codeList.values);
  const isAllowed = (value: string) =>
    allowed.has(value) ||
    (codeList.otherPrefix !== undefined &&
      value.startsWith(codeList.otherPrefix) &&
      value.length > codeList.otherPrefix.length);
  if (!codeList.multiple) return isAllowed;
  // Most cells of a multiple-value list hold one value: no array for it.
  return (data: string) => (data.includes(';') ? data.split(';').every(isAllowed) : isAllowed(data));
}

/**
 * `x-notFuture`: not after `notAfter()` — the day the platform received the row (Asia/Shanghai), today when that is
 * not known — compared as `YYYY-MM-DD` strings. Only real dates are compared; the format reports anything else, once.
 */
export function notFutureCheck(enabled: boolean, notAfter: () => string): (data: string) => boolean {
  return (data: string) => !enabled || !isRealIsoDate(data) || data <= notAfter();
}

/** `x-maxDecimals`: at most that many decimal places. */
export function maxDecimalsCheck(places: number): (data: number) => boolean {
  return (data: number) => decimalPlaces(data) <= places;
}

export function decimalPlaces(value: number): number {
  // Integers (most amounts) have none; String() of a large one is `1e+21`, whose exponent says the same.
  if (Number.isInteger(value)) return 0;
  const text = String(value);
  // Plain notation (every amount a person types): the digits after the point.
  const point = text.indexOf('.');
  if (point >= 0 && !text.includes('e')) return text.length - point - 1;
  const [mantissa = '', exponent = '0'] = text.split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}
