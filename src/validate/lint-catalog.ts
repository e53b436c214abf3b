import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type CatalogEntry, fieldCodes, subjectCodeFields } from '../catalog/catalog-entry.ts';
import { disclosureFields } from '../catalog/disclosure-rule.ts';
import { entryShapeProblems } from '../catalog/entry-shape.ts';
import {
  crossFileProblems,
  ENTRY_FILE,
  entryFileNameProblem,
  fieldReferenceProblems,
  META_SCHEMA_FILE,
} from '../catalog/load-catalog.ts';
import { headerNames } from '../catalog/match-headers.ts';
import { compileValidator } from './compile-validator.ts';
import { lintLegacyAgainstNewest, lintLegacyLayout } from './lint-legacy-layout.ts';

/** One thing wrong in the catalog directory; `file` is the base name. */
export interface LintProblem {
  file: string;
  message: string;
}

export interface LintReport {
  files: number;
  entries: CatalogEntry[];
  problems: LintProblem[];
}

export { META_SCHEMA_FILE };

/**
 * Checks every entry file of a catalog directory: the meta-schema, the file name, references between the
 * parts of an entry, header names that would collide, that the row schema compiles, and that each entry's
 * versions take effect in order. Never throws for a bad file: every problem is reported at once.
 */
export async function lintCatalog(directory: string): Promise<LintReport> {
  const names = (await readdir(directory)).filter(
    (name) => name.endsWith('.json') && name !== META_SCHEMA_FILE,
  );
  const problems: LintProblem[] = [];
  const entries: CatalogEntry[] = [];
  for (const name of names.sort()) {
    const report = (message: string) => problems.push({ file: name, message });
    const misnamed = entryFileNameProblem(name);
    const match = ENTRY_FILE.exec(name);
    if (misnamed || !match) {
      report(misnamed ?? 'file name must be <code>.v<version>.json, e.g. xzcf.v2.json');
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path.join(directory, name), 'utf8'));
    } catch (error) {
      report(`not valid JSON: ${(error as Error).message}`);
      continue;
    }
    const shape = entryShapeProblems(parsed);
    if (shape.length > 0) {
      for (const message of shape) report(message);
      continue;
    }
    const entry = parsed as unknown as CatalogEntry;
    if (entry.code !== match[1] || String(entry.version) !== match[2]) {
      report(`holds entry ${entry.code} v${entry.version}: rename it ${entry.code}.v${entry.version}.json`);
    }
    for (const message of lintEntry(entry)) report(message);
    entries.push(entry);
  }
  problems.push(...lintVersions(entries));
  return { files: names.length, entries, problems };
}

/** Problems inside one entry that the meta-schema cannot see. */
export function lintEntry(entry: CatalogEntry): string[] {
  const problems: string[] = [...fieldReferenceProblems(entry)];
  const fields = new Set(fieldCodes(entry));
  const mustExist = (where: string, field: string) => {
    if (!fields.has(field)) problems.push(`${where} names field ${field}, which is not in schema.properties`);
  };
  problems.push(...lintSubjectTypes(entry));
  problems.push(...lintDisclosure(entry, mustExist));
  problems.push(...lintLegacyLayout(entry));
  problems.push(...lintStatusSignal(entry));
  for (const [code, field] of Object.entries(entry.schema.properties)) {
    const codeList = field['x-codeList'];
    if (!codeList) continue;
    for (const [alias, target] of Object.entries(codeList.aliases ?? {})) {
      const unknown = target.split(';').filter((value) => !codeList.values.includes(value));
      if (unknown.length > 0) {
        problems.push(`${code}: code-list alias "${alias}" maps to ${unknown.join(', ')}, not in its values`);
      }
      if (target.includes(';') && !codeList.multiple) {
        problems.push(
          `${code}: code-list alias "${alias}" maps to several values but the list is not multiple`,
        );
      }
    }
  }
  const owners = new Map<string, string>();
  for (const [code, names] of headerNames(entry)) {
    for (const name of names) {
      const owner = owners.get(name);
      if (owner && owner !== code)
        problems.push(`header name "${name}" is used by both ${owner} and ${code}`);
      owners.set(name, code);
    }
  }
  try {
    compileValidator(entry);
  } catch (error) {
    problems.push(`schema does not compile: ${(error as Error).message}`);
  }
  return problems;
}

/**
 * `x-statusSignal`: one field of a version at most (a unit reads one status column), its withdraw and objection
 * values apart, each a code of the field's code list (aliases are matched through it, not listed).
 */
function lintStatusSignal(entry: CatalogEntry): string[] {
  const problems: string[] = [];
  const fields = { ...entry.legacyLayout?.sourceFields, ...entry.schema.properties };
  const declaring = Object.entries(fields).filter(([, field]) => field['x-statusSignal'] !== undefined);
  if (declaring.length > 1)
    problems.push(
      `x-statusSignal is declared by ${declaring.map(([code]) => code).join(', ')}: one field at most`,
    );
  for (const [code, field] of declaring) {
    const { withdraw, objection = [] } = field['x-statusSignal']!;
    const both = withdraw.filter((value) => objection.includes(value));
    if (both.length > 0)
      problems.push(`${code}: x-statusSignal value ${both.join(', ')} both withdraws and objects`);
    const codeList = field['x-codeList'];
    if (!codeList) continue;
    const unknown = [...withdraw, ...objection].filter((value) => !codeList.values.includes(value));
    if (unknown.length > 0)
      problems.push(`${code}: x-statusSignal value ${unknown.join(', ')} is not in its code list's values`);
  }
  return problems;
}

/**
 * The disclosure block: its fields exist, its dates are dates, a severity map names only its field's code-list
 * values, and each period's minimum is not above its maximum.
 */
