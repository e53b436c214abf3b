import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliWithin } from './support/killed-after.ts';

// The embedded PostgreSQL's data directory (CREDIT_ETL_PG_DIR, no DATABASE_URL) has its folder made before the
// server starts. Node's recursive mkdir never returns under /proc (ENOENT there although /proc exists, retried
// forever at full CPU, deaf to SIGTERM): `runs list` hung. Each run here is killed after 20 s, so a regression fails
// instead of hanging the suite; the CLI must end at once with exit 2 (a setting to change) and one line naming it.
const PROC_DIR = `/proc/credit-etl-${process.pid}`;
const onLinux = existsSync('/proc/self');

const cannotBeMade = (dataDir: string, why: string) =>
  `the folder of the embedded PostgreSQL's data directory ${dataDir} cannot be made (${why}): ` +
  'choose another CREDIT_ETL_PG_DIR.';

describe('an embedded data directory whose folder cannot be made', { timeout: 120_000 }, () => {
  let scratch: string;
  let env: (dataDir: string) => NodeJS.ProcessEnv;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-pg-dir-under-proc-'));
    env = (dataDir) => ({
      DATABASE_URL: '',
      CREDIT_ETL_PG_DIR: dataDir,
      CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(scratch, 'reports'),
    });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.runIf(onLinux)(
    'under /proc: exit 2 at once, naming the folder and the variable; never a hang',
    async () => {
      for (const folder of [PROC_DIR, path.join(PROC_DIR, 'deeper')]) {
        const dataDir = path.join(folder, 'pg');
        const result = await cliWithin(['runs', 'list'], env(dataDir));
        expect(result.timedOut, 'the CLI hung and was killed').toBe(false);
        expect(result.code, result.stdout + result.stderr).toBe(2);
        expect(result.stderr).toBe(
          `credit-etl: ${cannotBeMade(dataDir, `cannot create directory ${folder}: /proc takes no new directory (ENOENT)`)}\n`,
        );
      }
      const json = await cliWithin(['runs', 'list', '--json'], env(path.join(PROC_DIR, 'pg')));
      expect(json.timedOut, 'the CLI hung and was killed').toBe(false);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({ status: 'usage-error', exitCode: 2 });
    },
  );

  it.runIf(onLinux)(
    '/proc itself as its folder: exit 2 naming /proc (was exit 1, a raw ENOENT of the lock)',
    async () => {
      const dataDir = `${PROC_DIR}-pg`;
      const result = await cliWithin(['runs', 'list'], env(dataDir));
      expect(result.timedOut, 'the CLI hung and was killed').toBe(false);
      expect(result.code, result.stdout + result.stderr).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(
          `^credit-etl: cannot write in /proc \\(ENOENT: .*\\), the folder of the embedded PostgreSQL's data directory ` +
            `${dataDir} \\(its start lock, password and log files go there\\): choose another CREDIT_ETL_PG_DIR\\.\n$`,
        ),
      );
    },
  );

  it('below a file: exit 2 naming the file (was exit 1, a raw EEXIST)', async () => {
    const file = path.join(scratch, 'a-file');
    writeFileSync(file, '');
    const dataDir = path.join(file, 'pg');
    const result = await cliWithin(['runs', 'list'], env(dataDir));
    expect(result.timedOut, 'the CLI hung and was killed').toBe(false);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toBe(
      `credit-etl: ${cannotBeMade(dataDir, `cannot create directory ${file}: ${file} is not a directory`)}\n`,
    );
  });
});
