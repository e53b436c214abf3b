import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntry, FieldSchema } from '../catalog/catalog-entry.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { matchHeaders } from '../catalog/match-headers.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { valueNormalizer } from '../normalize/normalize-value.ts';
import {
  compileSchemaChecks,
  compileValidator,
  type NormalizedRow,
  type ValidatorOptions,
} from './compile-validator.ts';
import { compileFastRowCheck } from './fast-row-check.ts';

// The specialised row check against ajv alone, on every catalog entry: the real fixture rows (good and bad),
// and each of them with every field replaced by values that hit each keyword (type, maxLength, formats,
// x-codeList, x-notFuture, x-maxDecimals, minimum, required and the conditional requirements). Same errors —
// codes, messages, values, warnings — with and without the fast path.
const TODAY = '2026-11-20';
let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
});

/** The current-layout fixture rows of an entry, normalized as the runner does. */
function fixtureRows(entry: CatalogEntry): NormalizedRow[] {
  const dir = path.join(PROJECT_ROOT, 'fixtures', entry.code);
  const rows: NormalizedRow[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('legacy')) continue;
    const file = path.join(dir, name, 'input.csv');
    let text: string;
    try {
      text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    } catch {
      continue; // not a CSV case (a workbook, or another encoding): the CSV cases are enough rows
    }
    const [header = [], ...cells] = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
    const { columns } = matchHeaders(entry, header);
    for (const line of cells) {
      const row: NormalizedRow = {};
      columns.forEach((code, i) => {
        const field = code === undefined ? undefined : entry.schema.properties[code];
        if (!code || !field) return;
        const value = valueNormalizer(field)(line[i] ?? '');
        if (value !== undefined) row[code] = value;
      });
      rows.push(row);
    }
  }
  return rows;
}

/** Values that exercise each keyword of a field, at and past its limits. */
function probes(field: FieldSchema): unknown[] {
  const values: unknown[] = [undefined, '', 0, 'x', 12.5, Number.NaN];
  if (field.maxLength !== undefined) {
    const max = Number(field.maxLength);
    // An astral character is two UTF-16 units and one code point (ajv counts code points).
    values.push('字'.repeat(max), '字'.repeat(max + 1), '𠀀'.repeat(max), '𠀀'.repeat(max + 1));
  }
  if (field.format === 'cn-date')
    values.push('2026-02-30', '2026-11-20', '2026-11-21', '2099-01-01', '1999-01-01');
  if (field.format !== undefined && field.format !== 'cn-date') {
    values.push('91350100M000100Y43', '91350100M000100Y44', '110101199003074514', '00000000000000000X');
    values.push('12345678-9', '123456789012345', 'MA1234567');
  }
  const codeList = field['x-codeList'];
  if (codeList) {
    values.push(codeList.values[0], codeList.values.at(-1), '不在表中');
    values.push(
      `${codeList.values[0]};${codeList.values[1] ?? '不在表中'}`,
      `${codeList.values[0]};不在表中`,
    );
    if (codeList.otherPrefix) values.push(codeList.otherPrefix, `${codeList.otherPrefix}军官证`);
  }
  if (field.type === 'number') {
    values.push(-1, -0.01, 1e21, 33.9683, 1.123456789, Number.POSITIVE_INFINITY, '100');
  }
  return values;
}

/** The conditions' values (subject types): a row switched to each type must meet that type's requirements. */
function conditionValues(entry: CatalogEntry): [string, unknown][] {
  const allOf = (entry.schema.allOf ?? []) as { if?: { properties?: Record<string, { const?: unknown }> } }[];
  return allOf.flatMap((branch) =>
    Object.entries(branch.if?.properties ?? {}).map(
      ([field, test]) => [field, test.const] as [string, unknown],
    ),
  );
}

describe.each([{}, { allowPilotCodes: true }] as ValidatorOptions[])(
  'fast path with options %j',
  (options) => {
    it('gives every entry exactly the errors ajv alone gives, on real and mutated rows', () => {
      let compared = 0;
      let clearedFast = 0;
      let leftToAjv = 0;
      let astralFallbacks = 0;
      for (const entry of catalog.entries.filter((e) => !e.legacyLayout)) {
        const withOptions = { today: () => TODAY, ...options };
        const fast = compileValidator(entry, withOptions);
        const reference = compileValidator(entry, withOptions, { fastPath: false });
        const ajvOnly = compileFastRowCheck(entry, new Map(), () => TODAY);
        expect(
          ajvOnly,
          `${entry.code} v${entry.version}: a format the check cannot find is ajv's`,
        ).toBeUndefined();
        const { validate, accepts } = compileSchemaChecks(entry, withOptions);
        if (!accepts)
          throw new Error(`${entry.code} v${entry.version}: every catalog entry has a fast check`);
        const rows = fixtureRows(entry);
        const compare = (row: NormalizedRow) => {
          expect(fast(row)).toEqual(reference(row));
          const cleared = accepts(row);
          const referenceAccepts = validate(row);
          // The fast path clears only rows ajv accepts; it may leave an accepted row to ajv, never the reverse.
          if (cleared) expect(referenceAccepts).toBe(true);
          if (cleared) clearedFast++;
          else leftToAjv++;
          if (!cleared && referenceAccepts) astralFallbacks++;
          compared++;
        };
        for (const row of rows) {
          compare(row);
          for (const [code, field] of Object.entries(entry.schema.properties)) {
            for (const value of probes(field)) {
              const mutated = { ...row };
              if (value === undefined) delete mutated[code];
              else mutated[code] = value as string;
              compare(mutated);
            }
          }
          for (const [field, value] of conditionValues(entry)) compare({ ...row, [field]: value as string });
        }
      }
      // Both paths really ran, and the only accepted rows left to ajv are the ones it cannot vouch for cheaply.
      expect(compared).toBeGreaterThan(5000);
      expect(clearedFast).toBeGreaterThan(500);
      expect(leftToAjv).toBeGreaterThan(1000);
      expect(astralFallbacks).toBeGreaterThan(0);
    });
  },
);
