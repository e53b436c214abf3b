import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayWidth } from '../src/cli/format-table.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { RUN_STATUSES } from '../src/warehouse/runs-repository.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli, startCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVIDER = '11370100MB28174284'; // 济南市 in config/providers.json

describe('CLI polish (issue 18 item 7; the real CLI on real PostgreSQL)', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  const ingest = (file: string, ...extra: string[]) =>
    runCli(
      ['ingest', file, '--catalog', 'xzcf', '--provider', PROVIDER, '--level', 'city', '--json', ...extra],
      env,
    );

  beforeAll(async () => {
    fx = await openWarehouseFixture('cli_polish');
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
      CREDIT_ETL_PIPELINES_DIR: path.join(fx.scratch, 'pipelines'),
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
    };
  });
  afterAll(async () => fx?.close());

  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
    const result = await runCli(['--version'], env);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('runs show prints each file id (what report rejections --file takes), its encoding and the attempts', {
    timeout: 60_000,
  }, async () => {
    const { file } = writePenaltyCsv(fx.scratch, 'show.csv', 20, { badShare: 0.2, seed: 3 });
    const run = await ingest(file);
    const summary = JSON.parse(run.stdout);
    const result = await runCli(['runs', 'show', String(summary.runId)], env);
    expect(result.code, result.stderr).toBe(0);
    const [stored] = await fx
      .warehouse('source_files')
      .where({ run_id: summary.runId })
      .select('id', 'encoding');
    expect(result.stdout).toMatch(/\b1 attempt\b/);
    const header = result.stdout.split('\n').find((line) => line.startsWith('file id'));
    expect(header).toMatch(/^file id\s+file\s+encoding\b/);
    const line = result.stdout.split('\n').find((candidate) => candidate.includes('show.csv'));
    expect(line?.split(/\s+/).slice(0, 3)).toEqual([String(stored.id), 'show.csv', stored.encoding]);
    // The id shown is the one the rejection report accepts.
    const report = await runCli(
      ['report', 'rejections', '--file', String(stored.id), '--out', path.join(fx.scratch, 'show.json')],
      env,
    );
    expect(report.code, report.stderr).toBe(0);
  });

  it('runs list --status refuses an unknown status (exit 2, naming the valid ones); failed includes failed-threshold', {
    timeout: 60_000,
  }, async () => {
    const { file } = writePenaltyCsv(fx.scratch, 'over.csv', 20, { badShare: 0.5, seed: 4 });
    const over = JSON.parse((await ingest(file, '--max-reject-rate', '0.01')).stdout);
    expect(over.status).toBe('failed-threshold');

    const bad = await runCli(['runs', 'list', '--status', 'failled'], env);
    expect(bad.code).toBe(2);
    for (const status of RUN_STATUSES) expect(bad.stderr).toContain(status);

    const failed = await runCli(['runs', 'list', '--status', 'failed', '--json'], env);
    expect(failed.code, failed.stderr).toBe(0);
    expect(JSON.parse(failed.stdout).map((run: { id: number }) => run.id)).toContain(over.runId);
    const completed = await runCli(['runs', 'list', '--status', 'completed', '--json'], env);
    expect(JSON.parse(completed.stdout).map((run: { id: number }) => run.id)).not.toContain(over.runId);
  });

  it('catalog show wraps to 100 columns when piped (no 1000-character lines)', async () => {
    const result = await runCli(['catalog', 'show', 'xzcf'], env);
    expect(result.code, result.stderr).toBe(0);
    const widest = Math.max(...result.stdout.split('\n').map(displayWidth));
    expect(widest).toBeLessThanOrEqual(100);
    // Nothing is lost by wrapping: the longest code list's last value is still there.
    expect(result.stdout).toContain('台湾居民来往大陆通行证');
  });

  it('backfill writes each day’s rejection report, as run does', { timeout: 120_000 }, async () => {
    const day = '2026-11-20';
    const inbox = path.join(fx.scratch, 'inbox', day);
    mkdirSync(inbox, { recursive: true });
    mkdirSync(env.CREDIT_ETL_PIPELINES_DIR!, { recursive: true });
    writePenaltyCsv(inbox, 'day.csv', 20, { badShare: 0.3, seed: 5 });
    writeFileSync(path.join(inbox, 'day.csv.ok'), '');
    writeFileSync(
      path.join(env.CREDIT_ETL_PIPELINES_DIR!, 'feed.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: PROVIDER,
        level: 'city',
        transport: { type: 'drop-folder', directory: path.join(fx.scratch, 'inbox', '{date}') },
      }),
    );
    const result = await runCli(['backfill', 'feed', '--from', day, '--to', day], env);
    expect(result.code, result.stderr).toBe(0);
    const run = await fx.warehouse('runs').where({ pipeline: 'feed', partition_date: day }).first('id');
    const report = path.join(env.CREDIT_ETL_REPORT_DIR!, `run-${run.id}-rejections.csv`);
    expect(result.stdout).toContain(`rejection report ${day} (run ${run.id}): ${report}`);
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, 'utf8')).toContain('day.csv');
  });

  it('a reader of stderr that stops early (`2>&1 | head -1`) leaves the run to finish: completed, exit 0', {
    timeout: 60_000,
  }, async () => {
    const { file } = writePenaltyCsv(fx.scratch, 'closed-stderr.csv', 2_000, { badShare: 0.1, seed: 5 });
    const running = startCli(
      ['ingest', file, '--catalog', 'xzcf', '--provider', PROVIDER, '--level', 'city', '--json'],
      env,
    );
    // The first console line read, the reader goes away: every later line meets a closed pipe.
    running.child.stderr?.once('data', () => running.child.stderr?.destroy());
    const result = await running.result;
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    const [run] = await fx.warehouse('runs').where({ id: summary.runId }).select('status');
    expect(run?.status).toBe('completed');
  });
});
