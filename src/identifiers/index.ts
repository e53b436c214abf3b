import { checkBusinessRegNumber } from './business-reg-number.ts';
import type { IdentifierProblem } from './identifier-problem.ts';
import { normalizeCode } from './normalize-code.ts';
import { checkOrgCode } from './org-code.ts';
import { type CheckResidentIdOptions, checkResidentId } from './resident-id.ts';
import { type CheckUsccOptions, checkUscc } from './uscc.ts';

export { checkBusinessRegNumber, computeBusinessRegCheckDigit } from './business-reg-number.ts';
export { type IdentifierProblem, isPlaceholderCode } from './identifier-problem.ts';
export { normalizeCode } from './normalize-code.ts';
export { checkOrgCode, computeOrgCodeCheckChar } from './org-code.ts';
export {
  type CheckResidentIdOptions,
  checkResidentId,
  computeResidentIdCheckChar,
  convertLegacyResidentId,
  isResidentIdNumber,
  maskResidentId,
} from './resident-id.ts';
export { shownCode } from './shown-code.ts';
export {
  type CheckUsccOptions,
  checkUscc,
  computeUsccCheckChar,
  USCC_CHARSET,
  usccCategory,
} from './uscc.ts';

/** The identifier kinds with a check; the same names are the custom ajv formats of catalog entries. */
export const IDENTIFIER_KINDS = ['uscc', 'resident-id', 'org-code', 'business-reg-number'] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export type CheckIdentifierOptions = CheckUsccOptions & CheckResidentIdOptions;

export interface IdentifierCheckResult {
  /** The value after normalizeCode: what should be stored when there is no error. */
  normalized: string;
  problem: IdentifierProblem | null;
}

/** Normalizes a raw value as typed by a provider, then checks it as the given kind of identifier. */
export function checkIdentifier(
  kind: IdentifierKind,
  raw: string,
  options: CheckIdentifierOptions = {},
): IdentifierCheckResult {
  const normalized = normalizeCode(raw);
  return { normalized, problem: checkNormalizedIdentifier(kind, normalized, options) };
}

/** checkIdentifier's problem alone, without a result object: the validator asks per value of every row. */
export function identifierProblem(
  kind: IdentifierKind,
  raw: string,
  options: CheckIdentifierOptions = {},
): IdentifierProblem | null {
  return checkNormalizedIdentifier(kind, normalizeCode(raw), options);
}

function checkNormalizedIdentifier(
  kind: IdentifierKind,
  normalized: string,
  options: CheckIdentifierOptions,
): IdentifierProblem | null {
  switch (kind) {
    case 'uscc':
      return checkUscc(normalized, options);
    case 'resident-id':
      return checkResidentId(normalized, options);
    case 'org-code':
      return checkOrgCode(normalized);
    case 'business-reg-number':
      return checkBusinessRegNumber(normalized);
  }
}
