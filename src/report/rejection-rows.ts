import { fieldCodes } from '../catalog/catalog-entry.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { maskPersonalData } from '../log/mask-personal-data.ts';

/** Which fields hold personal data (x-personal or a resident-ID format), per catalog code. */
export function personalFieldsOf(catalog: Catalog): (catalogCode: string, field: string) => boolean {
  const personal = new Set<string>();
  for (const entry of catalog.entries) {
    for (const code of fieldCodes(entry)) {
      const field = entry.schema.properties[code];
      if (field?.['x-personal'] || field?.format === 'resident-id') personal.add(`${entry.code}:${code}`);
    }
  }
  return (catalogCode, field) => personal.has(`${catalogCode}:${field}`);
}

/** Masks resident ID numbers in a personal field's value and in messages quoting it. */
export function maskIf(isPersonal: boolean, text: string): string {
  return isPersonal ? maskPersonalData(text) : text;
}
