import { distinctMaskedNames } from '../log/distinct-masked-names.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';

/** A pipeline's name as a listing prints it. */
export type PipelineNameShown = (name: string) => string;

/**
 * Pipeline names as every listing of the CLI prints them, and as the console and /metrics show them: an ID number in
 * a name masked, and names masking alike told apart (`feed-3701**********0014~1`, `~2`: distinctMaskedNames), so two
 * pipelines named for two people do not print as one line. `names` are the pipeline files (their names read the
 * same wherever they are shown); `others` (pipelines of runs or jobs whose file is gone) take the next places.
 * Here, below the CLI, so that a message of the pipelines folder (an unknown pipeline's) names them as they list.
 */
export function pipelineNamesShown(
  names: Iterable<string>,
  others: Iterable<string> = [],
): PipelineNameShown {
  const shown = distinctMaskedNames(names, others);
  return (name) => shown.get(name) ?? maskPersonalText(name);
}
