import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type CatalogEntry, fieldCodes, ruleFields, subjectCodeFields } from './catalog-entry.ts';
import { entryShapeProblems } from './entry-shape.ts';

export class CatalogError extends Error {
  override readonly name = 'CatalogError';
}

/** The catalog: every version of every entry found in the catalog directory. */
export interface Catalog {
  readonly entries: readonly CatalogEntry[];
  /** The version in force on `onDate` (YYYY-MM-DD), by code or Chinese title. Throws a CatalogError naming the fix. */
  resolve(codeOrTitle: string, onDate: string): CatalogEntry;
}

export const META_SCHEMA_FILE = 'catalog.schema.json';
export const ENTRY_FILE = /^([a-z0-9_-]+)\.v(\d+)\.json$/;

/** A JSON file of the catalog directory named as no entry is (`Xzcf.v4.json`): it would never be read. */
export function entryFileNameProblem(name: string): string | undefined {
  if (!name.endsWith('.json') || name === META_SCHEMA_FILE || ENTRY_FILE.test(name)) return undefined;
  return 'file name must be <code>.v<version>.json, e.g. xzcf.v2.json';
}

/**
 * Loads every entry version of the catalog directory, refusing (CatalogError, exit 2, naming the file and the
 * problem) what `catalog lint` calls an error and the engine would otherwise read silently wrong: a JSON file named
 * as no entry, a file off the meta-schema or under another entry's name, a field reference to no field
 * (fieldReferenceProblems), and across files (crossFileProblems) versions out of date order, a title of two
 * entries, a business key that changes between versions. The row schema's compilation is the validator's own.
 */
export async function loadCatalog(directory: string): Promise<Catalog> {
  let names: string[];
  try {
    const all = await readdir(directory);
    const misnamed = all.filter((name) => entryFileNameProblem(name) !== undefined);
    if (misnamed.length > 0) {
      throw new CatalogError(
        `catalog file ${path.join(directory, misnamed[0]!)} is not read: ${entryFileNameProblem(misnamed[0]!)}: rename it or move it out of the catalog directory`,
      );
    }
    names = all.filter((name) => ENTRY_FILE.test(name)).sort();
  } catch (error) {
    if (error instanceof CatalogError) throw error;
    throw new CatalogError(`cannot read the catalog directory ${directory}: ${(error as Error).message}`);
  }
  const entries: CatalogEntry[] = [];
  for (const name of names) {
    const file = path.join(directory, name);
    let entry: CatalogEntry;
    try {
      entry = JSON.parse(await readFile(file, 'utf8')) as CatalogEntry;
    } catch (error) {
      throw new CatalogError(`catalog file ${file} is not valid JSON: ${(error as Error).message}`);
    }
    const shape = entryShapeProblems(entry);
    if (shape.length > 0) {
      throw new CatalogError(
        `catalog file ${file} does not match the catalog meta-schema (${shape.slice(0, 3).join('; ')}): run \`credit-etl catalog lint\``,
      );
    }
    const [, code, version] = ENTRY_FILE.exec(name) ?? [];
    if (entry.code !== code || String(entry.version) !== version) {
      throw new CatalogError(
        `catalog file ${file} holds entry ${entry.code} v${entry.version}: rename it ${entry.code}.v${entry.version}.json`,
      );
    }
    const references = fieldReferenceProblems(entry);
    if (references.length > 0) {
      throw new CatalogError(
        `catalog file ${file}: ${references.slice(0, 3).join('; ')}: run \`credit-etl catalog lint\``,
      );
    }
    entries.push(entry);
  }
  const across = crossFileProblems(entries);
  if (across.length > 0) {
    throw new CatalogError(
      `catalog file ${path.join(directory, across[0]!.file)}: ${across
        .slice(0, 3)
        .map((problem) =>
          problem.file === across[0]!.file ? problem.message : `${problem.file}: ${problem.message}`,
        )
        .join('; ')}: run \`credit-etl catalog lint\``,
    );
  }
  return createCatalog(entries);
}

/**
 * The fields an entry's parts name, each in its schema (`catalog lint` reports the same): the business key, the
 * subject code fields, the formation date field (a cn-date) — which the loader keys, files and times every row by —
 * `schema.required` and the cross-field rules.
 */
