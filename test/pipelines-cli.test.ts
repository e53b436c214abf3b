import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.ts';

describe('`credit-etl pipelines validate`', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-pipelines-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file and the field of every problem, an unregistered transport included, and exits 2', async () => {
    writeFileSync(
      path.join(dir, 'feed.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'carrier-pigeon' },
        schedule: { cron: 'every night' },
        thresholds: { maxRejectRate: 2 },
      }),
    );
    writeFileSync(path.join(dir, 'not-json.json'), '{ "catalog": ');
    const result = await runCli(['pipelines', 'validate'], { CREDIT_ETL_PIPELINES_DIR: dir });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    const feed = path.join(dir, 'feed.json');
    expect(lines).toEqual([
      expect.stringMatching(`^✗ ${feed}: /schedule/cron: "every night" is not a cron expression`),
      expect.stringMatching(`^✗ ${feed}: /thresholds/maxRejectRate: must be <= 1`),
      expect.stringMatching(`^✗ ${feed}: /transport/type: transport type "carrier-pigeon" is not registered`),
      expect.stringMatching(`^✗ ${path.join(dir, 'not-json.json')}: \\(file\\): is not valid JSON`),
    ]);
  });
});
