import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { ledgerReadingOf, readingFingerprint } from './reading-fingerprint.ts';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
});

const plain = { catalog: 'xzcf', encoding: 'auto' as const };

describe('the reading fingerprint the sha256 ledger compares', () => {
  it('is the same for `ingest` saying nothing and a run left at the defaults, by code or title', () => {
    const cli = {
      ...plain,
      formatOptions: { delimiter: 'auto' as const },
      validatorOptions: { allowPilotCodes: false },
      headerMap: {},
      ignoreColumns: [],
      lookups: {},
    };
    expect(readingFingerprint(catalog, cli)).toBe(readingFingerprint(catalog, plain));
    const title = catalog.resolve('xzcf', '2026-11-20').title;
    expect(readingFingerprint(catalog, { ...plain, catalog: title })).toBe(
      readingFingerprint(catalog, plain),
    );
  });

  it('does not depend on the order the lookup tables were written in', () => {
    const one = { authorityCodes: { 甲局: '11370100MB28174284', 乙局: '113700000000000000' } };
    const other = { authorityCodes: { 乙局: '113700000000000000', 甲局: '11370100MB28174284' } };
    expect(readingFingerprint(catalog, { ...plain, lookups: one })).toBe(
      readingFingerprint(catalog, { ...plain, lookups: other }),
    );
  });

  it('changes with what reads the rows: a lookup added, the entry changed, a mapping, a sheet, a pinned version', () => {
    const base = readingFingerprint(catalog, { ...plain, lookups: { authorityCodes: { 甲局: '1' } } });
    const others = [
      readingFingerprint(catalog, { ...plain, lookups: { authorityCodes: { 甲局: '1', 乙局: '2' } } }),
      readingFingerprint(catalog, {
        ...plain,
        lookups: { authorityCodes: { 甲局: '1' } },
        headerMap: { 文号: 'CF_WSH' },
      }),
      readingFingerprint(catalog, {
        ...plain,
        lookups: { authorityCodes: { 甲局: '1' } },
        formatOptions: { sheet: '二月' },
      }),
      readingFingerprint(catalog, {
        ...plain,
        lookups: { authorityCodes: { 甲局: '1' } },
        catalogVersion: 1,
      }),
    ];
    const changed: Catalog = {
      ...catalog,
      entries: catalog.entries.map((entry) =>
        entry.code === 'xzcf' && entry.version === 1 ? { ...entry, title: `${entry.title}（修订）` } : entry,
      ),
    };
    others.push(readingFingerprint(changed, { ...plain, lookups: { authorityCodes: { 甲局: '1' } } }));
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
  });

  it('pairs with the version a pipeline names, else the one in force on the day', () => {
    expect(ledgerReadingOf(catalog, plain, '2026-11-20').catalogVersion).toBe(1);
    expect(ledgerReadingOf(catalog, { ...plain, catalogVersion: 2 }, '2026-11-20').catalogVersion).toBe(2);
  });
});
