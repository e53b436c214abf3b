import path from 'node:path';
import type { Logger } from '../../src/log/logger.ts';
import { DEFAULT_PARTITION, type PipelineDefinition } from '../../src/pipelines/pipeline-definition.ts';
import { type PipelineRunOptions, runPipeline } from '../../src/pipelines/run-pipeline.ts';
import type { RunSummary } from '../../src/run/ingest-files.ts';
import type { WarehouseFixture } from './warehouse-fixture.ts';

/**
 * The pipeline `name` of the province's 行政处罚 over `transport`, as a test hands it to runPipeline: read from
 * `pipelines/<name>.json`, no schedule, one attempt, half the rows may be rejected; `overrides` change any of it.
 */
export function testPipeline(
  name: string,
  transport: PipelineDefinition['transport'],
  overrides: Partial<PipelineDefinition> = {},
): PipelineDefinition {
  return {
    name,
    file: `pipelines/${name}.json`,
    catalog: 'xzcf',
    provider: '11370000MB2852362M',
    level: 'province',
    partition: DEFAULT_PARTITION,
    encoding: 'auto',
    transport,
    fieldMapping: {},
    schedule: { enabled: false },
    thresholds: { maxRejectRate: 0.5, maxRejected: null },
    retry: { attempts: 1, backoffSeconds: 0 },
    allowPilotCodes: false,
    ...overrides,
  };
}

/** One run of `definition`, staged in `<scratch>/staging` unless `options` say otherwise: its summary (throws if locked). */
export async function runPipelineOnce(
  fx: WarehouseFixture,
  definition: PipelineDefinition,
  logger: Logger,
  options: Partial<PipelineRunOptions> = {},
): Promise<RunSummary> {
  const result = await runPipeline(
    fx.warehouse,
    fx.catalog,
    definition,
    { stagingDir: path.join(fx.scratch, 'staging'), ...options },
    logger,
  );
  if (result.status !== 'ran') throw new Error('the pipeline was locked');
  return result.summary;
}
