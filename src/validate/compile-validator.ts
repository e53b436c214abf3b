import { Ajv2020 } from 'ajv/dist/2020.js';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { checkIdentifier, type IdentifierKind } from '../identifiers/index.ts';
import type { CellValue } from '../normalize/normalize-value.ts';
import { isRealIsoDate, todayInShanghai } from '../normalize/parse-date.ts';
import { compileCrossFieldRules } from './cross-field-rules.ts';
import { addCatalogKeywords } from './custom-keywords.ts';
import { describeAjvError } from './describe-ajv-error.ts';
import type { RowError } from './row-error.ts';

export type NormalizedRow = Record<string, CellValue>;
/** Validates one normalized row; returns every problem found (empty when the row is valid). */
export type RowValidator = (row: NormalizedRow) => RowError[];

export const IDENTIFIER_FORMATS: readonly IdentifierKind[] = [
  'uscc',
  'resident-id',
  'org-code',
  'business-reg-number',
];

export interface ValidatorOptions {
  /** Accept the legally issued pilot-era USCCs whose 18th character fails the check. */
  allowPilotCodes?: boolean;
  today?: () => string;
}

/** Compiles an entry's schema once; the returned function is called per row. */
export function compileValidator(entry: CatalogEntry, options: ValidatorOptions = {}): RowValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addCatalogKeywords(ajv, options.today ?? todayInShanghai);
  ajv.addFormat('cn-date', { type: 'string', validate: isRealIsoDate });
  for (const kind of IDENTIFIER_FORMATS) {
    ajv.addFormat(kind, {
      type: 'string',
      validate: (value: string) => isAcceptable(checkIdentifier(kind, value, options).problem),
    });
  }
  const validate = ajv.compile(entry.schema);
  const crossFieldRules = compileCrossFieldRules(entry, options);
  return (row) => {
    const errors: RowError[] = [];
    if (!validate(row)) {
      // ajv overwrites validate.errors on the next call: describe them now.
      for (const error of validate.errors ?? []) {
        const described = describeAjvError(entry, row, error, options);
        if (described) errors.push(described);
      }
    }
    for (const rule of crossFieldRules) rule(row, errors);
    return errors;
  };
}

function isAcceptable(problem: { severity: 'error' | 'warning' } | null): boolean {
  return problem === null || problem.severity === 'warning';
}
