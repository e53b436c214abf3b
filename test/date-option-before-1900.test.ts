import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.ts';

/**
 * A date option before 1900 names a day that was: the CLI says it is too early, naming the option and the value
 * as typed, in the words of its other date-option errors, not that it is "not a real date". Each is refused before
 * a connection is opened, so the database named here need not exist.
 */
describe('a date option before 1900', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-date-1900-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const cli = (...args: string[]) =>
    runCli(args, {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/credit_etl_no_such_database',
      CREDIT_ETL_LOG_FILE: path.join(scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(scratch, 'reports'),
    });
  const tooEarly = (option: string) =>
    `${option} is too early (dates before 1900 are not accepted): use a date from 1900-01-01 on`;

  it.each([
    [
      ['report', 'quality', '--from', '0001-01-01', '--to', '2026-11-30', '--out', 'q.html'],
      '--from 0001-01-01',
    ],
    [
      [
        'report',
        'notice',
        '--provider',
        '11370000MB2852362M',
        '--from',
        '2026-11-01',
        '--to',
        '1899-12-31',
        '--out',
        'n.xlsx',
      ],
      '--to 1899-12-31',
    ],
    [['backfill', 'any', '--from', '1899-12-31', '--to', '2026-11-30'], '--from 1899-12-31'],
    [['objection', 'list', '--as-of', '0001-01-01'], '--as-of 0001-01-01'],
    [['runs', 'list', '--since', '1899-12-31T23:00'], '--since 1899-12-31T23:00'],
  ])('%j is a usage error (exit 2) saying so', async (args, option) => {
    const result = await cli(...args);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(tooEarly(option));
    expect(result.stderr).not.toContain('not a real date');
  });

  it('an impossible day is still called not real; 1900-01-01 is taken, the day before it named', async () => {
    const result = await cli('objection', 'list', '--as-of', '1900-02-29');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--as-of 1900-02-29 is not a real date (1900-02 has 28 days): use e.g. 2026-10-01',
    );
    const quality = await cli(
      'report',
      'quality',
      '--from',
      '1900-01-01',
      '--to',
      '1899-12-31',
      '--out',
      'q.html',
    );
    expect(quality.stderr).toContain(tooEarly('--to 1899-12-31'));
  });
});
