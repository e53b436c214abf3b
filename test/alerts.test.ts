import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertEvent } from '../src/alerts/alert-event.ts';
import { type AlertsConfig, loadAlertsConfig } from '../src/alerts/alerts-config.ts';
import { alertDeliverer } from '../src/alerts/deliver-alerts.ts';
import { ConfigError } from '../src/config/config.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines, type TransportRegistry } from '../src/pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { checkDelivered, checkUpdateCycles } from '../src/schedule/delivery-watch.ts';
import { alertDeliveries } from '../src/warehouse/alerts-repository.ts';
import { connectWarehouse } from '../src/warehouse/connect-warehouse.ts';
import { tryPipelineLock } from '../src/warehouse/pipeline-lock.ts';
import { interruptRuns, startRun } from '../src/warehouse/runs-repository.ts';
import {
  type AlertReceiver,
  type SmtpTestServer,
  startAlertReceiver,
  startSmtpTestServer,
} from './support/alert-receivers.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { partitionFolderTransport, type TransportLog } from './support/partition-folder-transport.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const DINGTALK_SECRET = 'SECtest0123456789abcdef';
const RESIDENT_ID = '11010519491231002X';
const USCC = '91350100M000100Y43';

describe('alerts to a webhook, 企业微信, 钉钉 and e-mail on loopback (real HTTP, SMTP, PostgreSQL)', () => {
  let fx: WarehouseFixture;
  let receiver: AlertReceiver;
  let smtp: SmtpTestServer;
  let pipeline: PipelineDefinition;
  let transports: TransportRegistry;
  let config: AlertsConfig;
  const logFile = path.join(os.tmpdir(), `credit-etl-alerts-${process.pid}.log`);
  const logger = createLogger({ console: false, logFile });
  const transportLog: TransportLog = { settled: [], polls: 0 };
  const inbox = () => path.join(fx.scratch, 'inbox');
  let closedPort = 0;
  let keys = 0;
  /** A fresh event key per test: suppression state lives in the warehouse across tests. */
  const event = (lines: string[] = ['第一行']): AlertEvent => ({
    kind: 'run-failed',
    key: `run-failed:test-${++keys}`,
    title: '管道 测试 运行 1 失败',
    lines,
    at: new Date('2026-12-02T00:00:00Z'),
  });
  const byPath = (suffix: string) => receiver.posts.filter((post) => post.path.endsWith(suffix));

  beforeAll(async () => {
    fx = await openWarehouseFixture('alerts');
    receiver = await startAlertReceiver();
    smtp = await startSmtpTestServer();
    const file = path.join(fx.scratch, 'alerts.json');
    writeFileSync(
      file,
      JSON.stringify({
        suppressMinutes: 60,
        retry: { attempts: 3, backoffSeconds: 0 },
        channels: [
          { type: 'webhook', url: `${receiver.url}/hook`, headers: { authorization: 'Bearer t0ken' } },
          { type: 'wecom', url: `${receiver.url}/cgi-bin/webhook/send?key=wecom-key` },
          {
            type: 'dingtalk',
            url: `${receiver.url}/robot/send?access_token=ding-token`,
            secret: DINGTALK_SECRET,
          },
          {
            type: 'email',
            name: '值班邮箱',
            smtp: { host: '127.0.0.1', port: smtp.port, starttls: 'off' },
            from: 'credit-etl@example.org',
            to: ['ops@example.org'],
          },
        ],
      }),
    );
    config = (await loadAlertsConfig(file))!;
    closedPort = await portNobodyListensOn();
    transports = { 'partition-folder': partitionFolderTransport(transportLog) };
    const dir = path.join(fx.scratch, 'pipelines');
    mkdirSync(dir);
    mkdirSync(inbox());
    writeFileSync(
      path.join(dir, 'jinan-xzcf.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '113701000000000000',
        level: 'city',
        transport: { type: 'partition-folder', dir: inbox() },
        schedule: { cron: '0 30 1 * * *', expectedBy: '07:00' },
        thresholds: { maxRejectRate: 0.5 },
        retry: { attempts: 1, backoffSeconds: 0 },
      }),
    );
    const loaded = await loadPipelines(dir, transports);
    expect(loaded.problems).toEqual([]);
    pipeline = loaded.pipelines[0]!;
  });
  afterAll(async () => {
    await receiver?.close();
    await smtp?.close();
    await fx?.close();
  });
  beforeEach(() => {
    receiver.posts.length = 0;
    receiver.fail.length = 0;
    smtp.mails.length = 0;
  });

  it('a run over its reject threshold sends one alert to every channel in its documented shape', async () => {
    const day = path.join(inbox(), '2026-10-05');
    mkdirSync(day);
    writePenaltyCsv(day, 'e.csv', 20, { seed: 5, badShare: 1 });
    const alerts = alertDeliverer(config, fx.warehouse, logger);
    const result = await runPipeline(
      fx.warehouse,
      fx.catalog,
      pipeline,
      { transports, stagingDir: fx.scratch, partition: '2026-10-05', alerts },
      logger,
    );
    await alerts.close();
    expect(result.status === 'ran' && result.summary.status).toBe('failed-threshold');
    const runId = result.status === 'ran' ? result.summary.runId : 0;

    const [hook] = byPath('/hook');
    expect(hook?.contentType).toMatch(/^application\/json/);
    expect(hook?.body).toMatchObject({
      kind: 'threshold-exceeded',
      key: 'threshold-exceeded:jinan-xzcf',
      title: `【信用数据归集】拒收超过阈值：管道 jinan-xzcf 运行 ${runId} 拒收行数超过阈值，本次数据未入库`,
      lines: ['数据日期：2026-10-05', '读取 20 行，拒收 20 行', `详情：credit-etl runs show ${runId}`],
    });

    const [wecom] = byPath('/cgi-bin/webhook/send');
    expect(wecom?.query.get('key')).toBe('wecom-key');
    expect(Object.keys(wecom?.body as object)).toEqual(['msgtype', 'markdown']);
    const wecomBody = wecom?.body as { msgtype: string; markdown: { content: string } };
    expect(wecomBody.msgtype).toBe('markdown');
    expect(wecomBody.markdown.content).toContain('### 【信用数据归集】拒收超过阈值');
    expect(wecomBody.markdown.content).toContain('> 读取 20 行，拒收 20 行');

    const [ding] = byPath('/robot/send');
    const timestamp = ding?.query.get('timestamp') ?? '';
    expect(ding?.query.get('access_token')).toBe('ding-token');
    expect(Math.abs(Number(timestamp) - Date.now())).toBeLessThan(60_000);
    // DingTalk's check: Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), URL-decoded by the server.
    const expected = createHmac('sha256', DINGTALK_SECRET)
      .update(`${timestamp}\n${DINGTALK_SECRET}`)
      .digest('base64');
    expect(ding?.query.get('sign')).toBe(expected);
    expect(ding?.body).toMatchObject({
      msgtype: 'markdown',
      markdown: { title: expect.stringContaining('拒收超过阈值'), text: expect.stringContaining('### ') },
    });

    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail?.to).toEqual(['ops@example.org']);
    expect(mail?.raw).toMatch(/charset=utf-8/i);
    expect(mail?.subject).toBe(
      `【信用数据归集】拒收超过阈值：管道 jinan-xzcf 运行 ${runId} 拒收行数超过阈值，本次数据未入库`,
    );
    expect(mail?.text).toContain('读取 20 行，拒收 20 行');
    expect(mail?.text).toMatch(/时间：\d{4}-\d\d-\d\d \d\d:\d\d:\d\d（北京时间）/);

    expect(
      (await alertDeliveries(fx.warehouse, 'threshold-exceeded:jinan-xzcf')).map((d) => d.status),
    ).toEqual(['sent', 'sent', 'sent', 'sent']);
  });

  it('masks resident ID numbers in every channel and shows a USCC', async () => {
    const alerts = alertDeliverer(config, fx.warehouse, logger);
    await alerts.alert(event([`当事人 ${RESIDENT_ID}，机关 ${USCC}`]));
    await alerts.close();
    const everything = JSON.stringify(receiver.posts.map((post) => post.body)) + smtp.mails[0]?.text;
    expect(receiver.posts).toHaveLength(3);
    expect(everything).not.toContain(RESIDENT_ID);
    expect(everything).not.toContain('19491231');
    expect(everything).toContain(USCC);
  });

  it('sends a repeat of the same event once per window, across processes (state in the warehouse)', async () => {
    const repeated = event();
    const first = alertDeliverer(config, fx.warehouse, logger);
    await first.alert(repeated);
    await first.alert(repeated);
    await first.close();
    // Another process: its own connection pool, the same warehouse.
    const other = connectWarehouse(fx.url);
    try {
      const second = alertDeliverer(config, other, logger);
      await second.alert(repeated);
      await second.close();
    } finally {
      await other.destroy();
    }
    expect(byPath('/hook')).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
    const [state] = await fx.warehouse('alert_state').where({ key: repeated.key }).select('suppressed');
    expect(state?.suppressed).toBe(2);

    // A window of 0 minutes: every repeat is sent.
    const always = alertDeliverer({ ...config, suppressMinutes: 0 }, fx.warehouse, logger);
    await always.alert(repeated);
    await always.close();
    expect(byPath('/hook')).toHaveLength(2);
  });

  it('retries a failing channel, records and logs the failure, and still delivers to the others', async () => {
    const alerts = alertDeliverer(
      {
        ...config,
        channels: [
          ...config.channels.filter((channel) => channel.type === 'webhook'),
          {
            type: 'wecom',
            name: 'gone',
            url: `http://127.0.0.1:${closedPort}/cgi-bin/webhook/send?key=secret-key`,
            format: 'text',
          },
        ],
      },
      fx.warehouse,
      logger,
    );
    const failing = event();
    receiver.fail.push(500, 503);
    await alerts.alert(failing);
    await alerts.close();
    // The webhook answered 500, 503, then 200: three posts, one delivery.
    expect(byPath('/hook')).toHaveLength(3);
    const deliveries = (await alertDeliveries(fx.warehouse, failing.key)).sort((a, b) =>
      a.channel.localeCompare(b.channel),
    );
    expect(deliveries).toEqual([
      {
        channel: 'gone',
        status: 'failed',
        attempts: 3,
        error: `http://127.0.0.1:${closedPort}/cgi-bin/webhook/send?… not reached: ECONNREFUSED`,
      },
      { channel: 'webhook', status: 'sent', attempts: 3, error: null },
    ]);
    // Robot keys never reach the log or the table.
    // The log file is written asynchronously (winston): wait for the line.
    await vi.waitFor(() =>
      expect(readFileSync(logFile, 'utf8')).toContain('not delivered to gone after 3 attempt(s)'),
    );
    expect(readFileSync(logFile, 'utf8')).not.toContain('secret-key');
  });

  it('a run whose every channel fails still ends as it would without alerts', async () => {
    const day = path.join(inbox(), '2026-10-06');
    mkdirSync(day);
    writePenaltyCsv(day, 'f.csv', 10, { seed: 6, badShare: 1 });
    const alerts = alertDeliverer(
      {
        ...config,
        retry: { attempts: 2, backoffSeconds: 0 },
        channels: [{ type: 'webhook', name: 'down', url: `http://127.0.0.1:${closedPort}/hook` }],
      },
      fx.warehouse,
      logger,
    );
    const result = await runPipeline(
      fx.warehouse,
      fx.catalog,
      { ...pipeline, name: 'jinan-xzcf-down' },
      { transports, stagingDir: fx.scratch, partition: '2026-10-06', alerts },
      logger,
    );
    await alerts.close();
    expect(result.status === 'ran' && result.summary.status).toBe('failed-threshold');
    expect(await alertDeliveries(fx.warehouse, 'threshold-exceeded:jinan-xzcf-down')).toEqual([
      expect.objectContaining({ channel: 'down', status: 'failed', attempts: 2 }),
    ]);
  });

  it('still sends when the warehouse does not answer (no suppression check possible)', async () => {
    const unreachable = connectWarehouse(`postgres://postgres@127.0.0.1:${closedPort}/none`, { poolSize: 1 });
    try {
      const alerts = alertDeliverer(
        { ...config, channels: config.channels.filter((channel) => channel.type === 'webhook') },
        unreachable,
        logger,
      );
      await alerts.alert(event(['数据库无法连接']));
      await alerts.close();
    } finally {
      await unreachable.destroy();
    }
    expect(byPath('/hook').map((post) => (post.body as { lines: string[] }).lines)).toEqual([
      ['数据库无法连接'],
    ]);
  });

  it('alerts a pipeline that delivered nothing for its day by expectedBy, and not one that did', async () => {
    const alerts = alertDeliverer(config, fx.warehouse, logger);
    expect(await checkDelivered(pipeline, '2026-10-09', fx.warehouse, alerts, logger)).toBe(false);
    // 2026-10-05 read 20 rows (all rejected): data arrived, the threshold alert covers the rest.
    expect(await checkDelivered(pipeline, '2026-10-05', fx.warehouse, alerts, logger)).toBe(true);
    await alerts.close();
    expect(byPath('/hook').map((post) => (post.body as { key: string }).key)).toEqual([
      'nothing-delivered:jinan-xzcf:2026-10-09',
    ]);
    expect(byPath('/hook')[0]?.body).toMatchObject({
      title: expect.stringContaining('管道 jinan-xzcf 截至 07:00 未收到 2026-10-09 的数据'),
    });
  });

  it('says what holds a pipeline up on the platform side: the session holding its lock, else a run still going', async () => {
    const alerts = alertDeliverer(config, fx.warehouse, logger);
    const linesOf = (partition: string) =>
      (
        byPath('/hook').find(
          (post) => (post.body as { key: string }).key === `nothing-delivered:jinan-xzcf:${partition}`,
        )?.body as { lines: string[] } | undefined
      )?.lines ?? [];
    // A process hung while holding the pipeline's lock, before its run began: every new run waits behind it.
    const lock = await tryPipelineLock(fx.warehouse, pipeline.name);
    if (!lock) throw new Error('the pipeline lock was not free');
    try {
      expect(await checkDelivered(pipeline, '2026-10-10', fx.warehouse, alerts, logger)).toBe(false);
    } finally {
      await lock.release();
    }
    // A run of another day still going (a long backfill, or its process hung mid-run).
    const runId = await startRun(fx.warehouse, 'backfill', {}, pipeline.name, {
      partitionDate: '2026-10-01',
    });
    try {
      expect(await checkDelivered(pipeline, '2026-10-11', fx.warehouse, alerts, logger)).toBe(false);
    } finally {
      await interruptRuns(fx.warehouse, [runId], 'test over');
    }
    // Nothing of the platform's holds it up: the provider is asked.
    expect(await checkDelivered(pipeline, '2026-10-12', fx.warehouse, alerts, logger)).toBe(false);
    await alerts.close();

    const lockLines = linesOf('2026-10-10');
    expect(lockLines[1]).toMatch(
      new RegExp(
        `^本管道的锁(自 [-0-9: ]{19} 起)?由${os.hostname()} 的进程 ${process.pid}（数据库会话 \\d+）持有`,
      ),
    );
    expect(lockLines[1]).toContain('却没有记录中的运行');
    expect(lockLines.at(-1)).toContain('先处理上述本平台的问题');
    const runLines = linesOf('2026-10-11');
    expect(runLines[1]).toContain(`本平台的运行 ${runId}（数据日期 2026-10-01）`);
    expect(runLines[1]).toContain(`在 ${os.hostname()} 的进程 ${process.pid} 上运行，至今未结束`);
    expect(runLines.join('\n')).not.toContain('本管道的锁');
    const plain = linesOf('2026-10-12');
    expect(plain).toHaveLength(2);
    expect(plain[1]).toContain('请联系报送单位');
  });

  it('alerts a provider past its entry update cycle (实时: 7 working days after its last file)', async () => {
    const provider = '11370200MB0000000X'.replace(/X$/, '');
    const late = { ...pipeline, provider: `${provider}0` };
    await fx.ingest([writePenaltyCsv(fx.scratch, 'cycle.csv', 3, { seed: 9 }).file], {
      provider: late.provider,
      receivedAt: new Date('2026-03-02T02:00:00Z'),
    });
    const alerts = alertDeliverer(config, fx.warehouse, logger);
    // 2026-03-11 is the 7th working day after 03-02: still in time; 03-12 is late.
    expect(await checkUpdateCycles([late], fx.catalog, fx.warehouse, alerts, logger, '2026-03-11')).toBe(0);
    expect(await checkUpdateCycles([late], fx.catalog, fx.warehouse, alerts, logger, '2026-03-12')).toBe(1);
    await alerts.close();
    expect(byPath('/hook').map((post) => post.body)).toEqual([
      expect.objectContaining({
        kind: 'update-cycle-missed',
        key: `update-cycle-missed:${late.provider}:xzcf`,
        lines: [expect.stringContaining('实时'), '最近一次报送：2026-03-02；今天：2026-03-12'],
      }),
    ]);
  });

  it('refuses an expectedBy that is no time of day, naming the field', async () => {
    const dir = path.join(fx.scratch, 'bad-pipelines');
    mkdirSync(dir);
    const definition = { catalog: 'xzcf', provider: '113701000000000000', level: 'city' };
    writeFileSync(
      path.join(dir, 'late.json'),
      JSON.stringify({
        ...definition,
        transport: { type: 'partition-folder', dir: inbox() },
        schedule: { expectedBy: '7点' },
      }),
    );
    const { problems } = await loadPipelines(dir, transports);
    expect(problems.map((problem) => [problem.path, problem.message])).toEqual([
      [
        '/schedule/expectedBy',
        'must be a time of day HH:MM in Beijing time, e.g. "07:00" (when the day\'s data should be in)',
      ],
    ]);
  });

  it('refuses a bad alerts file naming each problem, and reads no file as no alerts', async () => {
    const bad = path.join(fx.scratch, 'bad-alerts.json');
    writeFileSync(
      bad,
      JSON.stringify({
        channels: [
          { type: 'dingtalk', url: 'ftp://x', secret: 'nope' },
          { type: 'email', smtp: { host: 'mail' }, to: [] },
          { type: 'pager' },
        ],
        suppresMinutes: 5,
      }),
    );
    const error = await loadAlertsConfig(bad).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const problem of [
      '/suppresMinutes is not a known field',
      '/channels/0/url must match pattern',
      '/channels/0/secret must match pattern "^SEC"',
      "/channels/1 must have required property 'from'",
      '/channels/1/to must NOT have fewer than 1 items',
      '/channels/2/type must be equal to one of the allowed values',
    ])
      expect(message).toContain(problem);
    expect(await loadAlertsConfig(path.join(fx.scratch, 'none.json'))).toBeUndefined();
  });
});

/** A loopback port that was free a moment ago: connecting to it is refused. */
async function portNobodyListensOn(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
