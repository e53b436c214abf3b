import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { toCsv } from '../../fixtures/generate/penalty-rows.ts';
import { runCli } from './run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './warehouse-fixture.ts';

/** 济南市 in config/providers.json: pipelines name registered providers. */
export const CITY_PROVIDER = '11370100MB28174284';

const OUTCOME_KEYS = ['inserted', 'updated', 'unchanged', 'merged', 'conflict', 'withdrawn', 'rejected'];

/** The outcomes of a summary's counts, added up: equals `read` when nothing is lost. */
export const outcomeSum = (counts: Record<string, number>) =>
  OUTCOME_KEYS.reduce((sum, key) => sum + (counts[key] ?? 0), 0);

export type CliPipelineFixture = Awaited<ReturnType<typeof openCliPipelineFixture>>;

/** A warehouse, a pipelines directory and a drop folder per test file; the CLI as an operator runs it. */
export async function openCliPipelineFixture(label: string) {
  const fx = await openWarehouseFixture(label);
  const pipelines = path.join(fx.scratch, 'pipelines');
  mkdirSync(pipelines);
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: fx.url,
    CREDIT_ETL_PIPELINES_DIR: pipelines,
    CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
    CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
  };
  const pipeline = (name: string, definition: Record<string, unknown>) =>
    writeFileSync(
      path.join(pipelines, `${name}.json`),
      JSON.stringify({ catalog: 'xzcf', provider: CITY_PROVIDER, level: 'city', ...definition }),
    );
  const cli = async (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { ...env, ...extra });
  const runJson = async (name: string, extra: NodeJS.ProcessEnv = {}) => {
    const result = await cli(['run', name, '--json'], extra);
    return { code: result.code, stderr: result.stderr, summary: JSON.parse(result.stdout || '{}') };
  };
  return { fx, pipeline, cli, runJson, env };
}

/** A drop folder whose files load as soon as their `.ok` marker is there. */
export function dropFolder(fx: WarehouseFixture, name: string) {
  const directory = path.join(fx.scratch, name);
  mkdirSync(directory, { recursive: true });
  return {
    transport: { type: 'drop-folder', directory },
    deliver(file: string, header: string[], rows: string[][]) {
      writeFileSync(path.join(directory, file), toCsv(header, rows));
      writeFileSync(path.join(directory, `${file}.ok`), '');
    },
  };
}

/** The procedure log's withdrawals, oldest first. */
export const withdrawEntries = (fx: WarehouseFixture) =>
  fx
    .warehouse('procedure_log')
    .where({ kind: 'withdraw' })
    .orderBy('id')
    .select('id', 'record_id', 'basis', 'operator');
