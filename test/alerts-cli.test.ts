import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAlertsConfig } from '../src/alerts/alerts-config.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { partitionDay } from '../src/pipelines/partition-day.ts';
import { DEFAULT_PARTITION } from '../src/pipelines/pipeline-definition.ts';
import { type AlertReceiver, startAlertReceiver } from './support/alert-receivers.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVIDER = '11370100MB28174284'; // 济南市 in config/providers.json

describe('alerts from the real CLI process (credit-etl run)', () => {
  let fx: WarehouseFixture;
  let receiver: AlertReceiver;
  let env: NodeJS.ProcessEnv;
  const alertsFile = () => env.CREDIT_ETL_ALERTS_FILE!;

  beforeAll(async () => {
    fx = await openWarehouseFixture('alerts_cli');
    receiver = await startAlertReceiver();
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
      CREDIT_ETL_PIPELINES_DIR: path.join(fx.scratch, 'pipelines'),
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
      CREDIT_ETL_ALERTS_FILE: path.join(fx.scratch, 'alerts.json'),
    };
    mkdirSync(env.CREDIT_ETL_PIPELINES_DIR!, { recursive: true });
    writeFileSync(
      path.join(env.CREDIT_ETL_PIPELINES_DIR!, 'feed.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: PROVIDER,
        level: 'city',
        transport: { type: 'drop-folder', directory: path.join(fx.scratch, 'inbox', '{date}') },
        thresholds: { maxRejectRate: 0.5 },
      }),
    );
  });
  afterAll(async () => {
    await receiver?.close();
    await fx?.close();
  });

  it('refuses to run with a bad alerts file: exit 2 naming the field, nothing done', async () => {
    writeFileSync(
      alertsFile(),
      JSON.stringify({ channels: [{ type: 'wecom', url: 'qyapi.weixin.qq.com' }] }),
    );
    const result = await runCli(['run', 'feed'], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(
      `alerts file ${alertsFile()} is invalid: /channels/0/url must match pattern`,
    );
    const [runs] = await fx.warehouse('runs').count<{ count: number }[]>('* as count');
    expect(Number(runs?.count)).toBe(0);
  });

  it('a run over its threshold exits 3 and the webhook got the alert before the process ended', async () => {
    writeFileSync(
      alertsFile(),
      JSON.stringify({
        channels: [{ type: 'webhook', url: `${receiver.url}/hook` }],
        retry: { backoffSeconds: 0 },
      }),
    );
    const inbox = path.join(fx.scratch, 'inbox', partitionDay(DEFAULT_PARTITION, new Date()));
    mkdirSync(inbox, { recursive: true });
    writePenaltyCsv(inbox, 'day.csv', 10, { badShare: 1, seed: 7 });
    writeFileSync(path.join(inbox, 'day.csv.ok'), '');
    const result = await runCli(['run', 'feed'], env);
    expect(result.code, result.stderr).toBe(3);
    expect(receiver.posts.map((post) => post.body)).toEqual([
      expect.objectContaining({ kind: 'threshold-exceeded', key: 'threshold-exceeded:feed' }),
    ]);
  });

  it('ships an example alerts file that validates', async () => {
    const example = await loadAlertsConfig(path.join(PROJECT_ROOT, 'config/alerts.example.json'));
    expect(example?.channels.map((channel) => channel.type)).toEqual([
      'wecom',
      'dingtalk',
      'webhook',
      'email',
    ]);
  });
});
