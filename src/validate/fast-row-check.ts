import type { CatalogEntry, FieldSchema } from '../catalog/catalog-entry.ts';
import type { NormalizedRow } from './compile-validator.ts';
import { ANNOTATIONS, codeListCheck, maxDecimalsCheck, notFutureCheck } from './custom-keywords.ts';

/** Says whether ajv would find nothing wrong with a row; never why (ajv does that, for the rows that fail). */
export type FastRowCheck = (row: NormalizedRow) => boolean;

/** Keywords of a field that check nothing. */
const QUIET = new Set(['title', 'description', ...ANNOTATIONS]);
const ROOT_KEYWORDS = new Set(['$schema', 'type', 'properties', 'required', 'allOf', 'title', 'description']);
const FIELD_KEYWORDS = new Set([
  ...QUIET,
  'type',
  'format',
  'maxLength',
  'minimum',
  'x-codeList',
  'x-notFuture',
  'x-maxDecimals',
]);

/**
 * The entry's schema as one specialised function, generated once per entry (issue #17): the common case — a row
 * ajv accepts — answered by straight-line code with no error bookkeeping. It is conservative by construction:
 * it answers `true` only when every check ajv would run passes, and `false` on anything else, including what
 * it does not model exactly (a text longer than `maxLength` in UTF-16 units may still fit in code points):
 * the validator then asks ajv, whose errors give the codes and messages, so those never differ from before.
 * The keyword checks and formats are the very functions registered on ajv (custom-keywords.ts), so that a
 * format with a side effect (an identifier's warning) sees the same values. Returns `undefined` for a schema
 * that uses anything it does not know: such an entry is validated by ajv alone.
 */
export function compileFastRowCheck(
  entry: CatalogEntry,
  formats: ReadonlyMap<string, (value: string) => boolean>,
  notAfter: () => string,
): FastRowCheck | undefined {
  const schema = entry.schema as unknown as Record<string, unknown>;
  if (Object.keys(schema).some((keyword) => !ROOT_KEYWORDS.has(keyword))) return undefined;
  if (schema.type !== 'object') return undefined;
  const checks: ((value: never) => boolean)[] = [];
  const use = (check: (value: never) => boolean) => `c[${checks.push(check) - 1}]`;
  const at = (field: string) => `row[${JSON.stringify(field)}]`;
  const lines: string[] = ['let v;'];
  for (const [code, field] of Object.entries(entry.schema.properties)) {
    const body = fieldCode(field, formats, notAfter, use);
    if (body === undefined) return undefined;
    if (body.length > 0) lines.push(`v = ${at(code)};`, `if (v !== undefined) {`, ...body, '}');
  }
  for (const code of (schema.required as string[] | undefined) ?? []) {
    lines.push(`if (${at(code)} === undefined) return false;`);
  }
  for (const branch of (schema.allOf as unknown[] | undefined) ?? []) {
    const code = conditionalCode(branch, at);
    if (code === undefined) return undefined;
    lines.push(code);
  }
  lines.push('return true;');
  // The generated code reaches the checks as `c` (the array above), the row as `row`.
  const parameter = 'c';
  const build = new Function(parameter, `return function fastRowCheck(row) {\n${lines.join('\n')}\n};`);
  return build(checks) as FastRowCheck;
}

/** One field's checks, in the order ajv groups them: type first, then the keywords of that type. */
function fieldCode(
  field: FieldSchema,
  formats: ReadonlyMap<string, (value: string) => boolean>,
  notAfter: () => string,
  use: (check: (value: never) => boolean) => string,
): string[] | undefined {
  const keywords = field as unknown as Record<string, unknown>;
  if (Object.keys(keywords).some((keyword) => !FIELD_KEYWORDS.has(keyword))) return undefined;
  const body: string[] = [];
  if (field.type === 'string') {
    body.push(`if (typeof v !== 'string') return false;`);
    if (keywords.maxLength !== undefined) {
      if (!Number.isInteger(keywords.maxLength)) return undefined;
      // UTF-16 units ≥ code points (ajv's count): within the limit in units is within it in code points.
      body.push(`if (v.length > ${keywords.maxLength}) return false;`);
    }
    if (field.format !== undefined) {
      const format = formats.get(field.format);
      if (!format) return undefined;
      body.push(`if (!${use(format as (value: never) => boolean)}(v)) return false;`);
    }
    if (field['x-codeList']) body.push(`if (!${use(codeListCheck(field['x-codeList']))}(v)) return false;`);
    if (field['x-notFuture'] !== undefined) {
      body.push(`if (!${use(notFutureCheck(field['x-notFuture'], notAfter))}(v)) return false;`);
    }
    if (keywords.minimum !== undefined || field['x-maxDecimals'] !== undefined) return undefined;
  } else if (field.type === 'number') {
    // Not a finite number is left to ajv (strict numbers): the fast path only vouches for what it is sure of.
    body.push(`if (typeof v !== 'number' || !Number.isFinite(v)) return false;`);
    if (keywords.minimum !== undefined) {
      if (typeof keywords.minimum !== 'number' || !Number.isFinite(keywords.minimum)) return undefined;
      body.push(`if (v < ${keywords.minimum}) return false;`);
    }
    if (field['x-maxDecimals'] !== undefined) {
      body.push(`if (!${use(maxDecimalsCheck(field['x-maxDecimals']))}(v)) return false;`);
    }
    const stringOnly = ['maxLength', 'format', 'x-codeList', 'x-notFuture'];
    if (stringOnly.some((keyword) => keywords[keyword] !== undefined)) return undefined;
  } else {
    return undefined;
  }
  return body;
}

/**
 * `allOf: [{ if: { properties: { f: { const } }, required: [f] }, then: { required: [...] } }]` — the catalog's
 * one conditional form (a field required for one subject type). Anything else is left to ajv.
 */
function conditionalCode(branch: unknown, at: (field: string) => string): string | undefined {
  if (!isObject(branch) || !onlyKeys(branch, ['if', 'then'])) return undefined;
  const { if: condition, then } = branch;
  if (!isObject(condition) || !onlyKeys(condition, ['properties', 'required'])) return undefined;
  if (!isObject(then) || !onlyKeys(then, ['required']) || !isStringArray(then.required)) return undefined;
  const tests: string[] = [];
  const properties = condition.properties ?? {};
  if (!isObject(properties)) return undefined;
  for (const [field, test] of Object.entries(properties)) {
    if (!isObject(test) || !onlyKeys(test, ['const'])) return undefined;
    const value = test.const;
    if (typeof value !== 'string' && typeof value !== 'boolean' && !Number.isFinite(value)) return undefined;
    // An absent property passes `properties`; `required` is what makes the condition need it.
    tests.push(`(${at(field)} === undefined || ${at(field)} === ${JSON.stringify(value)})`);
  }
  const required = condition.required ?? [];
  if (!isStringArray(required)) return undefined;
  for (const field of required) tests.push(`${at(field)} !== undefined`);
  const needs = then.required.map((field) => `${at(field)} === undefined`);
  if (needs.length === 0) return '';
  const when = tests.length > 0 ? tests.join(' && ') : 'true';
  return `if (${when} && (${needs.join(' || ')})) return false;`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const onlyKeys = (value: Record<string, unknown>, keys: string[]) =>
  Object.keys(value).every((key) => keys.includes(key));
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
