import { maskTypedLookup } from '../log/mask-personal-data.ts';
import { isoDateProblem } from '../normalize/parse-date.ts';
import { ConsoleRequestError } from './request-error-text.ts';

/*
 * What the pages read from a path or query string, one rule each: an id, a date, a typed value that may hold a
 * person's number, and the 400 answer when one cannot be read.
 */

/**
 * A row id (`/runs/<id>`, `?before=`, `?run=`): 1 to 16 digits, no leading zero, and exact as a JavaScript
 * number. Anything else is no id — a page answers 404 or ignores it — rather than a query PostgreSQL refuses
 * (`99999999999999999999` is out of bigint's range: a 500 and an error in the log).
 */
export function idParam(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^[1-9]\d{0,15}$/.test(text)) return undefined;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : undefined;
}

/*
 * The query values below are read as text whatever they are: a parameter given twice (`?from=a&from=b`) comes as
 * an array.
 */

/** A control character (C0, DEL, C1): NUL, which PostgreSQL refuses in text, a line break that forges a log line. */
const CONTROL = /\p{Cc}/u;

/** True when a text holds a control character: no form of the console sends one (a NUL, a line break). */
export const holdsControl = (text: string): boolean => CONTROL.test(text);

/**
 * The one text a query or body value holds (`label` names it in Chinese: 查询内容, 管道), undefined when it is
 * absent. Anything else — the parameter given twice (an array), a JSON number or object, a control character
 * such as NUL — is no value a page of the console sends: a 400 saying so (the value not echoed), not a 500 from
 * `.trim` or from PostgreSQL (`invalid byte sequence for encoding "UTF8": 0x00`).
 */
export function textParam(value: unknown, label: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || holdsControl(value))
    throw badRequest(
      `${label}无法识别：只能填写一项文本，且不能含控制字符（如 NUL）。请从页面上的链接或表单重新提交。`,
    );
  return value;
}

/** A value someone typed, as a page may echo it: any number shaped like a resident ID masked. */
export const echoed = (text: unknown): string => maskTypedLookup(String(text ?? ''));

/** True when a typed value holds a number shaped like a resident ID: it must not be carried on into a link. */
export const holdsTypedId = (text: unknown): boolean => echoed(text) !== String(text ?? '');

/** The first year a day of the console may fall in: the earliest the warehouse's dates are read from (isoDateProblem). */
const FIRST_YEAR = 1900;

/**
 * Why a typed date (`label`: 起始日期, 截止日期) is not one the console reads, in Chinese, the value masked;
 * undefined when it is: `YYYY-MM-DD` naming a day that exists (not 2026-02-30, not month 13), from 1900 on (a
 * day before that exists, and is told so, not called invalid).
 */
export function dateProblem(label: string, text: unknown): string | undefined {
  if (typeof text === 'string' && !isoDateProblem(text)) return undefined;
  if (typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text) && Number(text.slice(0, 4)) < FIRST_YEAR)
    return `${label} ${text} 早于 ${FIRST_YEAR} 年：请填写 ${FIRST_YEAR}-01-01 及以后的日期`;
  return `${label} ${echoed(text)} 不是有效日期（请填写实际存在的日期，格式 YYYY-MM-DD）`;
}

/**
 * A day from a query string (`label` names it: 起始日期), the console's one reading of it: undefined when absent
 * or empty; a day dateProblem accepts; anything else a 400 saying why (the value masked), never a query that
 * PostgreSQL refuses (`date/time field value out of range`: a 500) nor a default put in its place unseen.
 */
export function dayParam(value: unknown, label: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const problem = dateProblem(label, value);
  if (problem) throw badRequest(problem);
  return value as string;
}

/**
 * A period from a query string (`from`, `to`, each read as dayParam reads it; `what` names the period: 分区日期):
 * a 400 when either is no day (`分区日期有误：起始日期 … 不是有效日期…`) or the first is after the last
 * (`… 起始日期 … 晚于截止日期 …`, as the quality bulletin says); an absent one undefined (the page's default).
 */
export function dayRange(
  query: { from?: unknown; to?: unknown },
  what: string,
): { from: string | undefined; to: string | undefined } {
  const given = (value: unknown) => value !== undefined && value !== '';
  const problem =
    (given(query.from) ? dateProblem('起始日期', query.from) : undefined) ??
    (given(query.to) ? dateProblem('截止日期', query.to) : undefined);
  if (problem) throw badRequest(`${what}有误：${problem}`);
  const from = given(query.from) ? (query.from as string) : undefined;
  const to = given(query.to) ? (query.to as string) : undefined;
  if (from && to && from > to) throw badRequest(`${what}有误：起始日期 ${from} 晚于截止日期 ${to}`);
  return { from, to };
}

/**
 * A request the page cannot read: the console's error handler answers 400 with this message (Chinese, nothing
 * of a person in it) on its page, and logs no error.
 */
export function badRequest(message: string): ConsoleRequestError {
  return new ConsoleRequestError(message, 400);
}
