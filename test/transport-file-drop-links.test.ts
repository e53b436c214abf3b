import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import type { ChannelLevel } from '../src/catalog/catalog-entry.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import type { PipelineRunOptions } from '../src/pipelines/run-pipeline.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { PENALTY_HEADER, penaltyRows } from './support/penalty-delivery.ts';
import { recordingLogger } from './support/recording-logger.ts';
import { runCli } from './support/run-cli.ts';
import { type SftpTestServer, sftpTransportConfig } from './support/sftp-server.ts';
import { closeSftpWarehouse, openSftpWarehouse } from './support/sftp-warehouse.ts';
import { runPipelineOnce, testPipeline } from './support/test-pipeline.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * What a drop folder holds besides plain deliveries: links planted by a provider (a processed/ that points into
 * another provider's folder, a day's folder that is a link, a file that is a link), names the platform cannot use
 * (not UTF-8, too long), and deliveries the provider takes back between the listing and their turn.
 */
const STABLE_MS = 50;
const PROVINCE = { provider: '11370000MB2852362M', level: 'province' as ChannelLevel };
const CITY = { provider: '11370100MB28174284', level: 'city' as ChannelLevel };
const listed = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
const statuses = (summary: RunSummary) => summary.files.map((file) => [file.name, file.status]);
/** A name of 214 bytes in UTF-8 (the limit is 200; the file system takes 255). */
const LONG_NAME = `${'处'.repeat(70)}.csv`;
/** `处罚.csv` as a Windows tool writes it: GBK bytes, not UTF-8. */
const GBK_NAME = Buffer.concat([Buffer.from('b4a6b7a3', 'hex'), Buffer.from('.csv')]);

