import { Ajv2020 } from 'ajv/dist/2020.js';
import type { RowError } from '../../connectors/row-error.ts';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import {
  IDENTIFIER_KINDS,
  type IdentifierKind,
  type IdentifierProblem,
  identifierProblem,
} from '../identifiers/index.ts';
import type { CellValue } from '../normalize/normalize-value.ts';
import { isRealIsoDate } from '../normalize/parse-date.ts';
import { compileCrossFieldRules } from './cross-field-rules.ts';
import { addCatalogKeywords } from './custom-keywords.ts';
import { describeAjvError } from './describe-ajv-error.ts';
import { compileFastRowCheck } from './fast-row-check.ts';
import { quoteValue, type RawCell } from './quote-value.ts';

export type { RawCell } from './quote-value.ts';

export type NormalizedRow = Record<string, CellValue>;
/**
 * Validates one normalized row; returns every problem found (empty when the row is valid). Problems marked
 * `severity: 'warning'` do not make the row invalid. Messages quote a value as `rawCell` gives the provider's cell
 * (asked only for a problem, never for a valid row), else as normalized; each error's `value` is the normalized one.
 * `receivedDay` (`YYYY-MM-DD`, Asia/Shanghai): the day the platform received the row (its unit's, or its own
 * time's): a date the catalog marks `x-notFuture` may not be after it (`date-in-future`), nor after today; without
 * it (a correction typed by an officer), not after today.
 */
export type RowValidator = (row: NormalizedRow, rawCell?: RawCell, receivedDay?: string) => RowError[];

/** The last day `x-notFuture` allows for the row being validated, and whether it is the row's received day. */
export interface NotAfter {
  day: string;
  received: boolean;
}

export interface ValidatorOptions {
  /**
   * Accept the legally issued pilot-era USCCs whose 18th character fails the check without a word. When
   * false (the default) such a row is still loaded, with a `uscc-pilot-check-digit` warning in its lineage.
   */
  allowPilotCodes?: boolean;
  /** Today (Asia/Shanghai), `YYYY-MM-DD`: a received day after it (a clock ahead) counts as today. */
  today?: () => string;
}

/**
 * Compiles an entry's schema once; the returned function is called per row. `fastPath: false` validates every
 * row with ajv alone: the reference the specialised check is tested against (fast-row-check.test.ts).
 */
export function compileValidator(
  entry: CatalogEntry,
  options: ValidatorOptions = {},
  { fastPath = true }: { fastPath?: boolean } = {},
): RowValidator {
  return validatorAsOf(compileDayValidator(entry, options, { fastPath }), options.today);
}

/**
 * A row validator judging by the day `today` gives per row (the clock's by default: todayInShanghai keeps the day,
 * no Date), over a day validator compiled without it: one compiled entry serves every today (compiled-entry.ts).
 */
export function validatorAsOf(check: DayValidator, today: () => string = todayInShanghai): RowValidator {
  return (row, rawCell, receivedDay) => check(row, rawCell, receivedDay, today());
}

/** A {@link RowValidator} told today (`YYYY-MM-DD`, Asia/Shanghai) with each row, rather than when compiled. */
export type DayValidator = (
  row: NormalizedRow,
  rawCell: RawCell | undefined,
  receivedDay: string | undefined,
  today: string,
) => RowError[];

/**
 * The compiled checks of an entry, independent of the day: every check that reads today (x-notFuture, a birth
 * date in an identifier, in ajv, the specialised check, the cross-field rules and the messages) reads the day
 * the row was given with. `options.today` is not used.
 */
export function compileDayValidator(
  entry: CatalogEntry,
  options: ValidatorOptions = {},
  { fastPath = true }: { fastPath?: boolean } = {},
): DayValidator {
  // Set per row before the checks read them: no allocation, a string compare (the checks run synchronously).
  const notAfter: NotAfter = { day: '', received: false };
  const day = { today: '' };
  const dayOptions: ValidatorOptions = { ...options, today: () => day.today };
  const { validate, accepts: fast, warned } = compileSchemaChecks(entry, dayOptions, () => notAfter.day);
  // Most rows are valid: a specialised check clears them without ajv's error bookkeeping; a row it does not
  // clear goes to ajv, whose errors give the codes and messages (fast-row-check.ts).
  const accepts = fastPath ? fast : undefined;
  const crossFieldRules = compileCrossFieldRules(entry, dayOptions);
  const identifierFields = Object.entries(entry.schema.properties)
    .filter(([, field]) => IDENTIFIER_KINDS.includes(field.format as IdentifierKind))
    .map(([code, field]) => [code, field.title] as const);
  return (row, rawCell, receivedDay, today) => {
    day.today = today;
    notAfter.received = receivedDay !== undefined && receivedDay <= today;
    notAfter.day = notAfter.received ? (receivedDay as string) : today;
    const errors: RowError[] = [];
    // Map.clear() allocates a fresh table even when empty, and nearly every row has no warning.
    if (warned.size > 0) warned.clear();
    if (!accepts?.(row) && !validate(row)) {
      // ajv overwrites validate.errors on the next call: describe them now.
      for (const error of validate.errors ?? []) {
        const described = describeAjvError(entry, row, error, dayOptions, notAfter, rawCell);
        if (described) errors.push(described);
      }
    }
    for (const rule of crossFieldRules) rule(row, errors, rawCell);
    if (warned.size > 0) {
      for (const [field, title] of identifierFields) {
        const value = row[field];
        const problem = typeof value === 'string' ? warned.get(value) : undefined;
        if (!problem || typeof value !== 'string') continue;
        const message = `"${title}"的值${quoteValue(value, rawCell?.(field))}：${problem.message}`;
        errors.push({ field, code: problem.code, message, value, severity: 'warning' });
      }
    }
    return errors;
  };
}

/**
 * The schema's two checks over the same formats and keywords: ajv (`validate`, with its errors) and the
 * specialised check (`accepts`; undefined for a schema it does not model), and the identifier warnings that
 * the formats note by value while either runs. `notAfter`: the last day `x-notFuture` allows, read per value.
 */
export function compileSchemaChecks(
  entry: CatalogEntry,
  options: ValidatorOptions = {},
  notAfter: () => string = options.today ?? todayInShanghai,
) {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addCatalogKeywords(ajv, notAfter);
  // Formats see only the value: warnings they pass are noted by value and tied to their field afterwards.
  const warned = new Map<string, IdentifierProblem>();
  const formats = new Map<string, (value: string) => boolean>([['cn-date', isRealIsoDate]]);
  for (const kind of IDENTIFIER_KINDS) {
    formats.set(kind, (value: string) => {
      const problem = identifierProblem(kind, value, options);
      if (problem?.severity === 'warning') warned.set(value, problem);
      return problem === null || problem.severity === 'warning';
    });
  }
  for (const [name, validate] of formats) ajv.addFormat(name, { type: 'string', validate });
  return {
    validate: ajv.compile(entry.schema),
    accepts: compileFastRowCheck(entry, formats, notAfter),
    warned,
  };
}
