import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { createLogger } from '../src/log/logger.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { ingestUnits, type RunSummary } from '../src/run/ingest-files.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { runPipelineOnce, testPipeline } from './support/test-pipeline.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const listed = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

// The first SIGTERM lets the file being loaded finish; the run is `interrupted` only "if files were left for next
// time" (docs/operating.md). A stop during the last file leaves nothing: the run ends as its files did.
describe('a stop while a pipeline loads its last file', { timeout: 120_000 }, () => {
  let fx: WarehouseFixture;
  const logger = createLogger({ console: false });

  beforeAll(async () => {
    fx = await openWarehouseFixture('stop_last_file');
  });
  afterAll(async () => fx?.close());

  function pipeline(name: string, inbox: string): PipelineDefinition {
    return testPipeline(
      name,
      { type: 'drop-folder', directory: inbox, markerSuffixes: [], stableSizeMs: 0 },
      { level: 'city', thresholds: { maxRejectRate: 0.9, maxRejected: null } },
    );
  }

  /** A drop-folder run stopped (as by SIGTERM) when the unit named `stopAt` starts loading. */
  async function stoppedRun(name: string, files: string[], stopAt: string) {
    const inbox = path.join(fx.scratch, name);
    mkdirSync(inbox);
    for (const [i, file] of files.entries()) writePenaltyCsv(inbox, file, 5, { seed: 10 * files.length + i });
    const stop = new AbortController();
    const summary = await runPipelineOnce(fx, pipeline(name, inbox), logger, {
      signal: stop.signal,
      onUnitStart: (unit) => {
        if (unit.name === stopAt) stop.abort('stopped by SIGTERM after the current file');
      },
    });
    const stored = await fx.warehouse('runs').where({ id: summary.runId }).first();
    return { inbox, summary, stored };
  }

  it('during the only file: the file loads and is moved aside, the run is completed, not interrupted', async () => {
    const { inbox, summary, stored } = await stoppedRun('only', ['only.csv'], 'only.csv');
    expect(summary.files.map((file) => [file.name, file.status])).toEqual([['only.csv', 'loaded']]);
    expect(summary.status).toBe('completed');
    expect(stored).toMatchObject({ status: 'completed', error: null });
    expect(listed(path.join(inbox, 'processed'))).toEqual(['only.csv']);
  });

  it('during the first of two: the second is left for next time, the run is interrupted', async () => {
    const { inbox, summary, stored } = await stoppedRun('two', ['a.csv', 'b.csv'], 'a.csv');
    expect(summary.files.map((file) => [file.name, file.status])).toEqual([['a.csv', 'loaded']]);
    expect(summary.status).toBe('interrupted');
    expect(stored.status).toBe('interrupted');
    expect(listed(inbox)).toEqual(['b.csv', 'processed']);
  });

  it('a list of units run out during the last one: completed', async () => {
    const { file } = writePenaltyCsv(fx.scratch, 'listed.csv', 5, { seed: 77 });
    const stop = new AbortController();
    const summary: RunSummary = await ingestUnits(
      fx.warehouse,
      fx.catalog,
      {
        units: [await localFileUnit(file)],
        catalog: 'xzcf',
        providerCode: '11370000MB2852362M',
        level: 'city',
        encoding: 'auto',
        signal: stop.signal,
        onUnitStart: () => stop.abort(),
      },
      logger,
    );
    expect(summary.status).toBe('completed');
  });
});
