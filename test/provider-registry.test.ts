import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { checkProviderCode, closestProvider } from '../src/report/provider-check.ts';
import { loadProviders } from '../src/report/providers.ts';
import { runCli } from './support/run-cli.ts';

const JINAN = '11370100MB28174284';
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
    const write = (name: string, provider: string) =>
      writeFileSync(
        path.join(pipelines, `${name}.json`),
        JSON.stringify({
          catalog: 'xzcf',
          provider,
          level: 'city',
          transport: { type: 'drop-folder', directory: path.join(dir, 'drop') },
        }),
      );
    mkdirSync(pipelines);
    write('good', JINAN);
    write('typo', '11370100MB28174248');
    write('stranger', '91350100M000100Y43');
    const result = await runCli(['pipelines', 'validate'], {
      ...NO_DATABASE,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('✓ ');
    expect(result.stdout).toContain('good.json');
    expect(result.stderr).toMatch(/typo\.json: \/provider: .*did you mean 济南市（11370100MB28174284）\?/);
    expect(result.stderr).toMatch(
      /stranger\.json: \/provider: provider 91350100M000100Y43 is not in the provider registry/,
    );

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