export function fieldReferenceProblems(entry: CatalogEntry): string[] {
  const problems: string[] = [];
  const fields = new Set(fieldCodes(entry));
  const mustExist = (where: string, field: string) => {
    if (!fields.has(field)) problems.push(`${where} names field ${field}, which is not in schema.properties`);
  };
  for (const field of entry.businessKey) mustExist('businessKey', field);
  for (const field of subjectCodeFields(entry)) mustExist('subjectCodeField', field);
  mustExist('formationDateField', entry.formationDateField);
  if (
    fields.has(entry.formationDateField) &&
    entry.schema.properties[entry.formationDateField]?.format !== 'cn-date'
  ) {
    problems.push(`formationDateField ${entry.formationDateField} must have format cn-date`);
  }
  for (const field of entry.schema.required) mustExist('schema.required', field);
  entry.rules.forEach((rule, i) => {
    for (const field of ruleFields(rule)) mustExist(`rules[${i}] (${rule.rule})`, field);
  });
  return problems;
}

/**
 * Across the files of a catalog (`catalog lint` reports the same; `file` is the base name): versions of one code
 * take effect in version order; one title belongs to one code; and every version keys its records as the version
 * before it does — the business key identifies a record across versions (a re-delivery read by a new version is
 * `updated`), so a changed key would store every re-delivery as a new record. No shipped entry changes its key; a
 * legacy layout maps its columns onto the same key (lint-legacy-layout.ts). A legacy layout may take effect on the
 * same day as the version after it (the two published together, e.g. a correction of both layouts): the higher
 * version is the one in force, the legacy one only reads files in its layout.
 */
export function crossFileProblems(entries: readonly CatalogEntry[]): { file: string; message: string }[] {
  const problems: { file: string; message: string }[] = [];
  const byCode = new Map<string, CatalogEntry[]>();
  for (const entry of entries) byCode.set(entry.code, [...(byCode.get(entry.code) ?? []), entry]);
  for (const [code, versions] of byCode) {
    versions.sort((a, b) => a.version - b.version);
    for (let i = 1; i < versions.length; i++) {
      const previous = versions[i - 1]!;
      const current = versions[i]!;
      const file = `${code}.v${current.version}.json`;
      const together = previous.legacyLayout !== undefined && !current.legacyLayout;
      if (
        current.effectiveFrom < previous.effectiveFrom ||
        (current.effectiveFrom === previous.effectiveFrom && !together)
      ) {
        problems.push({
          file,
          message: `effectiveFrom ${current.effectiveFrom} is not after v${previous.version}'s ${previous.effectiveFrom}`,
        });
      }
      if (current.businessKey.join('+') !== previous.businessKey.join('+')) {
        problems.push({
          file,
          message:
            `businessKey ${current.businessKey.join('+')} differs from v${previous.version}'s ${previous.businessKey.join('+')}: ` +
            'the key identifies a record across versions, so every re-delivery read by this version would be a new ' +
            'record; keep the key (another key is another entry, with its own code)',
        });
      }
    }
  }
  const titles = new Map<string, string>();
  for (const entry of entries) {
    const owner = titles.get(entry.title);
    if (owner && owner !== entry.code) {
      problems.push({
        file: `${entry.code}.v${entry.version}.json`,
        message: `title ${entry.title} is already the title of ${owner}: --catalog would be ambiguous`,
      });
    }
    titles.set(entry.title, entry.code);
  }
  return problems;
}

export function createCatalog(entries: CatalogEntry[]): Catalog {
  return {
    entries,
    resolve(codeOrTitle, onDate) {
      const versions = entries
        .filter((entry) => entry.code === codeOrTitle || entry.title === codeOrTitle)
        .sort((a, b) => b.version - a.version);
      if (versions.length === 0) {
        const known = [...new Set(entries.map((entry) => `${entry.code} (${entry.title})`))].join(', ');
        throw new CatalogError(
          `catalog entry "${codeOrTitle}" not found (known: ${known || 'none'}): run \`credit-etl catalog list\``,
        );
      }
      const inForce = versions.find((entry) => entry.effectiveFrom <= onDate);
      if (!inForce) {
        throw new CatalogError(
          `no version of catalog entry "${codeOrTitle}" is in force on ${onDate} (the earliest takes effect ${versions.at(-1)?.effectiveFrom})`,
        );
      }
      return inForce;
    },
  };
}
