import type { Command } from 'commander';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { formatProblem } from '../../pipelines/load-pipelines.ts';
import { loadProviders, providerLabel, providersFile } from '../../report/providers.ts';
import { nextTriggers, SCHEDULE_TIMEZONE } from '../../schedule/scheduler.ts';
import { EXIT } from '../exit-codes.ts';
import { maskedTable } from '../format-table.ts';
import { allPipelines, pipelineNamed, pipelinesDir } from '../pipeline-context.ts';
import { loadedPipelineNameGiven, pipelineNamesShown } from '../pipeline-names-shown.ts';

/**
 * A pipeline's names, paths and settings as printed: masked as the logs mask them (a drop folder or an SFTP user
 * may be named for a person, by an ID number).
 */
const print = (text: string) => console.log(maskPersonalText(text));
const printProblem = (text: string) => console.error(maskPersonalText(text));

export function registerPipelinesCommand(program: Command): void {
  const pipelines = program.command('pipelines').description(`pipeline definitions (${pipelinesDir()})`);
  pipelines
    .command('list')
    .description('every pipeline with its transport, catalog entry, provider and schedule')
    .action(async () => {
      const { pipelines: found, problems } = await allPipelines();
      const registry = await loadProviders(providersFile());
      // Two names masking alike told apart (`…~1`, `…~2`), as the console's /pipelines shows them.
      const shown = pipelineNamesShown(found.map((p) => p.name));
      console.log(
        maskedTable(
          ['pipeline', 'transport', 'catalog', 'provider', 'level', 'schedule', 'next run (Asia/Shanghai)'],
          found.map((p) => [
            shown(p.name),
            p.transport.type,
            p.catalog,
            providerLabel(registry, p.provider),
            p.level,
            p.schedule.cron && p.schedule.enabled ? p.schedule.cron : '(by hand)',
            p.schedule.cron && p.schedule.enabled ? shanghaiTime(nextTriggers(p.schedule.cron, 1)[0]!) : '',
          ]),
        ),
      );
      for (const problem of problems) printProblem(`✗ ${formatProblem(problem)}`);
      process.exitCode = problems.length > 0 ? EXIT.usage : EXIT.ok;
    });
  pipelines
    .command('show')
    .description('one pipeline as loaded (defaults filled in) and its next trigger times')
    .argument(
      '<name>',
      'pipeline name (its file name without .json), or its name as `pipelines list` shows it',
    )
    .action(async (given: string) => {
      const pipeline = await pipelineNamed((await loadedPipelineNameGiven(given)).name);
      print(JSON.stringify(pipeline, null, 2));
      if (pipeline.schedule.cron && pipeline.schedule.enabled) {
        const next = nextTriggers(pipeline.schedule.cron, 5).map(shanghaiTime);
        print(`next runs (${SCHEDULE_TIMEZONE}): ${next.join(', ')}`);
      }
    });
  pipelines
    .command('validate')
    .description('check every pipeline file; each problem names the file and the field')
    .action(async () => {
      const { pipelines: found, problems } = await allPipelines();
      for (const pipeline of found) print(`✓ ${pipeline.file}`);
      for (const problem of problems) printProblem(`✗ ${formatProblem(problem)}`);
      process.exitCode = problems.length > 0 ? EXIT.usage : EXIT.ok;
    });
}
