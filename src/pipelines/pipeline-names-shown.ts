import { distinctMaskedNames } from '../log/distinct-masked-names.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { pipelinesOfRuns } from '../warehouse/runs-repository.ts';

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

/**
 * The one numbering of every listing, the CLI's (`pipelines list`, `runs list`, hints and alerts) and the console's
 * (/pipelines, /runs, a run's page, a retry's message): pipelineNamesShown over the pipeline files' names (`files`,
 * the pipelines `pipelines list` and /pipelines list) and the pipelines with runs after them, read here once, so a
 * pipeline whose file is gone is `…~2` wherever it is shown and typed. `soon`: for a message, often about the
 * database being away, that must neither wait for the pool nor fail on it: runs not read within RUNS_READ_MS leave
 * the files' names alone. Otherwise a failed read fails (a page reading the warehouse anyway).
 */
export async function listingPipelineNames(
  files: Iterable<string>,
  warehouse: Warehouse,
  options: { soon?: boolean } = {},
): Promise<PipelineNameShown> {
  const ofRuns = options.soon ? await runsPipelinesSoon(warehouse) : await pipelinesOfRuns(warehouse);
  return pipelineNamesShown(files, ofRuns);
}

/** How long a message waits for the pipelines with runs (the pool would wait a minute for a connection). */
const RUNS_READ_MS = 2_000;

async function runsPipelinesSoon(warehouse: Warehouse): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), RUNS_READ_MS);
  });
  try {
    return await Promise.race([pipelinesOfRuns(warehouse).catch(() => []), late]);
  } finally {
    clearTimeout(timer);
  }
}