function lintDisclosure(entry: CatalogEntry, mustExist: (where: string, field: string) => void): string[] {
  const problems: string[] = [];
  const rule = entry.disclosure;
  for (const field of disclosureFields(rule)) mustExist(`disclosure (${rule.period})`, field);
  const dates = rule.period === 'not-public' ? [] : [rule.from];
  if ((rule.period === 'by-severity' || rule.period === 'until-field') && rule.until) dates.push(rule.until);
  for (const field of dates) {
    const schema = entry.schema.properties[field];
    if (schema && schema.format !== 'cn-date') problems.push(`disclosure: ${field} must have format cn-date`);
  }
  if (rule.period === 'until-field' && rule.repairAfterMonths !== undefined && !rule.repair) {
    problems.push('disclosure: repairAfterMonths is given but repair is false');
  }
  if (rule.period !== 'by-severity') return problems;
  for (const [severity, period] of Object.entries(rule.periods)) {
    if (period.minMonths > period.maxMonths) {
      problems.push(
        `disclosure.periods.${severity}: minMonths ${period.minMonths} is above maxMonths ${period.maxMonths}`,
      );
    }
  }
  if ('field' in rule.severity) {
    const values = entry.schema.properties[rule.severity.field]?.['x-codeList']?.values;
    if (!values) problems.push(`disclosure.severity.field ${rule.severity.field} has no x-codeList`);
    for (const value of Object.keys(rule.severity.values)) {
      if (values && !values.includes(value)) {
        problems.push(
          `disclosure.severity.values names "${value}", not in ${rule.severity.field}'s code list`,
        );
      }
    }
    for (const [value, how] of Object.entries(rule.severity.fromText ?? {})) {
      if (values && !values.includes(value)) {
        problems.push(
          `disclosure.severity.fromText names "${value}", not in ${rule.severity.field}'s code list`,
        );
      }
      if (value in rule.severity.values) {
        problems.push(`disclosure.severity: "${value}" is in both values and fromText`);
      }
      const text = entry.schema.properties[how.field];
      if (text && (text.type !== 'string' || text.format !== undefined || text['x-codeList'])) {
        problems.push(`disclosure.severity.fromText["${value}"]: ${how.field} must be a free-text field`);
      }
    }
  }
  return problems;
}

/** The type code list a rule or `subjectCodeByType` names by its `typeField`, if the field has one. */
function typeValues(entry: CatalogEntry, typeField: string): string[] | undefined {
  return entry.schema.properties[typeField]?.['x-codeList']?.values;
}

/**
 * Subject attribution by type (Art. 8): an entry whose subject can sit in several fields says per type which
 * one is the subject's, for every type; rules name only real types; no field is both a type's subject code
 * and required empty for that type.
 */
function lintSubjectTypes(entry: CatalogEntry): string[] {
  const problems: string[] = [];
  const byType = entry.subjectCodeByType;
  const allSubjectFields = new Set(subjectCodeFields(entry));
  if (!byType && allSubjectFields.size > 1) {
    problems.push(
      'subjectCodeField lists several fields but subjectCodeByType is missing: the first non-empty field would ' +
        "be the subject whatever the row's subject type; say per type which field identifies the subject",
    );
  }
  const emptyFor = (type: string) =>
    entry.rules.flatMap((rule) =>
      rule.rule === 'empty-for-type' && rule.types.includes(type) ? rule.fields : [],
    );
  if (byType) {
    const values = typeValues(entry, byType.typeField);
    if (!values) problems.push(`subjectCodeByType.typeField ${byType.typeField} has no x-codeList`);
    for (const value of values ?? []) {
      if (!byType.fields[value]) problems.push(`subjectCodeByType.fields has no entry for type "${value}"`);
    }
    for (const [type, fields] of Object.entries(byType.fields)) {
      if (values && !values.includes(type)) {
        problems.push(
          `subjectCodeByType.fields names type "${type}", not in ${byType.typeField}'s code list`,
        );
      }
      for (const field of fields) {
        if (!allSubjectFields.has(field)) {
          problems.push(
            `subjectCodeByType.fields["${type}"] names ${field}, which is not in subjectCodeField`,
          );
        }
        if (emptyFor(type).includes(field)) {
          problems.push(
            `${field} is the subject code of "${type}" and also required empty for it (empty-for-type)`,
          );
        }
      }
    }
  }
  entry.rules.forEach((rule, i) => {
    if (rule.rule !== 'empty-for-type') return;
    const values = typeValues(entry, rule.typeField);
    for (const type of rule.types) {
      if (values && !values.includes(type)) {
        problems.push(
          `rules[${i}] (empty-for-type) names type "${type}", not in ${rule.typeField}'s code list`,
        );
      }
    }
  });
  return problems;
}

/**
 * Across files (crossFileProblems, which the catalog load refuses too: date order, one title per code, the same
 * business key in every version), and a legacy layout against the newest version.
 */
function lintVersions(entries: CatalogEntry[]): LintProblem[] {
  const problems: LintProblem[] = [];
  const byCode = new Map<string, CatalogEntry[]>();
  for (const entry of entries) byCode.set(entry.code, [...(byCode.get(entry.code) ?? []), entry]);
  for (const [code, versions] of byCode) {
    const newest = versions.reduce((a, b) => (b.version > a.version ? b : a));
    for (const version of versions.sort((a, b) => a.version - b.version)) {
      for (const message of lintLegacyAgainstNewest(version, newest))
        problems.push({ file: `${code}.v${version.version}.json`, message });
    }
  }
  problems.push(...crossFileProblems(entries));
  return problems;
}
