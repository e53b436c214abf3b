import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliPipelineFixture, openCliPipelineFixture } from './support/cli-pipeline-fixture.ts';
import { type HttpTestServer, startHttpTestServer } from './support/http-test-server.ts';
import { PENALTY_HEADER, penaltyFieldCodes, penaltyRows } from './support/penalty-delivery.ts';
import { startCli } from './support/run-cli.ts';
import {
  createPenaltyTable,
  insertPenalties,
  openSourceDatabase,
  penaltyColumns,
  type SourceDatabase,
} from './support/source-database.ts';

/** Rows in the unit being loaded when the stop comes: its COPY into staging lasts long enough to be seen. */
const BIG = 20_000;
const STOPPED = 'stopped by SIGTERM after the current file: the files not read are left for the next run';

// The first SIGTERM lets the unit being loaded finish and starts no other: the run is `interrupted` if units were
// left for the next run, and ends as its units did (`completed`) if the stop came during the last one — as the drop
// folder does (pipeline-stop-during-last-file.test.ts, graceful-stop.test.ts), for a 前置库 table's batches and a
// data interface's pages, through the real CLI.
describe('run: SIGTERM while a 前置库 batch or an interface page loads', { timeout: 240_000 }, () => {
  let cli: CliPipelineFixture;
  let source: SourceDatabase;
  let http: HttpTestServer;

  beforeAll(async () => {
    cli = await openCliPipelineFixture('stop_table_http');
    source = await openSourceDatabase('postgres', 'stop_table');
    http = await startHttpTestServer();
  });
  afterAll(async () => {
    await http?.close();
    await source?.drop();
    await cli?.fx.close();
  });

  /** `run <name> --json`, sent SIGTERM once the COPY of its first unit into staging runs. */
  async function stoppedWhileCopying(name: string, env: NodeJS.ProcessEnv) {
    const running = startCli(['run', name, '--json'], { ...cli.env, ...env });
    const copying = async () =>
      (
        await cli.fx.owner.raw(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY stage%'`,
        )
      ).rows.length > 0;
    for (let tries = 0; !(await copying()); tries++) {
      expect(tries, `the COPY into staging never started:\n${running.output()}`).toBeLessThan(1200);
      await sleep(50);
    }
    running.child.kill('SIGTERM');
    return finished(running.result);
  }

  async function finished(result: Promise<{ code: number | null; stdout: string; stderr: string }>) {
    const { code, stdout, stderr } = await result;
    const summary = JSON.parse(stdout.trim().split('\n').at(-1) || '{}');
    const run = await cli.fx.warehouse('runs').where({ id: summary.runId }).first();
    return { code, stderr, summary, run };
  }

  const loaded = (summary: { files: { name: string; status: string; counts: { read: number } }[] }) =>
    summary.files.map((file) => [file.status, file.counts.read]);

  describe('a 前置库 table', () => {
    let tables = 0;
    /** A table of `rows` rows read in batches of `batchSize`, and its pipeline. */
    async function table(rows: number, batchSize: number): Promise<string> {
      const name = `xzcf_stop_${++tables}`;
      await createPenaltyTable(source.db, name);
      await insertPenalties(source.db, name, penaltyRows(rows, name), '2026-11-20 10:00:00.000001');
      cli.pipeline(name, {
        transport: {
          type: 'table',
          urlEnv: 'QZK_URL',
          table: name,
          columns: Object.fromEntries(penaltyColumns().map((column, i) => [column, PENALTY_HEADER[i]])),
          cursor: { column: 'updated_at', tieBreaker: 'id' },
          batchSize,
          pageSize: 1000,
        },
        retry: { attempts: 1, backoffSeconds: 0 },
      });
      return name;
    }
    const env = () => ({ QZK_URL: source.url });

    it('during the first of two batches: the batch loads, the run is interrupted, the next run reads the rest', async () => {
      const name = await table(BIG + 5, BIG);
      const { code, stderr, summary, run } = await stoppedWhileCopying(name, env());
      expect(code, stderr).toBe(0);
      expect(summary.status).toBe('interrupted');
      expect(loaded(summary)).toEqual([['loaded', BIG]]);
      expect(run).toMatchObject({ status: 'interrupted', error: STOPPED });

      const next = await finished(startCli(['run', name, '--json'], { ...cli.env, ...env() }).result);
      expect(next.code, next.stderr).toBe(0);
      expect(next.summary.status).toBe('completed');
      expect(loaded(next.summary)).toEqual([['loaded', 5]]);
    });

    it('during its only batch: the batch loads, the run is completed, not interrupted nor failed', async () => {
      const name = await table(BIG, 2 * BIG);
      const { code, stderr, summary, run } = await stoppedWhileCopying(name, env());
      expect(code, stderr).toBe(0);
      expect(summary.status).toBe('completed');
      expect(loaded(summary)).toEqual([['loaded', BIG]]);
      expect(run).toMatchObject({ status: 'completed', error: null });
    });
  });

  describe('a data interface', () => {
    const codes = penaltyFieldCodes();
    let interfaces = 0;
    /** The interface serving `rows` records in pages of `size`, and its pipeline. */
    function pages(rows: number, size: number): string {
      const name = `http-stop-${++interfaces}`;
      http.records.length = 0;
      http.records.push(
        ...penaltyRows(rows, name).map((row) =>
          Object.fromEntries(codes.map((code, i) => [code, row[i] ?? ''])),
        ),
      );
      cli.pipeline(name, {
        transport: {
          type: 'http',
          url: http.url,
          paging: { mode: 'page', size },
          recordsPath: 'data.list',
          columns: Object.fromEntries(codes.map((code) => [code, code])),
          timeoutMs: 60_000,
          retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 100 },
        },
        retry: { attempts: 1, backoffSeconds: 0 },
      });
      return name;
    }

    it('during the first of two pages: the page loads, the run is interrupted, the next run reads the rest', async () => {
      const name = pages(BIG + 5, BIG);
      const requests = http.requests.length;
      const { code, stderr, summary, run } = await stoppedWhileCopying(name, {});
      expect(code, stderr).toBe(0);
      expect(summary.status).toBe('interrupted');
      expect(loaded(summary)).toEqual([['loaded', BIG]]);
      expect(run).toMatchObject({ status: 'interrupted', error: STOPPED });
      // No page asked for after the stop.
      expect(http.requests.length - requests).toBe(1);

      const next = await finished(startCli(['run', name, '--json'], cli.env).result);
      expect(next.code, next.stderr).toBe(0);
      expect(next.summary.status).toBe('completed');
      // The page loaded before is not asked for again (the ledger has its records): only the one left.
      expect(loaded(next.summary)).toEqual([['loaded', 5]]);
    });

    it('while the next page is being fetched: the request is dropped, the run is interrupted', async () => {
      const name = pages(15, 10);
      const requests = http.requests.length;
      // The second page takes long to come: the stop arrives while the run waits for it.
      http.script.push({ kind: 'ok' }, { kind: 'slow', ms: 30_000 });
      const running = startCli(['run', name, '--json'], cli.env);
      for (let tries = 0; http.requests.length - requests < 2; tries++) {
        expect(tries, `the second page was never asked for:\n${running.output()}`).toBeLessThan(1200);
        await sleep(50);
      }
      running.child.kill('SIGTERM');
      const { code, stderr, summary, run } = await finished(running.result);
      http.script.length = 0;
      expect(code, stderr).toBe(0);
      expect(summary.status).toBe('interrupted');
      expect(loaded(summary)).toEqual([['loaded', 10]]);
      expect(run).toMatchObject({ status: 'interrupted', error: STOPPED });
    });

    it('during its only page: the page loads, the run is completed, not interrupted nor failed', async () => {
      const name = pages(BIG, 2 * BIG);
      const { code, stderr, summary, run } = await stoppedWhileCopying(name, {});
      expect(code, stderr).toBe(0);
      expect(summary.status).toBe('completed');
      expect(loaded(summary)).toEqual([['loaded', BIG]]);
      expect(run).toMatchObject({ status: 'completed', error: null });
    });
  });
});
