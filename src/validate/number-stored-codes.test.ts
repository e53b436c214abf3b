import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { loadCatalog } from '../catalog/load-catalog.ts';
import { fieldMaskerOf } from '../log/mask-personal-data.ts';
import { compileEntry } from '../run/compiled-entry.ts';
import { compileRowStager } from '../run/stage-row.ts';
import { numberStoredCodeCheck } from './number-stored-codes.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('code-stored-as-number', () => {
  let entry: CatalogEntry;
  let columns: string[];
  beforeAll(async () => {
    const catalog = await loadCatalog(path.join(ROOT, 'catalog'));
    entry = catalog.entries.find((candidate) => candidate.code === 'xzcf' && candidate.version === 3)!;
    columns = Object.keys(entry.schema.properties);
  });
  const rowWith = (field: string, value: string) => {
    const at = columns.indexOf(field);
    const cells = columns.map((_code, i) => (i === at ? value : ''));
    return { rowNumber: 3, cells, numberCells: [at] };
  };

  it.each([
    ['19 digits, Excel cut', '3701021982040100000'],
    ['16 digits, Excel cut', '3701021982040100'],
    ['17 digits, Excel cut', '37010219820401000'],
  ])('stores and shows an ID it says a 备注 number looks like masked: %s', (_name, value) => {
    const [error] = numberStoredCodeCheck(entry, columns)(rowWith('BZ', value));
    expect(error?.code).toBe('code-stored-as-number');
    expect(error?.message).toContain('像是居民身份证号码');
    // As reports and pages show it: the value through the field's masker, the message as well.
    const masker = fieldMaskerOf(entry);
    for (const shown of [error!.value!, masker.cell('BZ', error!.value!), error!.message]) {
      expect(shown).not.toContain('19820401');
    }
    expect(error?.value).toBe(`3701${'*'.repeat(value.length - 8)}${value.slice(-4)}`);
  });

  it('stores the rejected row with that cell masked as well: reports show its raw cells', () => {
    const header = columns.map((code) => entry.schema.properties[code]?.title ?? code);
    const stage = compileRowStager(compileEntry(entry), columns, header, new Date());
    const line = stage(rowWith('BZ', '3701021982040100000'));
    expect(line).toContain('code-stored-as-number');
    expect(line).not.toContain('19820401');
    expect(line).toContain('"BZ":"3701***********0000"');
  });

  it('keeps a destroyed code that holds no birth date as it came, for the provider to find', () => {
    const [error] = numberStoredCodeCheck(entry, columns)(rowWith('CF_XDR_SHDM', '913701020000050000'));
    expect(error?.code).toBe('code-stored-as-number');
    expect(error?.value).toBe('913701020000050000');
  });
});
