import { readFileSync } from 'node:fs';
import type { Lookups } from '../normalize/derive-legacy-row.ts';
import { UsageError } from './exit-codes.ts';

/**
 * `ingest --lookups <file>`: the tables a legacy layout's `lookup` derivations read, as a pipeline's `lookups`
 * (`{"authorityCodes": {"济南市市场监督管理局": "11370100…"}}`).
 */
export function readLookupsFile(file: string): Lookups {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read the lookups file ${file}: ${(error as Error).message}`);
  }
  const isTable = (value: unknown) =>
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((entry) => typeof entry === 'string');
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every(isTable)
  ) {
    throw new UsageError(
      `the lookups file ${file} must be {"<table>": {"<value>": "<derived value>"}}, e.g. {"authorityCodes": {"济南市市场监督管理局": "11370100…"}}`,
    );
  }
  return parsed as Lookups;
}
