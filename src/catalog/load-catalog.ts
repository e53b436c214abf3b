import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CatalogEntry } from './catalog-entry.ts';
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

const ENTRY_FILE = /^([a-z0-9_-]+)\.v(\d+)\.json$/;

export async function loadCatalog(directory: string): Promise<Catalog> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => ENTRY_FILE.test(name)).sort();
  } catch (error) {
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
    entries.push(entry);
  }
  return createCatalog(entries);
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
