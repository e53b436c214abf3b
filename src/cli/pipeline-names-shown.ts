import { distinctMaskedNames } from '../log/distinct-masked-names.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import {
  listingPipelineNames,
  type PipelineNameShown,
  type PipelineNamesNow,
  pipelineNamesShown,
} from '../pipelines/pipeline-names-shown.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { UsageError } from './exit-codes.ts';
import { listedPipelineNames } from './pipeline-context.ts';

// The pure naming lives with the pipelines (their messages use it too); the CLI's listings import it from here.
export { type PipelineNameShown, pipelineNamesShown };

/**
 * pipelineNamesShown over the pipeline files the console loads (allPipelines, its out-of-date fields not printed).
 * A listing of runs or jobs needs no pipeline file: when they cannot be read, every name is one of `others`, still
 * masked and told apart.
 */
export async function loadedPipelineNamesShown(others: Iterable<string> = []): Promise<PipelineNameShown> {
  return pipelineNamesShown(await listedPipelineNames(), others);
}

/**
 * How a process that runs pipelines (a worker, the scheduler, `run`) names them in its hints, alerts and log lines:
 * as `runs list` and the console do (listingPipelineNames over the pipeline files, the pipelines with runs after
 * them), read once per message, so that `runs list --pipeline <name>` and `backfill <name>` take the name back. Runs
 * that cannot be read soon: the pipeline files' names alone.
 */
export function warehousePipelineNames(warehouse: Warehouse): PipelineNamesNow {
  return async () => listingPipelineNames(await listedPipelineNames(), warehouse, { soon: true });
}

/** The pipeline a command was given: its real name, and its name as the listings show it. */
export interface PipelineGiven {
  name: string;
  shown: string;
}

/**
 * The pipeline a command was given: its real name, or its name as a listing prints it (pipelineNamesShown over the
 * same `names` and `others`), so an operator who read `feed-3701**********0014~1` in `pipelines list`, `runs list` or
 * the console can type it back. A name that names no pipeline and is not shown masked is returned as it is (the
 * command says it is unknown). A masked name without `~N` that stands for two or more pipelines, or one shown for
 * none, is a usage error naming the candidates as shown, never an ID in clear.
 */
export function pipelineNameGiven(
  given: string,
  names: Iterable<string>,
  others: Iterable<string> = [],
): PipelineGiven {
  const shown = distinctMaskedNames(names, others);
  const found = (name: string) => ({ name, shown: shown.get(name) ?? maskPersonalText(name) });
  if (shown.has(given)) return found(given);
  const named = [...shown].filter(([, text]) => text === given).map(([name]) => name);
  if (named.length === 1) return found(named[0]!);
  const place = /~\d+$/.exec(given);
  const base = place ? given.slice(0, place.index) : given;
  const alike = [...shown.keys()].filter((name) => maskPersonalText(name) === base);
  if (alike.length === 0 && !given.includes('*')) return found(given);
  if (!place && alike.length === 1) return found(alike[0]!);
  const candidates = alike.map((name) => found(name).shown).sort();
  const list = candidates.join(', ');
  const typed = maskPersonalText(given);
  if (!place && alike.length > 1)
    throw new UsageError(
      `pipeline ${typed} stands for ${alike.length} pipelines whose names mask alike: give one of ${list} (credit-etl pipelines list)`,
    );
  const seeAlso = candidates.length > 0 ? `: pipelines shown alike are ${list}` : '';
  throw new UsageError(`no pipeline is shown as ${typed}${seeAlso} (credit-etl pipelines list)`);
}

/**
 * pipelineNameGiven over the pipeline files the listings name (as loadedPipelineNamesShown), and `others()` (the
 * pipelines of runs, for a filter that finds the runs of a pipeline whose file is gone), read only when given.
 */
export async function loadedPipelineNameGiven(
  given: string,
  others?: () => Promise<Iterable<string>>,
): Promise<PipelineGiven> {
  return pipelineNameGiven(given, await listedPipelineNames(), others ? await others() : []);
}
