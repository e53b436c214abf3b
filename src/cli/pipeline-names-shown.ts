import { distinctMaskedNames } from '../log/distinct-masked-names.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import { allPipelines } from './pipeline-context.ts';

/** A pipeline's name as a listing prints it. */
export type PipelineNameShown = (name: string) => string;

/**
 * Pipeline names as every listing of the CLI prints them, and as the console and /metrics show them: an ID number in
 * a name masked, and names masking alike told apart (`feed-3701**********0014~1`, `~2`: distinctMaskedNames), so two
 * pipelines named for two people do not print as one line. `names` are the pipeline files (their names read the
 * same wherever they are shown); `others` (pipelines of runs or jobs whose file is gone) take the next places.
 */
export function pipelineNamesShown(
  names: Iterable<string>,
  others: Iterable<string> = [],
): PipelineNameShown {
  const shown = distinctMaskedNames(names, others);
  return (name) => shown.get(name) ?? maskPersonalText(name);
}

/**
 * pipelineNamesShown over the pipeline files the console loads (allPipelines, its out-of-date fields not printed).
 * A listing of runs or jobs needs no pipeline file: when they cannot be read, every name is one of `others`, still
 * masked and told apart.
 */
export async function loadedPipelineNamesShown(others: Iterable<string> = []): Promise<PipelineNameShown> {
  const names = await allPipelines({ quiet: true }).then(
    (loaded) => loaded.pipelines.map((pipeline) => pipeline.name),
    () => [],
  );
  return pipelineNamesShown(names, others);
}
