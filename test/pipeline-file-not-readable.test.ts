import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log/logger.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { failedForItsConfiguration, failedForTheFilesOnly } from '../src/queue/pipeline-run-job.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runPipelineOnce, testPipeline } from './support/test-pipeline.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVIDER = '11370000MB2852362M';
const listed = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

// A delivery the platform cannot read (its own permission on the file: EACCES; here, as root reads any mode, a
// file that is a link by the time it is read, as connectors/transports/drop-folder.test.ts makes one) is the
// platform's problem, not the file's: it is not moved to failed/, nothing is recorded against it or its provider,
// the run fails saying so (a worker retries it), and the next run reads it once it can.
describe('a drop-folder file the platform cannot read', { timeout: 120_000 }, () => {
  let fx: WarehouseFixture;
  const logger = createLogger({ console: false });

  beforeAll(async () => {
    fx = await openWarehouseFixture('file_not_readable');
  });
  afterAll(async () => fx?.close());

  function pipeline(inbox: string): PipelineDefinition {
    return testPipeline(
      'unreadable',
      { type: 'drop-folder', directory: inbox, markerSuffixes: [], stableSizeMs: 0 },
      { provider: PROVIDER, level: 'city', thresholds: { maxRejectRate: 0.9, maxRejected: null } },
    );
  }

  const run = (inbox: string, onUnitStart?: (name: string) => void): Promise<RunSummary> =>
    runPipelineOnce(fx, pipeline(inbox), logger, { onUnitStart: (unit) => onUnitStart?.(unit.name) });

  it('stays where it is, is recorded against no one, fails the run, and loads on the next run once readable', async () => {
    const inbox = path.join(fx.scratch, 'inbox');
    mkdirSync(inbox);
    writePenaltyCsv(inbox, 'a.csv', 5, { seed: 1 });
    const b = path.join(inbox, 'b.csv');
    writePenaltyCsv(inbox, 'b.csv', 4, { seed: 2 });

    // Listed as a file; by its turn the platform cannot open it.
    const first = await run(inbox, (name) => {
      if (name !== 'a.csv') return;
      rmSync(b);
      symlinkSync('b.csv', b);
    });
    expect(first.status).toBe('failed');
    expect(first.files.map((file) => [file.name, file.status])).toEqual([['a.csv', 'loaded']]);
    expect(first.unsettled).toEqual([
      expect.stringMatching(
        /^b\.csv: not read \[file-unreadable\]: 无法读取文件 b\.csv，未入库任何数据：平台无法打开该文件.*left where it is, nothing recorded against it or its provider/,
      ),
    ]);
    // Not a defect of the provider's file: a worker retries the run (the platform's fault).
    expect(failedForTheFilesOnly(first)).toBe(false);
    expect(failedForItsConfiguration(first)).toBe(false);
    const stored = await fx.warehouse('runs').where({ id: first.runId }).first();
    expect(stored.error).toMatch(/^b\.csv: not read \[file-unreadable\]/m);
    // Not moved to failed/, not in the ledger, not charged to the provider.
    expect(listed(inbox)).toEqual(['b.csv', 'processed']);
    expect(listed(path.join(inbox, 'processed'))).toEqual(['a.csv']);
    expect(existsSync(path.join(inbox, 'failed'))).toBe(false);
    expect(await fx.warehouse('source_files').where({ name: 'b.csv' })).toEqual([]);
    expect(await fx.warehouse('source_files').where({ provider_code: PROVIDER, status: 'failed' })).toEqual(
      [],
    );

    // The operator makes it readable: the next run takes it.
    rmSync(b);
    writePenaltyCsv(inbox, 'b.csv', 4, { seed: 2 });
    const second = await run(inbox);
    expect(second.status).toBe('completed');
    expect(second.files.map((file) => [file.name, file.status])).toEqual([['b.csv', 'loaded']]);
    expect(listed(path.join(inbox, 'processed'))).toEqual(['a.csv', 'b.csv']);
  });
});
