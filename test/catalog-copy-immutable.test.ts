import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogEntryHash } from '../src/catalog/catalog-entry-hash.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { createLogger } from '../src/log/logger.ts';
import { lintCatalog } from '../src/validate/lint-catalog.ts';
import { verifyCatalogCopies } from '../src/verify/verify-catalog-copies.ts';
import { describeFinding, verifyWarehouse } from '../src/verify/verify-warehouse.ts';
import { CORRECTED_IN_PLACE, editedCopies } from '../src/warehouse/catalog-entries-repository.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const FIXTURE = path.join(PROJECT_ROOT, 'fixtures/xzcf/utf8-bom/input.csv');
const CITY = '11370100MB28174284';

/** A copy of catalog/ to edit, and what its xzcf v1 file holds. */
// biome-ignore lint/suspicious/noExplicitAny: a test edits the entry's JSON freely
type EntryJson = any;

function catalogCopy(): {
  dir: string;
  edit: (version: number, change: (entry: EntryJson) => void, space?: number) => void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'catalog-copy-'));
  cpSync(path.join(PROJECT_ROOT, 'catalog'), dir, { recursive: true });
  return {
    dir,
    edit(version, change, space = 2) {
      const file = path.join(dir, `xzcf.v${version}.json`);
      const entry = JSON.parse(readFileSync(file, 'utf8'));
      change(entry);
      writeFileSync(file, JSON.stringify(entry, null, space));
    },
  };
}

describe('the catalog load refuses what catalog lint calls an error', () => {
  const dirs: string[] = [];
  const copy = () => {
    const made = catalogCopy();
    dirs.push(made.dir);
    return made;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a businessKey changed in a new version: lint and the load both refuse it, naming the file', async () => {
    const { dir } = copy();
    const v3 = JSON.parse(readFileSync(path.join(dir, 'xzcf.v3.json'), 'utf8'));
    const v4 = { ...v3, version: 4, effectiveFrom: '2027-01-01', businessKey: ['CF_CFJGDM', 'CF_WSH'] };
    writeFileSync(path.join(dir, 'xzcf.v4.json'), JSON.stringify(v4, null, 2));
    const lint = await lintCatalog(dir);
    expect(lint.problems).toContainEqual({
      file: 'xzcf.v4.json',
      message: expect.stringMatching(
        /^businessKey CF_CFJGDM\+CF_WSH differs from v3's CF_CFJGDM\+CF_WSH\+CF_XDR_SHDM\+CF_XDR_ZJHM: the key identifies a record across versions/,
      ),
    });
    await expect(loadCatalog(dir)).rejects.toThrow(
      /catalog file .*xzcf\.v4\.json: businessKey CF_CFJGDM\+CF_WSH differs from v3's/,
    );
  });

  it('the shipped catalog keeps one key per entry, its legacy layouts included, and loads', async () => {
    const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
    expect(catalog.entries.length).toBeGreaterThan(10);
    expect((await lintCatalog(path.join(PROJECT_ROOT, 'catalog'))).problems).toEqual([]);
  });

  it.each([
    [
      'a title of another entry',
      (_edit: ReturnType<typeof catalogCopy>['edit'], dir: string) => {
        const file = path.join(dir, 'xzqz.v1.json');
        writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), title: '行政处罚' }));
      },
      /xzqz\.v1\.json: title 行政处罚 is already the title of xzcf: --catalog would be ambiguous/,
    ],
    [
      'an effectiveFrom before an earlier version',
      (edit: ReturnType<typeof catalogCopy>['edit']) =>
        edit(3, (entry) => {
          entry.effectiveFrom = '2020-01-01';
        }),
      /xzcf\.v3\.json: effectiveFrom 2020-01-01 is not after v2's 2026-12-05/,
    ],
    [
      'schema.required naming no field',
      (edit: ReturnType<typeof catalogCopy>['edit']) =>
        edit(1, (entry) => {
          entry.schema.required.push('CF_NOPE');
        }),
      /xzcf\.v1\.json: schema\.required names field CF_NOPE, which is not in schema\.properties/,
    ],
    [
      'businessKey naming no field',
      (edit: ReturnType<typeof catalogCopy>['edit']) =>
        edit(1, (entry) => {
          entry.businessKey[1] = 'CF_WSHH';
        }),
      /xzcf\.v1\.json: businessKey names field CF_WSHH, which is not in schema\.properties/,
    ],
    [
      'formationDateField naming no field',
      (edit: ReturnType<typeof catalogCopy>['edit']) =>
        edit(1, (entry) => {
          entry.formationDateField = 'CF_RQ';
        }),
      /xzcf\.v1\.json: formationDateField names field CF_RQ, which is not in schema\.properties/,
    ],
    [
      'a file name no entry has',
      (_edit: ReturnType<typeof catalogCopy>['edit'], dir: string) =>
        renameSync(path.join(dir, 'xzcf.v3.json'), path.join(dir, 'Xzcf.v4.json')),
      /catalog file .*Xzcf\.v4\.json is not read: file name must be <code>\.v<version>\.json/,
    ],
  ])('%s', async (_what, change, refusal) => {
    const { dir, edit } = copy();
    change(edit, dir);
    expect((await lintCatalog(dir)).problems.length).toBeGreaterThan(0);
    await expect(loadCatalog(dir)).rejects.toThrow(refusal);
  });
});

