import path from 'node:path';
import { expect } from 'vitest';
import { findRecords } from '../../src/records/record-history.ts';
import { type CliResult, runCli } from './run-cli.ts';
import type { WarehouseFixture } from './warehouse-fixture.ts';

const cliEnv = (fx: WarehouseFixture) => ({
  DATABASE_URL: fx.url,
  CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
});

/**
 * The CLI as an operator runs it against the fixture (`fixture()` is read at each call: one opened in beforeAll),
 * its log `<scratch>/cli.log`. `json` adds `--json`, expects exit 0 and gives the parsed output.
 */
export function fixtureCli(fixture: () => WarehouseFixture) {
  const cli = (args: string[]) => runCli(args, cliEnv(fixture()));
  const json = async (args: string[]) => {
    const result = await cli([...args, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  };
  return { cli, json };
}

/**
 * The CLI against the fixture as a test of what every output shows runs it (`fixture()` read at each call, its log
 * `<scratch>/cli.log`, `extraEnv` added): each call is labelled, must exit 0 (a failure names the label and the
 * CLI's stderr), and its result is handed to `keep` under the label.
 */
export function labelledCli(
  fixture: () => WarehouseFixture,
  keep: (label: string, result: CliResult) => void,
  extraEnv: (fx: WarehouseFixture) => NodeJS.ProcessEnv = () => ({}),
) {
  return async (label: string, ...args: string[]): Promise<CliResult> => {
    const fx = fixture();
    const result = await runCli(args, { ...cliEnv(fx), ...extraEnv(fx) });
    expect(result.code, `${label}: ${result.stderr}`).toBe(0);
    keep(label, result);
    return result;
  };
}

/** A labelledCli that keeps what each call printed (stdout, then stderr) in `outputs` under its label. */
export function outputsCli(
  fixture: () => WarehouseFixture,
  extraEnv?: (fx: WarehouseFixture) => NodeJS.ProcessEnv,
) {
  const outputs = new Map<string, string>();
  const cli = labelledCli(
    fixture,
    (label, result) => outputs.set(label, result.stdout + result.stderr),
    extraEnv,
  );
  return { outputs, cli };
}

/**
 * The CLI run from source (as `CREDIT_ETL_FROM_SOURCE=1`: no build needed) against the fixture (`fixture()` read at
 * each call), its log `<scratch>/cli.log`, its reports in `<scratch>/reports`.
 */
export function fromSourceCli(fixture: () => WarehouseFixture) {
  return (args: string[]): Promise<CliResult> => {
    const fx = fixture();
    return runCli(args, {
      ...cliEnv(fx),
      CREDIT_ETL_FROM_SOURCE: '1',
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    });
  };
}

/**
 * The CLI against the fixture with a catalog folder of the test's own (`catalogDir()` read at each call, as
 * `CREDIT_ETL_CATALOG_DIR`: a copy made in beforeAll), its log `<scratch>/cli.log`, its reports in
 * `<scratch>/reports`.
 */
export function catalogCli(fixture: () => WarehouseFixture, catalogDir: () => string) {
  return (args: string[]): Promise<CliResult> => {
    const fx = fixture();
    return runCli(args, {
      ...cliEnv(fx),
      CREDIT_ETL_CATALOG_DIR: catalogDir(),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    });
  };
}

/** The grounds `repair` requires (`--basis`, `--reason`, `--operator`), as an officer gives them. */
export const REPAIR_GROUNDS: readonly string[] = [
  '--basis',
  '鲁信修〔2026〕8号',
  '--reason',
  '已履行处罚义务并作出信用承诺',
  '--operator',
  '王科员',
];

/** The id of the one record whose decision number is `decision` (expects exactly one). */
export async function recordIdOf(fx: WarehouseFixture, decision: string): Promise<number> {
  const found = await findRecords(fx.warehouse, decision);
  expect(found).toHaveLength(1);
  return found[0]!.id;
}