describe.each(['drop-folder', 'sftp'] as const)(
  'the %s adapter and links, odd names, files taken back',
  (adapter) => {
    let fx: WarehouseFixture;
    let server: SftpTestServer;
    let dirs = 0;
    beforeAll(async () => {
      ({ fx, server } = await openSftpWarehouse(`drop_links_${adapter.replace('-', '_')}`));
    });
    afterAll(() => closeSftpWarehouse({ fx, server }));

    /** Where a drop's folders are made: the scratch directory, or what the SFTP server serves as `/`. */
    const base = () => (adapter === 'drop-folder' ? fx.scratch : server.root);

    /** A fresh folder under the base: its path here, and as the pipeline names it (the remote path over SFTP). */
    function freshDir(name: string): { dir: string; named: string } {
      const relative = `${name}-${++dirs}`;
      const dir = path.join(base(), relative);
      mkdirSync(dir);
      return { dir, named: adapter === 'drop-folder' ? dir : `/${relative}` };
    }

    function pipeline(named: string, channel: typeof PROVINCE, name: string): PipelineDefinition {
      const transport =
        adapter === 'drop-folder'
          ? { type: 'drop-folder', directory: named, stableSizeMs: STABLE_MS, markerSuffixes: ['.done'] }
          : sftpTransportConfig(server, named, { completeness: { marker: '.done', stableForMs: STABLE_MS } });
      return testPipeline(`links-${name}`, { ...transport }, channel);
    }

    const run = (
      definition: PipelineDefinition,
      options: Partial<PipelineRunOptions> = {},
      logger = recordingLogger().logger,
    ): Promise<RunSummary> => runPipelineOnce(fx, definition, logger, options);

    const deliver = (dir: string, name: string, rows: string[][]) => {
      writeFileSync(path.join(dir, name), toCsv(PENALTY_HEADER, rows));
      writeFileSync(path.join(dir, `${name}.done`), '');
    };

    it("a processed/ that is a link into another provider's folder files nothing there: the run fails saying so, the file stays", async () => {
      const province = freshDir('province');
      const city = freshDir('city');
      deliver(province.dir, 'x.csv', penaltyRows(2, `${adapter}-linked`));
      const first = await run(pipeline(province.named, PROVINCE, `province-${dirs}`));
      expect(first.counts.inserted).toBe(2);
      // The city's delivery of the same keys, changed: a lower level's different content is a conflict.
      symlinkSync(path.join('..', path.basename(province.dir)), path.join(city.dir, 'processed'));
      deliver(city.dir, 'x.csv', penaltyRows(2, `${adapter}-linked`, 2));
      const cityRun = await run(pipeline(city.named, CITY, `city-${dirs}`));
      expect(statuses(cityRun)).toEqual([['x.csv', 'loaded']]);
      expect(cityRun.counts.conflict).toBe(2);
      // Loud: the file could not be filed away, and the run says why.
      expect(cityRun.status).toBe('failed');
      expect(cityRun.unsettled).toHaveLength(1);
      expect(cityRun.unsettled?.[0]).toMatch(
        /^x\.csv: loaded, but the transport could not settle it: x\.csv stays in .*, not moved to processed\/: .*processed is a symbolic link/,
      );
      const stored = await fx.warehouse('runs').where({ id: cityRun.runId }).first();
      expect(stored.error).toMatch(/processed is a symbolic link/);
      // Nothing went through the link: the city's file and marker are where the city put them.
      expect(listed(city.dir)).toEqual(['processed', 'x.csv', 'x.csv.done']);
      expect(listed(province.dir)).toEqual(['processed']);
      // The province's next run finds nothing of the city's: its records keep the province's content.
      const provinceAgain = await run(pipeline(province.named, PROVINCE, `province-${dirs - 1}`));
      expect(provinceAgain.files).toEqual([]);
    });

    it('a failed/ that is a link is refused the same way', async () => {
      const elsewhere = freshDir('elsewhere');
      const drop = freshDir('broken');
      symlinkSync(elsewhere.dir, path.join(drop.dir, 'failed'));
      writeFileSync(path.join(drop.dir, 'bad.csv'), '');
      writeFileSync(path.join(drop.dir, 'bad.csv.done'), '');
      const summary = await run(pipeline(drop.named, PROVINCE, `failed-link-${dirs}`));
      expect(statuses(summary)).toEqual([['bad.csv', 'failed']]);
      expect(summary.unsettled?.[0]).toMatch(/not moved to failed\/: .*failed is a symbolic link/);
      expect(listed(elsewhere.dir)).toEqual([]);
      expect(listed(drop.dir)).toEqual(['bad.csv', 'bad.csv.done', 'failed']);
    });

    it("a day's folder that is a link is not read: the run fails naming it", async () => {
      const other = freshDir('other-day');
      deliver(other.dir, 'y.csv', penaltyRows(1, `${adapter}-day-link`));
      const dated = freshDir('dated');
      const day = '2026-11-30';
      symlinkSync(path.join('..', path.basename(other.dir)), path.join(dated.dir, day));
      const summary = await run(pipeline(`${dated.named}/{date}`, CITY, `dated-${dirs}`), { partition: day });
      expect(summary.status).toBe('failed');
      expect(summary.files).toEqual([]);
      const stored = await fx.warehouse('runs').where({ id: summary.runId }).first();
      expect(stored.error).toMatch(/2026-11-30 is a symbolic link/);
      expect(listed(other.dir)).toEqual(['y.csv', 'y.csv.done']);
    });

    it('names it cannot use and linked files are reported by every run, never loaded, never failed deliveries', async () => {
      const outside = freshDir('outside');
      deliver(outside.dir, 'target.csv', penaltyRows(1, `${adapter}-target`));
      const drop = freshDir('names');
      deliver(drop.dir, 'good.csv', penaltyRows(2, `${adapter}-names`));
      deliver(drop.dir, LONG_NAME, penaltyRows(1, `${adapter}-long`));
      const gbk = Buffer.concat([Buffer.from(path.join(drop.dir, path.sep)), GBK_NAME]);
      writeFileSync(gbk, toCsv(PENALTY_HEADER, penaltyRows(1, `${adapter}-gbk`)));
      writeFileSync(Buffer.concat([gbk, Buffer.from('.done')]), '');
      symlinkSync(path.join(outside.dir, 'target.csv'), path.join(drop.dir, 'link.csv'));
      writeFileSync(path.join(drop.dir, 'link.csv.done'), '');
      writeFileSync(path.join(drop.dir, '.DS_Store'), 'not a delivery, nothing to report');
      const { lines, logger } = recordingLogger();
      const definition = pipeline(drop.named, PROVINCE, `names-${dirs}`);
      const first = await run(definition, {}, logger);
      expect(statuses(first)).toEqual([['good.csv', 'loaded']]);
      expect(first.status).toBe('completed'); // a warning, not a failure (no alert every night)
      const refused = (summary: RunSummary) =>
        (summary.warnings ?? [])
          .filter((warning) => warning.code === 'refused-file-name')
          .map((w) => w.message);
      const expectRefusals = (messages: string[]) => {
        expect(messages).toHaveLength(3);
        expect(messages.find((m) => m.includes(JSON.stringify(LONG_NAME)))).toMatch(/longer than 200 bytes/);
        expect(messages.find((m) => m.includes('"link.csv"'))).toMatch(/a symbolic link, not a file/);
        const notUtf8 = messages.find((m) => /not UTF-8/.test(m));
        // Shown as read in GB18030 where the bytes arrive (a local folder); over SFTP they arrive garbled.
        if (adapter === 'drop-folder') expect(notUtf8).toContain('"处罚.csv"');
        expect(notUtf8).toMatch(/it stays where it is, and every run says so until it is renamed/);
      };
      expectRefusals(refused(first));
      expect(lines.filter((line) => /is not taken/.test(line))).toHaveLength(3);
      const stored = await fx.warehouse('runs').where({ id: first.runId }).first();
      expect(stored.status).toBe('completed');
      expect(stored.error.split('\n').filter((line: string) => line.startsWith('⚠ '))).toHaveLength(3);
      // Nothing of them was recorded against the provider, moved, or read through the link.
      const recorded = await fx.warehouse('source_files').where({ run_id: first.runId }).select('name');
      expect(recorded.map((file) => file.name)).toEqual(['good.csv']);
      expect(listed(outside.dir)).toEqual(['target.csv', 'target.csv.done']);
      // Still there the next night: said again, still no failure.
      const second = await run(definition);
      expect(second.status).toBe('completed');
      expect(second.files).toEqual([]);
      expectRefusals(refused(second));
    });

    it('a delivery taken back (file and marker) after the listing is nothing to load: no failed file, no failed run', async () => {
      const drop = freshDir('taken-back');
      deliver(drop.dir, 'a.csv', penaltyRows(2, `${adapter}-kept`));
      deliver(drop.dir, 'b.csv', penaltyRows(2, `${adapter}-taken-back`));
      const { lines, logger } = recordingLogger();
      const summary = await run(
        pipeline(drop.named, PROVINCE, `taken-back-${dirs}`),
        {
          // a.csv was polled and handed over; b.csv, listed with it, is fetched only after a.csv is loaded.
          onUnitStart: (unit) => {
            if (unit.name !== 'a.csv') return;
            rmSync(path.join(drop.dir, 'b.csv'));
            rmSync(path.join(drop.dir, 'b.csv.done'));
          },
        },
        logger,
      );
      expect(statuses(summary)).toEqual([['a.csv', 'loaded']]);
      expect(summary.status).toBe('completed');
      expect(summary.warnings).toBeUndefined();
      expect(await fx.warehouse('source_files').where({ name: 'b.csv' })).toEqual([]);
      expect(
        lines.some((line) => /b\.csv was removed from .* before it was read: nothing to load/.test(line)),
      ).toBe(true);
      expect(listed(path.join(drop.dir, 'processed'))).toEqual(['a.csv', 'a.csv.done']);
    });

    it('a file removed while its marker stays is a warning of the run, not a failed delivery; the marker stays', async () => {
      const drop = freshDir('marker-left');
      deliver(drop.dir, 'a.csv', penaltyRows(2, `${adapter}-marker-kept`));
      deliver(drop.dir, 'b.csv', penaltyRows(2, `${adapter}-marker-left`));
      const summary = await run(pipeline(drop.named, PROVINCE, `marker-left-${dirs}`), {
        onUnitStart: (unit) => {
          if (unit.name === 'a.csv') rmSync(path.join(drop.dir, 'b.csv'));
        },
      });
      expect(statuses(summary)).toEqual([['a.csv', 'loaded']]);
      expect(summary.status).toBe('completed');
      expect(summary.warnings).toEqual([
        {
          code: 'file-vanished',
          message: expect.stringMatching(/b\.csv was removed .* but its marker b\.csv\.done is still there/),
        },
      ]);
      expect(await fx.warehouse('source_files').where({ name: 'b.csv' })).toEqual([]);
      expect(listed(drop.dir)).toEqual(['b.csv.done', 'processed']);
    });
  },
);

