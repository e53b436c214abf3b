import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';
import { loadPipelines } from '../../src/pipelines/load-pipelines.ts';
import { runPipeline } from '../../src/pipelines/run-pipeline.ts';
import { type ConsoleFixture, openConsoleFixture } from './console-fixture.ts';
import { type CliResult, runCli } from './run-cli.ts';
import { fixturePath } from './warehouse-fixture.ts';

const FIRST_ID = '370102197503090014';
const SECOND_ID = '370102198001180014';
const GONE_ID = '370102196001080014';

/**
 * Pipelines named for three people (`feed-<ID>`) whose ID numbers mask alike, to `MASKED`: FIRST's sorted before
 * SECOND's, GONE's before both (the tests remove its pipeline's file after its run; its runs stay).
 */
export const MASKING_ALIKE = {
  FIRST_ID,
  SECOND_ID,
  GONE_ID,
  FIRST: `feed-${FIRST_ID}`,
  SECOND: `feed-${SECOND_ID}`,
  GONE: `feed-${GONE_ID}`,
  MASKED: 'feed-3701**********0014',
} as const;

/** The partition day each pipeline's one run loads. */
export const ID_NAMED_PARTITION = '2026-11-20';

export interface IdNamedPipelines {
  /** The console over the warehouse the pipelines loaded into (no browser). */
  cx: ConsoleFixture;
  /** Where the pipeline files are (`<name>.json`): the CLI's `CREDIT_ETL_PIPELINES_DIR`. */
  pipelinesDir: string;
  /** Each pipeline's one run. */
  runOf: Map<string, number>;
  /** Closes the console and removes the pipelines directory. */
  close(): Promise<void>;
}

/**
 * Drop-folder pipelines of the province's 行政处罚 named `names` (named for people: `feed-<ID>`), each over its own
 * drop folder holding one day's file (the fixture's header and first two rows), and a console (no browser) over the
 * warehouse each ran once into, for ID_NAMED_PARTITION. The pipelines directory lies outside the warehouse's scratch:
 * the console is given it before the warehouse is opened.
 */
export async function openIdNamedPipelines(
  label: string,
  names: readonly string[],
): Promise<IdNamedPipelines> {
  const pipelinesDir = path.join(process.env.TMPDIR ?? '/tmp', `credit-etl-${label}-${process.pid}`);
  mkdirSync(pipelinesDir, { recursive: true });
  const cx = await openConsoleFixture(label, { pipelinesDir, browser: false });
  const close = async () => {
    await cx.close();
    rmSync(pipelinesDir, { recursive: true, force: true });
  };
  try {
    return { cx, pipelinesDir, runOf: await runEach(cx, pipelinesDir, names), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Writes each pipeline and its drop folder, and runs it once (expects each to run): each one's run. */
async function runEach(
  cx: ConsoleFixture,
  pipelinesDir: string,
  names: readonly string[],
): Promise<Map<string, number>> {
  const csv = readFileSync(fixturePath('xzcf', 'utf8-bom', 'input.csv'), 'utf8')
    .split(/\r?\n/)
    .slice(0, 3)
    .join('\n');
  for (const name of names) {
    const drop = path.join(cx.fx.scratch, name);
    mkdirSync(drop, { recursive: true });
    writeFileSync(path.join(drop, 'day.csv'), csv);
    writeFileSync(
      path.join(pipelinesDir, `${name}.json`),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: drop, markerSuffixes: [], stableSizeMs: 0 },
      }),
    );
  }
  const { pipelines, problems } = await loadPipelines(pipelinesDir, cx.deps.transports);
  expect(problems).toEqual([]);
  const runOf = new Map<string, number>();
  for (const pipeline of pipelines) {
    const result = await runPipeline(
      cx.fx.warehouse,
      cx.fx.catalog,
      pipeline,
      { partition: ID_NAMED_PARTITION, kind: 'pipeline', stagingDir: cx.deps.stagingDir },
      createLogger({ console: false }),
    );
    expect(result.status).toBe('ran');
    if (result.status === 'ran') runOf.set(pipeline.name, result.summary.runId);
  }
  expect(runOf.size).toBe(names.length);
  return runOf;
}

/** The CLI's environment over the pipelines' files and warehouse, with `extra` (an alerts file). */
export function idNamedEnv(pipelines: IdNamedPipelines, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { cx, pipelinesDir } = pipelines;
  return {
    DATABASE_URL: cx.fx.url,
    CREDIT_ETL_PIPELINES_DIR: pipelinesDir,
    CREDIT_ETL_STAGING_DIR: path.join(cx.fx.scratch, 'staging'),
    CREDIT_ETL_LOG_FILE: path.join(cx.fx.scratch, 'cli.log'),
    CREDIT_ETL_REPORT_DIR: path.join(cx.fx.scratch, 'reports'),
    ...extra,
  };
}

/**
 * Runs the CLI over the pipelines' files and warehouse (idNamedEnv, with `extra`), expecting exit code `code` (its
 * output in the message).
 */
export async function cliOverIdNamed(
  pipelines: IdNamedPipelines,
  code: number,
  args: string[],
  extra: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  const result = await runCli(args, idNamedEnv(pipelines, extra));
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
  return result;
}
