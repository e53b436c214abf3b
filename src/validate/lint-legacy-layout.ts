import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { derivationSources } from '../catalog/legacy-layout.ts';

/**
 * A legacy layout's own problems: derivations read fields the version has (schema or source fields) and fill
 * fields of the schema; a source field is no field of the schema; `absent` names fields the version lacks.
 */
export function lintLegacyLayout(entry: CatalogEntry): string[] {
  const layout = entry.legacyLayout;
  if (!layout) return [];
  const problems: string[] = [];
  const schemaFields = new Set(Object.keys(entry.schema.properties));
  const sourceFields = new Set(Object.keys(layout.sourceFields));
  for (const code of sourceFields) {
    if (schemaFields.has(code))
      problems.push(`legacyLayout.sourceFields.${code} is a field of the schema too`);
  }
  layout.derivations.forEach((derivation, i) => {
    const where = `legacyLayout.derivations[${i}] (${derivation.derive})`;
    for (const code of derivationSources(derivation)) {
      if (!schemaFields.has(code) && !sourceFields.has(code))
        problems.push(`${where} reads ${code}, which is neither in schema.properties nor a source field`);
    }
    if (!schemaFields.has(derivation.to))
      problems.push(`${where} fills ${derivation.to}, which is not in schema.properties`);
  });
  for (const code of layout.requiredColumns ?? []) {
    if (!sourceFields.has(code) && !schemaFields.has(code))
      problems.push(`legacyLayout.requiredColumns names ${code}, which this version does not have`);
  }
  for (const code of layout.absent) {
    if (schemaFields.has(code))
      problems.push(`legacyLayout.absent names ${code}, which this version carries`);
  }
  return problems;
}

/**
 * Across versions: a legacy layout keys its records as the newest version does (or the two deliveries of one
 * decision would be two records), and stores only fields the newest version has (`absent` plus the schema
 * covers it).
 */
export function lintLegacyAgainstNewest(legacy: CatalogEntry, newest: CatalogEntry): string[] {
  if (!legacy.legacyLayout || legacy === newest) return [];
  const problems: string[] = [];
  if (legacy.businessKey.join() !== newest.businessKey.join())
    problems.push(
      `businessKey ${legacy.businessKey.join('+')} differs from v${newest.version}'s ${newest.businessKey.join('+')}`,
    );
  const current = new Set(Object.keys(newest.schema.properties));
  for (const code of Object.keys(legacy.schema.properties)) {
    if (!current.has(code)) problems.push(`schema field ${code} is not a field of v${newest.version}`);
  }
  const covered = new Set([...Object.keys(legacy.schema.properties), ...legacy.legacyLayout.absent]);
  const missing = [...current].filter((code) => !covered.has(code));
  if (missing.length > 0)
    problems.push(
      `legacyLayout.absent must list v${newest.version}'s fields this layout lacks: ${missing.join(', ')}`,
    );
  return problems;
}
