import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import type { ChannelLevel } from '../src/catalog/catalog-entry.ts';
import { createLogger } from '../src/log/logger.ts';
import { ingestUnits } from '../src/run/ingest-files.ts';
import { RING_MIN_BYTES } from '../src/run/unit-digest.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

describe('the sha256 ledger, whichever command delivers the content', () => {
  let fx: WarehouseFixture;
  let file: string;

  beforeAll(async () => {
    fx = await openWarehouseFixture('ingest_ledger');
    ({ file } = writePenaltyCsv(fx.scratch, 'penalties.csv', 40, { seed: 7, badShare: 0.1 }));
  });
  afterAll(async () => fx?.close());

  async function ingest(files: string[], options: { level?: ChannelLevel; force?: boolean } = {}) {
    const units = await Promise.all(files.map((one) => localFileUnit(one)));
    return ingestUnits(
      fx.warehouse,
      fx.catalog,
      {
        units,
        catalog: 'xzcf',
        providerCode: '11370000MB2852362M',
        level: options.level ?? 'province',
        encoding: 'auto',
        ...(options.force ? { force: true } : {}),
      },
      createLogger({ logFile: path.join(fx.scratch, 'test.log'), console: false }),
    );
  }

  const lineage = async () => Number((await fx.warehouse('record_sources').count('* as n').first())?.n);
  const rejections = async () => Number((await fx.warehouse('rejections').count('* as n').first())?.n);

  it('skips the same content delivered again, under any name, and points at the first load', async () => {
    const first = await ingest([file]);
    expect(first.files[0]?.status).toBe('loaded');
    const [linesBefore, rejectedBefore] = [await lineage(), await rejections()];
    expect(rejectedBefore).toBeGreaterThan(0);

    const renamed = path.join(fx.scratch, '处罚-重报.csv');
    copyFileSync(file, renamed);
    const again = await ingest([file, renamed]);

    expect(again.status).toBe('completed');
    expect(again.files.map((one) => [one.name, one.status])).toEqual([
      ['penalties.csv', 'skipped'],
      ['处罚-重报.csv', 'skipped'],
    ]);
    expect(again.counts.read).toBe(0);
    expect(again.files[1]?.sameContentAs).toEqual({
      sourceFileId: first.files[0]?.sourceFileId,
      runId: first.runId,
      name: 'penalties.csv',
    });
    expect([await lineage(), await rejections()]).toEqual([linesBefore, rejectedBefore]);
    const stored = await fx
      .warehouse('source_files')
      .where({ run_id: again.runId })
      .orderBy('id')
      .select('status', 'same_content_as', 'error_code', 'sha256');
    const firstSha = (await fx.warehouse('source_files').where({ id: first.files[0]?.sourceFileId }).first())
      .sha256;
    expect(stored).toEqual([
      {
        status: 'skipped',
        same_content_as: first.files[0]?.sourceFileId,
        error_code: 'already-loaded',
        sha256: firstSha,
      },
      {
        status: 'skipped',
        same_content_as: first.files[0]?.sourceFileId,
        error_code: 'already-loaded',
        sha256: firstSha,
      },
    ]);
  });

  it('skips content whose hash the transport knew before loading without reading a byte of it', async () => {
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
    const unreadable = {
      name: '前置交换-重报.csv',
      sizeBytes: 1,
      receivedAt: new Date(),
      sha256,
      rows: () => Promise.reject(new Error('read although the ledger had its hash')),
    };
    const run = await ingestUnits(
      fx.warehouse,
      fx.catalog,
      {
        units: [unreadable],
        catalog: 'xzcf',
        providerCode: '11370000MB2852362M',
        level: 'province',
        encoding: 'auto',
      },
      createLogger({ logFile: path.join(fx.scratch, 'test.log'), console: false }),
    );
    expect(run.files.map((one) => [one.status, one.sameContentAs?.name])).toEqual([
      ['skipped', 'penalties.csv'],
    ]);
  });

  it('loads the same bytes from another channel level: they merge and add that channel to the lineage', async () => {
    const linesBefore = await lineage();
    const city = await ingest([file], { level: 'city' });
    expect(city.files[0]?.status).toBe('loaded');
    expect(city.counts.merged).toBeGreaterThan(0);
    expect(await lineage()).toBe(linesBefore + city.counts.merged);
  });

  it('reloads with --force, recorded as a forced reload of the earlier file', async () => {
    const forced = await ingest([file], { force: true });
    expect(forced.files[0]?.status).toBe('loaded');
    expect(forced.counts.unchanged).toBeGreaterThan(0);
    const row = await fx.warehouse('source_files').where({ id: forced.files[0]?.sourceFileId }).first();
    expect(row.forced).toBe(true);
    expect(row.same_content_as).toBe(forced.files[0]?.sameContentAs?.sourceFileId);
  });

  it('says so on the command line and exits 0; --force loads it', async () => {
    const env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: fx.scratch,
    };
    const args = [
      'ingest',
      file,
      '--catalog',
      'xzcf',
      '--provider',
      '11370000MB2852362M',
      '--level',
      'province',
    ];
    const skipped = await runCli(args, env);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(
      /penalties\.csv skipped: same content as penalties\.csv \(source file \d+, run \d+\)/,
    );
    expect(skipped.stdout).toContain('--force');
    const forced = await runCli([...args, '--force', '--json'], env);
    expect(forced.code).toBe(0);
    const summary = JSON.parse(forced.stdout);
    expect(summary.files[0].status).toBe('loaded');
    expect(summary.files[0].sameContentAs.name).toBe('penalties.csv');
  }, 120_000);

  it('the same rows in other bytes load, each valid row taken by fingerprint (`fastRows` in --json)', async () => {
    const nextNight = path.join(fx.scratch, 'penalties-next-night.csv');
    writeFileSync(nextNight, `${readFileSync(file, 'utf8')}\r\n`);
    const env = { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') };
    const args = ['ingest', nextNight, '--catalog', 'xzcf', '--provider', '11370000MB2852362M', '--json'];
    const night = await runCli([...args, '--level', 'province'], env);
    expect(night.code).toBe(0);
    const [loaded] = JSON.parse(night.stdout).files;
    expect(loaded.status).toBe('loaded');
    expect(loaded.counts.unchanged).toBeGreaterThan(0);
    expect(loaded.fastRows).toBe(loaded.counts.unchanged);
  }, 120_000);

  it("records a big unit (hashed by its worker's parent) with its bytes' sha256, and skips it delivered again", async () => {
    const { file: big } = writePenaltyCsv(fx.scratch, 'big.csv', 16_000, { seed: 11 });
    const bytes = readFileSync(big);
    expect(bytes.length).toBeGreaterThanOrEqual(RING_MIN_BYTES);
    const first = await ingest([big], { level: 'city' });
    // The unit's whole result as the message: a failure names its code and reason.
    expect(first.files[0]?.status, JSON.stringify(first.files[0])).toBe('loaded');
    const row = await fx
      .warehouse('source_files')
      .where({ id: first.files[0]?.sourceFileId })
      .first('sha256');
    expect(row?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const again = await ingest([big], { level: 'city' });
    expect(again.files[0]?.status).toBe('skipped');
  }, 120_000);

  // Last: its 20,000 new records of the entry would make the fingerprint cache of the cases above stale.
  it('the same file given to two `ingest`s at once is loaded once: the second finds the first in the ledger', async () => {
    const { file: big } = writePenaltyCsv(fx.scratch, 'at-once.csv', 20_000, { seed: 17 });
    const env = { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') };
    // No --level: the provider's registered one (province).
    const args = ['ingest', big, '--catalog', 'xzcf', '--provider', '11370000MB2852362M'];
    const both = await Promise.all([runCli(args, env), runCli(args, env)]);
    for (const result of both) expect(result.code, result.stderr).toBe(0);
    const rows = await fx.warehouse('source_files').where({ name: 'at-once.csv' }).orderBy('id');
    expect(rows.map((row) => row.status).sort()).toEqual(['loaded', 'skipped']);
    const loaded = rows.find((row) => row.status === 'loaded');
    const skipped = rows.find((row) => row.status === 'skipped');
    expect(loaded.counts.read).toBe(20_000);
    expect(skipped.same_content_as).toBe(loaded.id);
  }, 120_000);
});
