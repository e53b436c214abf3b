import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { runCli } from './support/run-cli.ts';

// `catalog lint --dir <nothing there>` ended with exit 1 and a raw `ENOENT: no such file or directory, scandir …`,
// as if the catalog had a problem. A directory that is not there is the operator's mistake: exit 2 (usage), one
// line naming it and where it came from; nothing was checked.
describe('catalog lint of a directory that is not there', { timeout: 120_000 }, () => {
  let scratch: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-catalog-lint-dir-'));
    env = { CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log') };
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('--dir that does not exist: exit 2, naming it', async () => {
    const missing = path.join(scratch, 'no-such-catalog');
    const result = await runCli(['catalog', 'lint', '--dir', missing], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe(`credit-etl: catalog directory ${missing} (--dir) does not exist\n`);
    expect(result.stdout).toBe('');
  });

  it('--dir naming a file, or a path below one: exit 2, naming it', async () => {
    const file = path.join(scratch, 'xzcf.v1.json');
    writeFileSync(file, '{}');
    const onFile = await runCli(['catalog', 'lint', '--dir', file], env);
    expect(onFile.code, onFile.stderr).toBe(2);
    expect(onFile.stderr).toBe(`credit-etl: catalog directory ${file} (--dir) is not a directory\n`);
    const below = path.join(file, 'catalog');
    const belowFile = await runCli(['catalog', 'lint', '--dir', below], env);
    expect(belowFile.code, belowFile.stderr).toBe(2);
    expect(belowFile.stderr).toBe(`credit-etl: catalog directory ${below} (--dir) does not exist\n`);
  });

  it('an empty --dir (an unset variable in a script) is refused, not taken for the default catalog', async () => {
    const result = await runCli(['catalog', 'lint', '--dir', ''], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe(
      'credit-etl: --dir is empty: name the catalog directory, e.g. --dir catalog\n',
    );
    expect(result.stdout).toBe('');
  });

  it('CREDIT_ETL_CATALOG_DIR that does not exist (no --dir): exit 2, naming it and the variable', async () => {
    const missing = path.join(scratch, 'configured-catalog');
    const result = await runCli(['catalog', 'lint'], { ...env, CREDIT_ETL_CATALOG_DIR: missing });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toBe(
      `credit-etl: catalog directory ${missing} (CREDIT_ETL_CATALOG_DIR) does not exist\n`,
    );
  });

  it('the project catalog, by --dir: still linted, exit 0', async () => {
    const result = await runCli(['catalog', 'lint', '--dir', path.join(PROJECT_ROOT, 'catalog')], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^catalog lint: \d+ version\(s\) of \d+ entries OK in /);
  });
});
