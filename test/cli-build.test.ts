import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript without types (it runs before anything is compiled)
import { buildCli, currentBuild } from '../scripts/cli-build.js';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { runCli } from './support/run-cli.ts';

// The CLI's precompiled copy (scripts/cli-build.js): made from every module it reaches, used only while each
// source is as it was. The CLI's own tests run whichever is current: in CI the copy `npm ci` made (.ci/run checks
// that it is current), while sources are edited the sources.

let scratch: string;
let buildDir: string;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-cli-build-'));
  buildDir = path.join(scratch, '.build');
  await buildCli(buildDir);
}, 60_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const manifestFile = () => path.join(buildDir, 'sources.json');
const readManifest = () =>
  JSON.parse(readFileSync(manifestFile(), 'utf8')) as { root: string; sources: [string, number, number][] };

describe('the precompiled CLI', () => {
  it('is compiled module by module, the imports naming the compiled copies and JSON the checkout', () => {
    const main = readFileSync(path.join(buildDir, 'src/cli/main.js'), 'utf8');
    expect(main).toContain('from "./command-modules.js"');
    const json = /from "([^"]+package\.json)" with \{ type: "json" \}/.exec(main)?.[1];
    expect(json && path.resolve(buildDir, 'src/cli', json)).toBe(path.join(PROJECT_ROOT, 'package.json'));
    expect(main).not.toMatch(/from "[^"]+\.ts"/);
    // Not a bundle: a module's top-level constants stay constants (a bundle makes them `var`, 2× slower to hash).
    const fingerprint = readFileSync(path.join(buildDir, 'src/run/raw-fingerprint.js'), 'utf8');
    expect(fingerprint).toMatch(/^const C1 = /m);
    // The unit worker is compiled too: the thread starts it without tsx.
    expect(readFileSync(path.join(buildDir, 'src/run/unit-worker.js'), 'utf8')).toContain('parentPort');
  });

  it('is current while every source it was made from is unchanged', () => {
    const entry = currentBuild(buildDir) as URL | undefined;
    expect(entry && fileURLToPath(entry)).toBe(path.join(buildDir, 'src/cli/start.js'));
    const sources = readManifest().sources.map(([source]) => source);
    expect(sources).toEqual(
      expect.arrayContaining(['src/cli/start.ts', 'src/run/unit-worker.ts', 'package.json']),
    );
    expect(sources).toContain('scripts/cli-build.js');
  });

  it('is not current once a source differs from what it was made from, or the checkout moved', () => {
    const made = readFileSync(manifestFile(), 'utf8');
    try {
      for (const change of [
        (m: ReturnType<typeof readManifest>) => (m.sources[0]![2] -= 1000), // edited: another mtime
        (m: ReturnType<typeof readManifest>) => (m.sources[1]![1] += 1), // edited: another size
        (m: ReturnType<typeof readManifest>) => m.sources.push(['src/no-such-module.ts', 1, 1]), // deleted
        (m: ReturnType<typeof readManifest>) => (m.root = path.join(scratch, 'elsewhere')), // moved
      ]) {
        const manifest = JSON.parse(made);
        change(manifest);
        writeFileSync(manifestFile(), JSON.stringify(manifest));
        expect(currentBuild(buildDir)).toBeUndefined();
      }
      writeFileSync(manifestFile(), 'not json');
      expect(currentBuild(buildDir)).toBeUndefined();
    } finally {
      writeFileSync(manifestFile(), made);
    }
    expect(currentBuild(buildDir)).toBeDefined();
    expect(currentBuild(path.join(scratch, 'never-built'))).toBeUndefined();
  });

  it('runs the same CLI as the sources: CREDIT_ETL_FROM_SOURCE=1 takes the sources whatever is built', async () => {
    const fromSource = await runCli(['catalog', 'list'], { CREDIT_ETL_FROM_SOURCE: '1' });
    const asBuilt = await runCli(['catalog', 'list'], {});
    expect(fromSource.code, fromSource.stderr).toBe(0);
    expect(asBuilt.code, asBuilt.stderr).toBe(0);
    expect(fromSource.stdout).toContain('xzcf');
    expect(asBuilt.stdout).toBe(fromSource.stdout);
  });
});

it('the checkout root is found from the sources and from the precompiled copy alike', async () => {
  expect(PROJECT_ROOT).toBe(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const copied = await import(path.join(buildDir, 'connectors/project-root.js'));
  expect(copied.PROJECT_ROOT).toBe(scratch); // the folder holding this build's .build/
});
