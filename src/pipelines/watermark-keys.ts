import { tableWatermarkKey } from '../../connectors/transports/table-watermark-key.ts';
import type { PipelineProblem } from './load-pipelines.ts';
import type { PipelineDefinition } from './pipeline-definition.ts';

/** A table a pipeline reads with a watermark: its transport's table, or its withdrawal table. */
interface WatermarkUse {
  pipeline: PipelineDefinition;
  path: string;
  key: string;
}

/**
 * Two tables read under one watermark key share one position: whichever runs second starts after the other's
 * rows and skips its own, without an error. Every pipeline in such a pair is refused, naming the other.
 */
export function sharedWatermarkProblems(pipelines: readonly PipelineDefinition[]): PipelineProblem[] {
  const byKey = new Map<string, WatermarkUse[]>();
  for (const use of pipelines.flatMap(watermarkUses))
    byKey.set(use.key, [...(byKey.get(use.key) ?? []), use]);
  return [...byKey.values()]
    .filter((uses) => uses.length > 1)
    .flatMap((uses) =>
      uses.map((use) => ({
        file: use.pipeline.file,
        path: use.path,
        message:
          `watermark "${use.key}" is also used by ${others(use, uses)}: each table needs its own position, ` +
          'or one skips the other\'s rows; give each a different "watermark" (or leave it out: the default names the pipeline)',
      })),
    );
}

function watermarkUses(pipeline: PipelineDefinition): WatermarkUse[] {
  const { type, table, watermark } = pipeline.transport;
  if (type !== 'table' || typeof table !== 'string') return [];
  const transport = { table, ...(typeof watermark === 'string' ? { watermark } : {}) };
  const uses = [{ pipeline, path: '/transport/watermark', key: tableWatermarkKey(transport, pipeline.name) }];
  const withdrawals = pipeline.withdrawals?.table;
  if (withdrawals) {
    const key = tableWatermarkKey(withdrawals, pipeline.name);
    uses.push({ pipeline, path: '/withdrawals/table/watermark', key });
  }
  return uses;
}

function others(use: WatermarkUse, uses: readonly WatermarkUse[]): string {
  return uses
    .filter((other) => other !== use)
    .map((other) =>
      other.pipeline === use.pipeline ? `its own ${other.path}` : `pipeline "${other.pipeline.name}"`,
    )
    .join(', ');
}
