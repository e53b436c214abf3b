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

export type NormalizedRow = Record<string, CellValue>;
/**
 * Validates one normalized row; returns every problem found (empty when the row is valid). Problems marked
 * `severity: 'warning'` do not make the row invalid.
 */
export type RowValidator = (row: NormalizedRow) => RowError[];

export interface ValidatorOptions {
  /**
   * Accept the legally issued pilot-era USCCs whose 18th character fails the check without a word. When
   * false (the default) such a row is still loaded, with a `uscc-pilot-check-digit` warning in its lineage.
   */
  allowPilotCodes?: boolean;
  today?: () => string;
}

/** Compiles an entry's schema once; the returned function is called per row. */
export function compileValidator(entry: CatalogEntry, options: ValidatorOptions = {}): RowValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addCatalogKeywords(ajv, options.today ?? todayInShanghai);
  ajv.addFormat('cn-date', { type: 'string', validate: isRealIsoDate });
  // Formats see only the value: warnings they pass are noted by value and tied to their field afterwards.
  const warned = new Map<string, IdentifierProblem>();
  for (const kind of IDENTIFIER_KINDS) {
    ajv.addFormat(kind, {
      type: 'string',
      validate: (value: string) => {
        const problem = identifierProblem(kind, value, options);
        if (problem?.severity === 'warning') warned.set(value, problem);
        return problem === null || problem.severity === 'warning';
      },
    });
  }
  const validate = ajv.compile(entry.schema);
  const crossFieldRules = compileCrossFieldRules(entry, options);
  const identifierFields = Object.entries(entry.schema.properties)
    .filter(([, field]) => IDENTIFIER_KINDS.includes(field.format as IdentifierKind))
    .map(([code, field]) => [code, field.title] as const);
  return (row) => {
    const errors: RowError[] = [];
    // Map.clear() allocates a fresh table even when empty, and nearly every row has no warning.
    if (warned.size > 0) warned.clear();
    if (!validate(row)) {
      // ajv overwrites validate.errors on the next call: describe them now.
      for (const error of validate.errors ?? []) {
        const described = describeAjvError(entry, row, error, options);
        if (described) errors.push(described);
      }
    }
    for (const rule of crossFieldRules) rule(row, errors);
    if (warned.size > 0) {
      for (const [field, title] of identifierFields) {
        const value = row[field];
        const problem = typeof value === 'string' ? warned.get(value) : undefined;
        if (!problem || typeof value !== 'string') continue;
        const message = `"${title}"的值"${value}"：${problem.message}`;
        errors.push({ field, code: problem.code, message, value, severity: 'warning' });
      }
    }
    return errors;
  };
}