describe('a catalog version recorded in the warehouse is immutable', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  let copy: ReturnType<typeof catalogCopy>;
  const env = (more: NodeJS.ProcessEnv = {}) => ({
    DATABASE_URL: fx.url,
    CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    CREDIT_ETL_CATALOG_DIR: copy.dir,
    ...more,
  });
  const ingest = (level: string, provider: string) =>
    runCli(
      [
        'ingest',
        FIXTURE,
        '--catalog',
        'xzcf',
        '--provider',
        provider,
        '--level',
        level,
        '--received-at',
        '2026-10-13',
      ],
      env(),
    );
  const files = async () => Number((await fx.warehouse('source_files').count({ n: '*' }))[0]?.n);

  beforeAll(async () => {
    fx = await openWarehouseFixture('catalog_copy_immutable');
    copy = catalogCopy();
  });
  afterAll(async () => {
    rmSync(copy.dir, { recursive: true, force: true });
    await fx?.close();
  });

  it('an edit in place is refused by every command (exit 2), naming the file, version and first record; formatting is no edit', async () => {
    const first = await ingest('province', '11370000MB2852362M');
    expect(first.code, first.stderr).toBe(0);
    const loaded = await files();
    // Formatting only (the hash is of canonical JSON): no change.
    copy.edit(1, () => undefined, 4);
    const formatted = await runCli(['runs', 'list'], env());
    expect(formatted.code, formatted.stderr).toBe(0);

    // The reviewer's edit: the default severity 一般 → 严重, which silently changed stored records' disclosure.
    copy.edit(1, (entry) => {
      entry.disclosure.severity.default = '严重';
    });
    for (const args of [['runs', 'list'], ['verify']]) {
      const refused = await runCli(args, env());
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toContain(`${path.join(copy.dir, 'xzcf.v1.json')}（目录条目 xzcf v1，`);
      expect(refused.stderr).toMatch(/首次登记）/);
      expect(refused.stderr).toMatch(
        /xzcf\.v1\.json \(catalog entry xzcf v1, first recorded \d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}.*restore the file to the first recorded copy.*or publish a new version/,
      );
    }
    // Reverting the edit and editing again warns no more before: still refused, and the edited copy never recorded.
    expect(
      await fx.warehouse('catalog_entries').where({ code: 'xzcf', version: 1 }).count({ n: '*' }),
    ).toEqual([{ n: 1 }]);

    // (5) A precedence edit: a delivery of another channel is refused before anything is loaded, naming the entry.
    copy.edit(1, (entry) => {
      entry.disclosure.severity.default = '一般';
      entry.precedence = ['city', 'province', 'county'];
    });
    const city = await ingest('city', CITY);
    expect(city.code, city.stderr).toBe(2);
    expect(city.stderr).toContain('xzcf.v1.json（目录条目 xzcf v1，');
    expect(city.stderr).not.toMatch(/internal-error|failed:/);
    expect(await files()).toBe(loaded);

    // Restored: accepted again, the same delivery from the city merges.
    copy.edit(1, (entry) => {
      entry.precedence = ['province', 'city', 'county'];
    });
    const restored = await ingest('city', CITY);
    expect(restored.code, restored.stderr).toBe(0);
  });

  it('(6) verify names the edited catalog copies first, before the key findings of the records they key', async () => {
    // A key edited in one version is a key change between versions, which the load refuses by itself: the same
    // edit in every version of the entry is what only the recorded copies can show.
    const key = (entry: EntryJson) => {
      entry.businessKey = ['CF_WSH', 'CF_CFJGDM', 'CF_XDR_SHDM', 'CF_XDR_ZJHM'];
    };
    await expect(
      (async () => {
        copy.edit(1, key);
        return loadCatalog(copy.dir);
      })(),
    ).rejects.toThrow(
      /xzcf\.v1\.json: businessKey CF_WSH\+CF_CFJGDM\+CF_XDR_SHDM\+CF_XDR_ZJHM differs from v0's/,
    );
    for (const version of [0, 2, 3]) copy.edit(version, key);
    const catalog = await loadCatalog(copy.dir);
    const logger = createLogger({
      logFile: path.join(fx.scratch, 'verify.log'),
      level: 'error',
      console: false,
    });
    const summary = await verifyWarehouse(fx.warehouse, catalog, {}, logger);
    expect(summary.status).toBe('failed');
    const problems = summary.records.map((finding) => finding.problem);
    expect(problems.slice(0, 4)).toEqual(Array(4).fill('catalog-copy-edited'));
    expect(summary.records.slice(0, 4).map((finding) => finding.catalogVersion)).toEqual([0, 1, 2, 3]);
    expect(problems.slice(4)).toContain('key-differs');
    expect(describeFinding(summary.records[1]!)).toMatch(
      /^catalog entry xzcf v1: catalog-copy-edited: catalog\/xzcf\.v1\.json \(sha256 [0-9a-f]{12}…\) differs from the copy the warehouse first recorded for xzcf v1 on /,
    );
    expect(summary.counts.tamperedRecords).toBe(
      new Set(summary.records.slice(4).map((finding) => finding.recordId)).size,
    );
    for (const version of [0, 1, 2, 3])
      copy.edit(version, (entry) => {
        entry.businessKey = ['CF_CFJGDM', 'CF_WSH', 'CF_XDR_SHDM', 'CF_XDR_ZJHM'];
      });
    // Restored: no catalog finding (the key findings' entry rules stay cached in this process: the CLI's are fresh).
    expect(await verifyCatalogCopies(fx.warehouse, await loadCatalog(copy.dir), {})).toEqual([]);
  });
});

describe("the project's own corrections in place", () => {
  it('name the copies catalog/ ships now, and a warehouse that recorded an earlier one accepts only that', async () => {
    const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
    for (const correction of CORRECTED_IN_PLACE) {
      const entry = catalog.entries.find(
        (shipped) => shipped.code === correction.entry && shipped.version === correction.version,
      );
      expect(entry && catalogEntryHash(entry), `${correction.entry} v${correction.version}`).toBe(
        correction.shipped,
      );
    }
    const [xzcf] = CORRECTED_IN_PLACE.filter(
      (correction) => correction.entry === 'xzcf' && correction.version === 1,
    );
    const first = [
      {
        code: 'xzcf',
        version: 1,
        contentHash: xzcf!.earlier[0]!,
        firstSyncedAt: new Date('2026-11-27T08:00:00Z'),
      },
    ];
    expect(editedCopies(first, [{ code: 'xzcf', version: 1, contentHash: xzcf!.shipped }])).toEqual([]);
    expect(editedCopies(first, [{ code: 'xzcf', version: 1, contentHash: 'f'.repeat(64) }])).toHaveLength(1);
  });
});
