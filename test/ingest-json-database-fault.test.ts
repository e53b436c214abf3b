import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-json-fault-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port on this machine nothing listens on: one the system just handed out, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('--json stays JSON when the database fails', () => {
  it('prints nothing on stdout but JSON: knex’s connection warnings go to stderr', async () => {
    const { file } = writePenaltyCsv(dir, 'clean.csv', 5, { seed: 401 });
    const databaseUrl = `postgres://postgres:secret@127.0.0.1:${await closedPort()}/nowhere`;
    const result = await runCli(
      ['ingest', file, '--catalog', 'xzcf', '--provider', '11370100MB28174284', '--level', 'city', '--json'],
      {
        DATABASE_URL: databaseUrl,
        CREDIT_ETL_LOG_FILE: path.join(dir, 'cli.log'),
        CREDIT_ETL_REPORT_DIR: path.join(dir, 'reports'),
      },
    );
    expect(result.code, result.stderr).toBe(1);
    const port = new URL(databaseUrl).port;
    // knex said "Acquire connection error: … ECONNREFUSED" with a stack on stdout. Now stdout is one JSON object:
    // the failure (no run summary was printed).
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('ECONNREFUSED');
    // The operator is told it was the warehouse's database that could not be reached, and where (not the password).
    expect(result.stderr).toContain(
      `credit-etl: failed: the warehouse database at 127.0.0.1:${port}/nowhere could not be reached`,
    );
    expect(JSON.parse(result.stdout).error).toContain(`127.0.0.1:${port}/nowhere could not be reached`);
    expect(result.stderr + result.stdout).not.toContain('secret');
  });
});
