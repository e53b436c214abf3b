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

/**
 * The pipeline names as the listings show them now, for one message of a process that runs pipelines (a worker's,
 * the scheduler's, a run's alert): read when the message is made, once for all the names in it, so that the name a
 * hint gives (`runs list --pipeline …`, `backfill …`) is the one the CLI takes back and two pipelines whose names
 * mask alike read apart. The CLI's reads the pipeline files and the pipelines with runs, as `runs list` numbers them
 * (src/cli/pipeline-names-shown.ts).
 */
export type PipelineNamesNow = () => Promise<PipelineNameShown>;

/** No listing to number by (a test, a process given none): each name masked, not numbered. */
export const maskedPipelineNames: PipelineNamesNow = async () => maskPersonalText;
