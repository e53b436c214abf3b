import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { runCli } from './support/run-cli.ts';

// A `fieldMapping` target no column may carry (no field of the entry, in the version the pipeline reads by) would
// fail every file of the feed as `unknown-columns`, moved to failed/ and charged to the provider for the
// platform's mistake. It is refused where the pipeline is read, as an unknown entry is: exit 2, naming the
// pipeline, the source column, the target, the entry and its closest field (or its fields).
describe('a pipeline whose fieldMapping maps a column to no field of its entry', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-field-mapping-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function pipelines(label: string, definitions: Record<string, Record<string, unknown>>) {
    const folder = path.join(dir, label);
    mkdirSync(path.join(folder, 'inbox'), { recursive: true });
    for (const [name, fields] of Object.entries(definitions)) {
      writeFileSync(
        path.join(folder, `${name}.json`),
        JSON.stringify({
          catalog: 'xzcf',
          provider: '11370000MB2852362M',
          level: 'province',
          transport: { type: 'drop-folder', directory: path.join(folder, 'inbox') },
          schedule: { cron: '0 30 1 * * *' },
          ...fields,
        }),
      );
    }
    return {
      folder,
      env: {
        CREDIT_ETL_PIPELINES_DIR: folder,
        CREDIT_ETL_LOG_FILE: path.join(dir, 'cli.log'),
        // Never reached: every command here stops before the warehouse opens.
        DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none',
      },
    };
  }

  it('`pipelines validate` refuses it (exit 2) naming the closest field or listing them; every target a run matches passes', async () => {
    const { folder, env } = pipelines('validate', {
      // What a run's header matching takes: a code in any case, a title without 行政, an alias, a legacy
      // layout's source field (no catalogVersion: any version), a column the pipeline ignores or reads itself.
      good: {
        fieldMapping: {
          文号: 'cf_wsh',
          决定书文号: '处罚决定书文号',
          名称: '处罚名称',
          类别一: 'CF_CFLB1',
          记录ID: 'row_id',
          删除标记: 'DEL_FLAG',
        },
        ignoreColumns: ['row_id'],
        withdrawals: { softDelete: { column: 'del_flag', values: ['1'] } },
      },
      typo: { fieldMapping: { 处罚文书号: 'CF_WSHX' } },
      unknown: { fieldMapping: { 'a/b': '处罚文号' } },
      // Version 1 has no legacy 处罚类别1 column: read by version 1 only, the mapping is refused.
      versioned: { catalogVersion: 1, fieldMapping: { 类别一: 'CF_CFLB1' } },
    });
    const result = await runCli(['pipelines', 'validate'], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout.trim().split('\n')).toEqual([`✓ ${path.join(folder, 'good.json')}`]);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual(
      `✗ ${path.join(folder, 'typo.json')}: /fieldMapping/处罚文书号: pipeline typo maps source column "处罚文书号" to "CF_WSHX", but catalog entry xzcf (行政处罚) has no field of that name in any version (the closest is CF_WSH (行政处罚决定书文号)): map it to a field's code or title (credit-etl catalog show xzcf); as it is, every file of the feed would fail as unknown-columns, charged to the provider`,
    );
    const unknown = lines.find((line) => line.startsWith(`✗ ${path.join(folder, 'unknown.json')}: `));
    expect(unknown).toMatch(
      /: \/fieldMapping\/a~1b: pipeline unknown maps source column "a\/b" to "处罚文号", but catalog entry xzcf \(行政处罚\) has no field of that name in any version \(its fields: CF_/,
    );
    expect(unknown).toContain('CF_WSH (行政处罚决定书文号)');
    expect(unknown).toContain('CF_CFJGDM (处罚机关统一社会信用代码)');
    expect(lines).toContainEqual(
      expect.stringMatching(
        `^✗ ${path.join(folder, 'versioned.json')}: /fieldMapping/类别一: pipeline versioned maps source column "类别一" to "CF_CFLB1", but catalog entry xzcf \\(行政处罚\\) has no field of that name in version 1 \\(the closest is CF_CFLB \\(处罚类别\\)\\)`,
      ),
    );
  });

  it('`schedule` does not start (exit 2) and `run` runs nothing (exit 2, usage-error with --json)', async () => {
    const { folder, env } = pipelines('schedule', { typo: { fieldMapping: { 处罚文书号: 'CF_WSHX' } } });
    const schedule = await runCli(['schedule'], env);
    expect(schedule.code, schedule.stderr).toBe(2);
    expect(schedule.stderr).toContain(
      `${path.join(folder, 'typo.json')}: /fieldMapping/处罚文书号: pipeline typo maps source column "处罚文书号" to "CF_WSHX"`,
    );

    const run = await runCli(['run', 'typo', '--json'], env);
    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'usage-error',
      exitCode: 2,
      error: expect.stringContaining(
        '/fieldMapping/处罚文书号: pipeline typo maps source column "处罚文书号" to "CF_WSHX", but catalog entry xzcf',
      ),
    });
  });

  it('every pipeline the repository ships, and the documented example, still validates', async () => {
    const shipped = await runCli(['pipelines', 'validate'], {
      CREDIT_ETL_PIPELINES_DIR: path.join(PROJECT_ROOT, 'pipelines'),
      CREDIT_ETL_LOG_FILE: path.join(dir, 'cli.log'),
      DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none',
    });
    expect(shipped.code, shipped.stderr).toBe(0);
    expect(shipped.stdout.trim().split('\n')).toHaveLength(
      readdirSync(path.join(PROJECT_ROOT, 'pipelines')).filter((name) => name.endsWith('.json')).length,
    );

    // docs/pipelines-and-channels.md's example pipeline (its fieldMapping included).
    const doc = readFileSync(path.join(PROJECT_ROOT, 'docs/pipelines-and-channels.md'), 'utf8');
    const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)]
      .map((match) => match[1] ?? '')
      .filter((text) => text.trim().startsWith('{') && text.includes('"transport"'));
    expect(examples.length).toBeGreaterThan(0);
    const folder = path.join(dir, 'documented');
    mkdirSync(folder);
    for (const [i, text] of examples.entries()) writeFileSync(path.join(folder, `example-${i}.json`), text);
    expect(examples.some((text) => 'fieldMapping' in JSON.parse(text))).toBe(true);
    const documented = await runCli(['pipelines', 'validate'], {
      CREDIT_ETL_PIPELINES_DIR: folder,
      CREDIT_ETL_LOG_FILE: path.join(dir, 'cli.log'),
      DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none',
    });
    expect(documented.code, documented.stderr).toBe(0);
  });
});
