import path from 'node:path';
import { TRANSPORTS } from '../../connectors/registry.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import {
  catalogProblems,
  formatProblem,
  type LoadedPipelines,
  loadPipeline,
  loadPipelines,
  PipelineError,
  type PipelineProblem,
  type TransportRegistry,
} from '../pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../pipelines/pipeline-definition.ts';
import { checkProviderCode, checkProviderLevel } from '../report/provider-check.ts';
import { loadProviders, type Provider, providersFile } from '../report/providers.ts';
import { commandContext } from './command-context.ts';
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

/**
 * One pipeline by name; a bad or unknown one is a usage error (exit 2) naming the file and fields, as is one whose
 * provider is not registered or is registered at another level, whose catalog entry does not exist in `catalog`
 * (default: the configured catalog directory's) or whose `fieldMapping` maps a column to no field of it. What its
 * file should change although it loads (an out-of-date field) is printed to stderr.
 */
export async function pipelineNamed(
  name: string,
  transports: TransportRegistry = TRANSPORTS,
  catalog?: Catalog,
): Promise<PipelineDefinition> {
  try {
    // An unknown name's message lists the pipelines numbered as `pipelines list` numbers them, to be typed back.
    const { pipeline, warnings } = await loadPipeline(pipelinesDir(), name, transports, listedPipelineNames);
    printPipelineWarnings(warnings);
    const problems = [
      ...(await providerProblems(pipeline)),
      ...catalogProblems(pipeline, catalog ?? (await configuredCatalog())),
    ];
    if (problems.length > 0) throw new PipelineError(problems);
    return pipeline;
  } catch (error) {
    // The PipelineError stays the cause: a queued job tells a pipeline it cannot load (not retried) from a fault.
    if (error instanceof PipelineError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

/**
 * Every pipeline file; the out-of-date fields of those that load are printed to stderr (unless `quiet`: a listing
 * of runs or jobs that only names the pipelines). A pipeline whose provider is not registered or is registered at
 * another level, whose catalog entry does not exist or whose `fieldMapping` names no field of it is a problem, not a
 * pipeline.
 */
export async function allPipelines(options: { quiet?: boolean } = {}): Promise<LoadedPipelines> {
  const loaded = await loadPipelines(pipelinesDir(), TRANSPORTS);
  if (!options.quiet) printPipelineWarnings(loaded.warnings);
  const registry = await loadProviders(providersFile());
  const catalog = await configuredCatalog();
  const pipelines: PipelineDefinition[] = [];
  const problems = [...loaded.problems];
  for (const pipeline of loaded.pipelines) {
    const refused = [...(await providerProblems(pipeline, registry)), ...catalogProblems(pipeline, catalog)];
    if (refused.length > 0) problems.push(...refused);
    else pipelines.push(pipeline);
  }
  return { ...loaded, pipelines, problems };
}

/**
 * The names of the pipelines `pipelines list` lists (allPipelines, quietly), in its order: the set whose alike names
 * are numbered `~1`, `~2` wherever a pipeline is named or typed (pipeline-names-shown.ts); none when they cannot be
 * read.
 */
export function listedPipelineNames(): Promise<string[]> {
  return allPipelines({ quiet: true }).then(
    (loaded) => loaded.pipelines.map((pipeline) => pipeline.name),
    () => [],
  );
}

/** The catalog of `CREDIT_ETL_CATALOG_DIR` (a catalog that cannot be read is a usage error of its own). */
function configuredCatalog(): Promise<Catalog> {
  return loadCatalog(commandContext().config.catalogDir);
}

/**
 * A pipeline is a standing feed from a registered provider: its code must be in the provider registry, so the
 * bulletin and notices name the department (no per-pipeline exception, unlike `ingest --allow-unregistered-provider`),
 * and its `level` must be the provider's registered level (the level decides precedence in 省市互补 dedupe).
 */
async function providerProblems(
  pipeline: PipelineDefinition,
  registry?: Provider[],
): Promise<PipelineProblem[]> {
  const registryFile = providersFile();
  const providers = registry ?? (await loadProviders(registryFile));
  const check = checkProviderCode(providers, pipeline.provider, { registryFile });
  if (!check.ok) return [{ file: pipeline.file, path: '/provider', message: check.message }];
  if (check.code !== pipeline.provider)
    return [
      { file: pipeline.file, path: '/provider', message: `write the code as registered: "${check.code}"` },
    ];
  const mismatch = checkProviderLevel(providers, check.code, pipeline.level, registryFile);
  if (!mismatch) return [];
  return [
    {
      file: pipeline.file,
      path: '/level',
      message: `${mismatch.message}; write "level": "${mismatch.registered}", or correct the provider's level in the registry`,
    },
  ];
}

function printPipelineWarnings(warnings: readonly PipelineProblem[]): void {
  // A file named for a person (a drop folder's `p-<ID>.json`): masked as `pipelines list` prints its name.
  for (const warning of warnings) console.error(maskPersonalText(`⚠ ${formatProblem(warning)}`));
}
