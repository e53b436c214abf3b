import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { checkProviderCode, checkProviderLevel, closestProvider } from '../src/report/provider-check.ts';
import { loadProviders } from '../src/report/providers.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const JINAN = '11370100MB28174284';
const PROVINCE = '11370000MB2852362M';
/** Nothing here reaches a database: the provider is checked before the warehouse is opened. */
const NO_DATABASE = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

describe('the provider registry (config/providers.json)', () => {
  it('agrees with the shipped pipelines and the demo: every feed’s provider registered, at its level, expecting its entry', async () => {
    const registry = await loadProviders();
    const pipelines = readdirSync(path.join(PROJECT_ROOT, 'pipelines')).filter((name) =>
      name.endsWith('.json'),
    );
    expect(pipelines.length).toBeGreaterThan(0);
    for (const name of pipelines) {
      const pipeline = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'pipelines', name), 'utf8'));
      const provider = registry.find((candidate) => candidate.code === pipeline.provider);
      expect(provider, `${name}: provider ${pipeline.provider}`).toBeDefined();
      expect(provider!.level, name).toBe(pipeline.level);
      expect(provider!.expectedEntries, name).toContain(pipeline.catalog);
    }
    const demo = readFileSync(path.join(PROJECT_ROOT, 'src/cli/commands/demo-command.ts'), 'utf8');
    for (const [, pipeline] of demo.matchAll(/pipeline: '([^']+)'/g))
      expect(pipelines, `the demo runs ${pipeline}`).toContain(`${pipeline}.json`);
    expect(registry.find((provider) => provider.code === JINAN)?.name).toBe('济南市');
  });

  it('suggests the registered provider a typo or a name meant, and none for an injected string', async () => {
    const registry = await loadProviders();
    expect(closestProvider(registry, '11370100MB28174248')?.code).toBe(JINAN);
    expect(closestProvider(registry, '济南')?.code).toBe(JINAN);
    expect(closestProvider(registry, "'; drop table runs; --")).toBeUndefined();
    const options = { registryFile: 'providers.json' };
    expect(checkProviderCode(registry, ` ${JINAN.toLowerCase()} `, options)).toEqual({
      ok: true,
      code: JINAN,
    });
    expect(checkProviderCode(registry, '91350100M000100Y43', options)).toMatchObject({
      ok: false,
      unregistered: true,
    });
    expect(
      checkProviderCode(registry, '91350100M000100Y43', { ...options, allowUnregistered: true }),
    ).toEqual({
      ok: true,
      code: '91350100M000100Y43',
    });
    // A registered provider delivers at its registered level only; an unregistered code keeps the level given.
    expect(checkProviderLevel(registry, JINAN, 'city', 'providers.json')).toBeUndefined();
    expect(checkProviderLevel(registry, JINAN, 'province', 'providers.json')).toEqual({
      registered: 'city',
      message: expect.stringContaining('济南市（11370100MB28174284） is registered at level city'),
    });
    expect(checkProviderLevel(registry, '91350100M000100Y43', 'province', 'providers.json')).toBeUndefined();
  });

  it('ingest refuses an injected string, a typo and an unregistered code with exit 2, naming the closest provider', async () => {
    const ingest = (provider: string, ...extra: string[]) =>
      runCli(
        ['ingest', 'x.csv', '--catalog', 'xzcf', '--level', 'city', '--provider', provider, ...extra],
        NO_DATABASE,
      );
    const injected = await ingest("'; drop table runs; --");
    expect(injected.code).toBe(2);
    expect(injected.stderr).toContain('is not a unified social credit code');
    expect(injected.stderr).toContain('registered providers: 山东省（省级统一推送）（11370000MB2852362M）');
    const typo = await ingest('11370100MB28174248');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean 济南市（11370100MB28174284）?');
    const unregistered = await ingest('91350100M000100Y43');
    expect(unregistered.code).toBe(2);
    expect(unregistered.stderr).toContain('is not in the provider registry');
    expect(unregistered.stderr).toContain('--allow-unregistered-provider');
  }, 120_000);

  it('pipelines validate fails a pipeline whose provider is unknown, and a broken registry stops every command', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-providers-'));
    const pipelines = path.join(dir, 'pipelines');
    const write = (name: string, provider: string, level = 'city') =>
      writeFileSync(
        path.join(pipelines, `${name}.json`),
        JSON.stringify({
          catalog: 'xzcf',
          provider,
          level,
          transport: { type: 'drop-folder', directory: path.join(dir, 'drop') },
        }),
      );
    mkdirSync(pipelines);
    write('good', JINAN);
    write('typo', '11370100MB28174248');
    write('stranger', '91350100M000100Y43');
    // 济南市 is registered as a city: a pipeline may not load it at the province's precedence.
    write('forged', JINAN, 'province');
    const env = { ...NO_DATABASE, CREDIT_ETL_PIPELINES_DIR: pipelines };
    const result = await runCli(['pipelines', 'validate'], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('✓ ');
    expect(result.stdout).toContain('good.json');
    expect(result.stderr).toMatch(/typo\.json: \/provider: .*did you mean 济南市（11370100MB28174284）\?/);
    expect(result.stderr).toMatch(
      /stranger\.json: \/provider: provider 91350100M000100Y43 is not in the provider registry/,
    );
    expect(result.stderr).toMatch(
      /forged\.json: \/level: provider 济南市（11370100MB28174284） is registered at level city in the provider registry .*providers\.json, not province: .*write "level": "city"/,
    );
    expect(result.stdout).not.toContain('forged.json');
    // One pipeline by name (`run`, `backfill`, `demo`, a queued job, `pipelines show`) is refused alike.
    const shown = await runCli(['pipelines', 'show', 'forged'], env);
    expect(shown.code).toBe(2);
    expect(shown.stderr).toMatch(
      /forged\.json: \/level: provider 济南市（11370100MB28174284） is registered at level city/,
    );
    expect(shown.stdout).toBe('');

    const registry = path.join(dir, 'providers.json');
    writeFileSync(
      registry,
      JSON.stringify({
        providers: [{ code: '113701000000000000', name: '济南市', level: 'city', expectedEntries: [] }],
      }),
    );
    const broken = await runCli(['providers', 'list'], {
      ...NO_DATABASE,
      CREDIT_ETL_PROVIDERS_FILE: registry,
    });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(
      '济南市 code 113701000000000000 is not a valid unified social credit code',
    );
  }, 120_000);
});

