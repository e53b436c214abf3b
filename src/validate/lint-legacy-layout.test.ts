import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { lintLegacyAgainstNewest, lintLegacyLayout } from './lint-legacy-layout.ts';

let legacy: CatalogEntry;
let current: CatalogEntry;
beforeAll(async () => {
  const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
  legacy = catalog.entries.find((entry) => entry.code === 'xzcf' && entry.version === 0)!;
  current = catalog.entries.find((entry) => entry.code === 'xzcf' && entry.version === 1)!;
});

describe('catalog lint of a legacy layout', () => {
  it('the shipped 2016 layout has no problems', () => {
    expect(lintLegacyLayout(legacy)).toEqual([]);
    expect(lintLegacyAgainstNewest(legacy, current)).toEqual([]);
  });

  it('another business key than the current version would split one decision into two records', () => {
    const split = { ...legacy, businessKey: ['CF_WSH', 'CF_XDR_SHDM'] };
    expect(lintLegacyAgainstNewest(split, current)).toEqual([
      "businessKey CF_WSH+CF_XDR_SHDM differs from v1's CF_CFJGDM+CF_WSH+CF_XDR_SHDM+CF_XDR_ZJHM",
    ]);
  });

  it('a current field neither carried nor declared absent, and a derivation from nowhere, are named', () => {
    const layout = legacy.legacyLayout!;
    const careless = {
      ...legacy,
      legacyLayout: {
        ...layout,
        absent: layout.absent.filter((code) => code !== 'CF_YXQ'),
        derivations: [...layout.derivations, { derive: 'join' as const, from: ['CF_NOPE'], to: 'CF_NR' }],
      },
    };
    expect(lintLegacyAgainstNewest(careless, current)).toEqual([
      "legacyLayout.absent must list v1's fields this layout lacks: CF_YXQ",
    ]);
    expect(lintLegacyLayout(careless)).toEqual([
      'legacyLayout.derivations[4] (join) reads CF_NOPE, which is neither in schema.properties nor a source field',
    ]);
  });
});
