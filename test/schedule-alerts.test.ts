import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertReceiver, startAlertReceiver } from './support/alert-receivers.ts';
import { basePenalties, writeRows } from './support/penalty-variants.ts';
import { startCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

describe('credit-etl schedule: alerts from its checks, /metrics and /healthz (a real process)', () => {
  let fx: WarehouseFixture;
  let receiver: AlertReceiver;

  beforeAll(async () => {
    fx = await openWarehouseFixture('schedule_alerts');
    receiver = await startAlertReceiver();
    await fx.ingest([writeRows(fx.scratch, 'delivery.csv', basePenalties(3, 152))], {
      receivedAt: new Date('2026-11-20T10:00:00+08:00'),
    });
  });
  afterAll(async () => {
    await receiver?.close();
    await fx?.close();
  });

  it('a failed nightly verify is alerted once however often it fails, and the process serves its metrics', {
    timeout: 180_000,
  }, async () => {
    const superuser = new pg.Client({ connectionString: fx.url });
    await superuser.connect();
    await superuser.query('SET session_replication_role = replica');
    await superuser.query(
      `UPDATE record_versions SET data = jsonb_set(data, '{CF_NR}', '"警告"') WHERE id = (SELECT min(id) FROM record_versions)`,
    );
    await superuser.end();
    const alertsFile = path.join(fx.scratch, 'alerts.json');
    writeFileSync(
      alertsFile,
      JSON.stringify({ channels: [{ type: 'webhook', url: `${receiver.url}/hook` }] }),
    );
    const pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelines);
    const port = await freePort();
    const cli = startCli(['schedule'], {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'schedule.log'),
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_VERIFY_CRON: '* * * * * *',
      CREDIT_ETL_ALERTS_FILE: alertsFile,
      CREDIT_ETL_METRICS_PORT: String(port),
    });
    try {
      const failedVerifies = () =>
        fx
          .warehouse('runs')
          .where({ kind: 'verify', status: 'failed' })
          .count<{ count: number }[]>('* as count');
      for (let tries = 0; Number((await failedVerifies())[0]?.count) < 3; tries++) {
        expect(tries, `fewer than 3 failed verify runs: ${cli.output()}`).toBeLessThan(1200);
        await sleep(100);
      }
      const verifyAlerts = receiver.posts.filter(
        (post) => (post.body as { kind: string }).kind === 'verify-failed',
      );
      expect(verifyAlerts.map((post) => post.body)).toEqual([
        expect.objectContaining({
          key: 'verify-failed',
          title: '【信用数据归集】数据完整性校验失败：历史数据在引擎之外被改动：1 条记录、0 个文件',
        }),
      ]);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await health.json()).toMatchObject({ status: 'ok', component: 'schedule', database: 'up' });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(
        /^credit_etl_runs\{kind="verify",status="failed",component="schedule"\} [3-9]\d*$/m,
      );
      expect(metrics).toMatch(
        /^credit_etl_alerts_total\{channel="webhook",result="suppressed",component="schedule"\} [1-9]\d*$/m,
      );
    } finally {
      cli.child.kill('SIGTERM');
      const { code } = await cli.result;
      expect(code, cli.output()).toBe(0);
    }
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