describe('credit-etl over a drop folder holding a name it refuses', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('drop_links_cli');
  });
  afterAll(async () => fx?.close());

  it('run, runs show and the log say which file is not taken, and why', async () => {
    const pipelines = path.join(fx.scratch, 'pipelines');
    const inbox = path.join(fx.scratch, 'inbox');
    mkdirSync(pipelines);
    mkdirSync(inbox);
    writeFileSync(
      path.join(pipelines, 'odd.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: inbox, stableSizeMs: STABLE_MS },
        retry: { attempts: 1, backoffSeconds: 0 },
      }),
    );
    const log = path.join(fx.scratch, 'cli.log');
    const env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_PIPELINES_DIR: pipelines,
      CREDIT_ETL_LOG_FILE: log,
      CREDIT_ETL_REPORT_DIR: fx.scratch,
      CREDIT_ETL_STAGING_DIR: path.join(fx.scratch, 'staging'),
    };
    writeFileSync(path.join(inbox, 'ok.csv'), toCsv(PENALTY_HEADER, penaltyRows(2, 'cli-odd')));
    writeFileSync(path.join(inbox, 'ok.csv.ok'), '');
    const gbk = Buffer.concat([Buffer.from(path.join(inbox, path.sep)), GBK_NAME]);
    writeFileSync(gbk, toCsv(PENALTY_HEADER, penaltyRows(1, 'cli-gbk')));
    writeFileSync(Buffer.concat([gbk, Buffer.from('.ok')]), '');
    const ran = await runCli(['run', 'odd'], env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/⚠ .*"处罚\.csv" is not taken \(its name is not UTF-8/);
    const runId = /run (\d+) completed/.exec(ran.stdout)?.[1];
    expect(runId).toBeDefined();
    const shown = await runCli(['runs', 'show', String(runId)], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/⚠ .*"处罚\.csv" is not taken/);
    const logged = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.includes('is not taken'))
      .map((line) => JSON.parse(line) as { level: string; code?: string });
    expect(logged.map((line) => [line.level, line.code])).toEqual([['warn', 'refused-file-name']]);
  });
});
