import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskedHex } from '../connectors/transports/file-drop/local-drop-port.ts';
import { maskPersonalText } from '../src/log/mask-personal-data.ts';
import { COUNT_COLUMNS } from '../src/warehouse/outcome-counts.ts';
import { type CliResult, runCli } from './support/run-cli.ts';
import { fixturePath, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/*
 * Three ways a resident ID came out in full, or a count came out masked:
 * - a file name with a control character before an ID, quoted with JSON's escape (`\u0001` + the ID: 22 digits
 *   in a row, no ID to the masker) before the engine masked the warning;
 * - a name that is not UTF-8, its bytes shown in hex: each ASCII digit d is `3d`, the hex spelled the ID;
 * - `runs show`, which masked its whole table: counts aligned by spaces read as the spaced groups of an ID.
 */
const ID = '370102197503090030';
const MASKED = '3701**********0030';
/** The ID's digits in hex, as a name's bytes spell them (`33373031…`). */
const ID_HEX = Buffer.from(ID).toString('hex');
const PROVINCE = '11370000MB2852362M';
const STABLE_MS = 50;

const gb18030 = (text: string) => iconv.encode(text, 'gb18030');

describe('maskedHex: a name’s bytes in hex, never spelling an ID', () => {
  it('masks the digits of a run of 15 or more after its first 4 and before its last 4, byte by byte', () => {
    expect(maskedHex(gb18030(`处罚${ID}.csv`))).toBe(
      `b4a6b7a3${Buffer.from('3701').toString('hex')}${'**'.repeat(10)}${Buffer.from('0030').toString('hex')}2e637376`,
    );
  });

  it('reads full-width digits and X (GB18030 A3B0–A3B9, A3D8) and spaced groups as the masker reads them', () => {
    const fullWidth = maskedHex(gb18030('３７０１０２１９７５０３０９００３Ｘ.csv'));
    expect(fullWidth).toBe(`a3b3a3b7a3b0a3b1${'****'.repeat(10)}a3b0a3b0a3b3a3d82e637376`);
    const spaced = maskedHex(gb18030('处罚370102 19750309－0030.csv'));
    // The separators stay: a space (20) and a full-width hyphen (a3ad).
    expect(spaced).toBe(`b4a6b7a333373031****20${'**'.repeat(8)}a3ad303033302e637376`);
  });

  it('leaves shorter digit runs (dates, sequence numbers) and every other byte as they are', () => {
    const name = gb18030('处罚20240101_0001.csv');
    expect(maskedHex(name)).toBe(name.toString('hex'));
    expect(maskedHex(Buffer.from([0x81, 0x30]))).toBe('8130');
  });
});

describe('credit-etl: IDs in refused file names, and runs show’s counts', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  let pipelines: string;
  beforeAll(async () => {
    fx = await openWarehouseFixture('ids_in_names');
    pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelines);
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
    };
  });
  afterAll(async () => fx?.close());

  /** A drop folder and its pipeline, named `name`. */
  function dropFolder(name: string): string {
    const inbox = path.join(fx.scratch, name);
    mkdirSync(inbox);
    writeFileSync(
      path.join(pipelines, `${name}.json`),
      JSON.stringify({
        catalog: 'xzcf',
        provider: PROVINCE,
        level: 'province',
        transport: { type: 'drop-folder', directory: inbox, stableSizeMs: STABLE_MS },
        retry: { attempts: 1, backoffSeconds: 0 },
      }),
    );
    return inbox;
  }

  /** `run <pipeline> --json`, then `runs show` and `runs show --json` of its run: every output, and their log. */
  async function everyOutput(pipeline: string): Promise<{ warnings: string[]; outputs: string[] }> {
    const log = path.join(fx.scratch, `${pipeline}.log`);
    const withLog = { ...env, CREDIT_ETL_LOG_FILE: log };
    const ran = await runCli(['run', pipeline, '--json'], withLog);
    expect(ran.code, ran.stderr).toBe(0);
    const summary = JSON.parse(ran.stdout) as {
      runId: number;
      warnings?: { code: string; message: string }[];
    };
    const shown = await runCli(['runs', 'show', String(summary.runId)], withLog);
    const shownJson = await runCli(['runs', 'show', String(summary.runId), '--json'], withLog);
    for (const result of [shown, shownJson]) expect(result.code, result.stderr).toBe(0);
    const logText = readFileSync(log, 'utf8');
    const texts = (result: CliResult) => [result.stdout, result.stderr];
    return {
      warnings: (summary.warnings ?? []).map((warning) => warning.message),
      outputs: [...texts(ran), ...texts(shown), ...texts(shownJson), logText],
    };
  }

  it('a control character before an ID in a refused name: the name is masked in --json, stderr, the log and runs show', async () => {
    const inbox = dropFolder('control');
    writeFileSync(path.join(inbox, `ab\u0001${ID}.csv`), 'a');
    const { warnings, outputs } = await everyOutput('control');
    for (const output of outputs) expect(output).not.toContain(ID);
    expect(warnings).toEqual([
      expect.stringContaining(`"ab\\u0001${MASKED}.csv" is not taken (contains control characters)`),
    ]);
    expect(outputs.join('\n')).toContain(MASKED);
  });

  it('a name that is not UTF-8: its bytes in hex never spell the ID the name as read shows masked', async () => {
    const inbox = dropFolder('gbk');
    const name = Buffer.concat([Buffer.from(path.join(inbox, path.sep)), gb18030(`处罚${ID}.csv`)]);
    writeFileSync(name, 'x');
    writeFileSync(Buffer.concat([name, Buffer.from('.ok')]), '');
    const { warnings, outputs } = await everyOutput('gbk');
    for (const output of outputs) {
      expect(output).not.toContain(ID);
      expect(output).not.toContain(ID_HEX.slice(8, -8));
    }
    expect(warnings).toEqual([
      expect.stringContaining(`"处罚${MASKED}.csv" is not taken (its name is not UTF-8`),
    ]);
    expect(warnings[0]).toContain(
      `bytes b4a6b7a3${ID_HEX.slice(0, 8)}${'**'.repeat(10)}${ID_HEX.slice(-8)}2e637376`,
    );
  });

  it('runs show prints a conflicting city delivery’s counts as counted, not masked as an ID', async () => {
    await fx.ingest([fixturePath('xzcf', 'utf8-bom', 'input.csv')], {
      provider: PROVINCE,
      level: 'province',
    });
    const city = await fx.ingest([fixturePath('xzcf', 'gb18030', 'input.csv')], {
      provider: '11370100MB28174284',
      level: 'city',
    });
    const counts = COUNT_COLUMNS.map((column) => city.counts[column] ?? 0);
    // What the old whole-line masking took for an ID: the seconds' decimal and these counts, one spaced run.
    expect(maskPersonalText(`0.2  ${counts.join('  ')}`)).toContain('*');
    const shown = await runCli(['runs', 'show', String(city.runId)], env);
    expect(shown.code, shown.stderr).toBe(0);
    const row = shown.stdout.split('\n').find((line) => /\bloaded\b/.test(line));
    expect(row).toMatch(new RegExp(`loaded\\s+\\d+\\.\\d\\s+${counts.join('\\s+')}$`));
    expect(shown.stdout).not.toContain('*');
  });

  it('runs show masks a file name where it prints it, also in --json after a control character', async () => {
    const file = path.join(fx.scratch, `ab\u0001${ID}.csv`);
    writeFileSync(file, readFileSync(fixturePath('xzcf', 'gb18030', 'input.csv')));
    const summary = await fx.ingest([file], { provider: '11370100MB28174284', level: 'city' });
    const shown = await runCli(['runs', 'show', String(summary.runId)], env);
    const shownJson = await runCli(['runs', 'show', String(summary.runId), '--json'], env);
    for (const result of [shown, shownJson]) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).not.toContain(ID);
    }
    expect(shown.stdout).toContain(`ab\u0001${MASKED}.csv`);
    const json = JSON.parse(shownJson.stdout) as {
      files: { name: string }[];
      counts: Record<string, number>;
    };
    expect(json.files.map((each) => each.name)).toEqual([`ab\u0001${MASKED}.csv`]);
    expect(json.counts.read).toBe(summary.counts.read);
  });
});