describe('ingest --level against the registered level', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let file: string;
  beforeAll(async () => {
    fx = await openWarehouseFixture('provider_level');
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
      CREDIT_ETL_PG_DIR: path.join(fx.scratch, 'pg'),
    };
    ({ file } = writePenaltyCsv(fx.scratch, 'jinan.csv', 5, { seed: 733 }));
  }, 120_000);
  afterAll(async () => fx?.close());
  const ingest = (...args: string[]) => runCli(['ingest', file, '--catalog', 'xzcf', ...args], env);
  const count = async (table: string) => Number((await fx.warehouse(table).count({ n: '*' }))[0]!.n);

  it('refuses a registered city loaded as the province (a forged precedence): exit 2, nothing read, no run', async () => {
    const forged = await ingest('--provider', JINAN, '--level', 'province');
    expect(forged.code, forged.stderr).toBe(2);
    expect(forged.stderr).toContain(
      '--level: provider 济南市（11370100MB28174284） is registered at level city in the provider registry',
    );
    expect(forged.stderr).toContain('not province');
    expect(forged.stderr).toContain('omit --level or give --level city');
    expect(forged.stderr).toContain("or correct the provider's level in the registry");
    // Also with --allow-unregistered-provider: it allows an unregistered code, not another level.
    const allowed = await ingest(
      '--provider',
      PROVINCE,
      '--level',
      'county',
      '--allow-unregistered-provider',
    );
    expect(allowed.code, allowed.stderr).toBe(2);
    expect(allowed.stderr).toContain(
      '山东省（省级统一推送）（11370000MB2852362M） is registered at level province',
    );
    expect(await count('runs')).toBe(0);
    expect(await count('source_files')).toBe(0);
  }, 120_000);

  it('loads at the registered level when --level is omitted; an unregistered code needs --level, taken as given', async () => {
    const unregistered = '91350100M000100Y43';
    const missing = await ingest('--provider', unregistered, '--allow-unregistered-provider');
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain(`--level: provider ${unregistered} is not in the provider registry`);
    expect(await count('runs')).toBe(0);

    const defaulted = await ingest('--provider', JINAN, '--json');
    expect(defaulted.code, defaulted.stderr).toBe(0);
    const given = await ingest(
      '--provider',
      unregistered,
      '--allow-unregistered-provider',
      '--level',
      'county',
    );
    expect(given.code, given.stderr).toBe(0);
    const files = await fx.warehouse('source_files').orderBy('id').select('provider_code', 'level');
    expect(files).toEqual([
      { provider_code: JINAN, level: 'city' },
      { provider_code: unregistered, level: 'county' },
    ]);
  }, 120_000);
});
