import path from 'node:path';
import { expect } from 'vitest';
import { findRecords } from '../../src/records/record-history.ts';
import { runCli } from './run-cli.ts';
import type { WarehouseFixture } from './warehouse-fixture.ts';

/**
 * The CLI as an operator runs it against the fixture (`fixture()` is read at each call: one opened in beforeAll),
 * its log `<scratch>/cli.log`. `json` adds `--json`, expects exit 0 and gives the parsed output.
 */
export function fixtureCli(fixture: () => WarehouseFixture) {
  const cli = (args: string[]) => {
    const fx = fixture();
    return runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });
  };
  const json = async (args: string[]) => {
    const result = await cli([...args, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  };
  return { cli, json };
}

/** The id of the one record whose decision number is `decision` (expects exactly one). */
export async function recordIdOf(fx: WarehouseFixture, decision: string): Promise<number> {
  const found = await findRecords(fx.warehouse, decision);
  expect(found).toHaveLength(1);
  return found[0]!.id;
}
