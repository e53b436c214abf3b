import path from 'node:path';
import { TRANSPORTS } from '../../connectors/registry.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import {
  type LoadedPipelines,
  loadPipeline,
  loadPipelines,
  PipelineError,
  type TransportRegistry,
} from '../pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import { UsageError } from './exit-codes.ts';

/** `CREDIT_ETL_PIPELINES_DIR`, default `pipelines/` of the project. */
export function pipelinesDir(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.CREDIT_ETL_PIPELINES_DIR?.trim();
  return value ? path.resolve(value) : path.join(PROJECT_ROOT, 'pipelines');
}

/** Where transports keep downloads in progress: `CREDIT_ETL_STAGING_DIR`, default `.data/staging`. */
export function stagingDir(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.CREDIT_ETL_STAGING_DIR?.trim();
  return value ? path.resolve(value) : path.join(PROJECT_ROOT, '.data', 'staging');
}

/** One pipeline by name; a bad or unknown one is a usage error (exit 2) naming the file and fields. */
export async function pipelineNamed(
  name: string,
  transports: TransportRegistry = TRANSPORTS,
): Promise<PipelineDefinition> {
  try {
    return await loadPipeline(pipelinesDir(), name, transports);
  } catch (error) {
    if (error instanceof PipelineError) throw new UsageError(error.message);
    throw error;
  }
}

export function allPipelines(): Promise<LoadedPipelines> {
  return loadPipelines(pipelinesDir(), TRANSPORTS);
}
