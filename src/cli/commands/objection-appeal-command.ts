import { type Command, Option } from 'commander';
import { appealObjection } from '../../objections/objection-workflow.ts';
import { APPEAL_STAGES, type AppealStage } from '../../warehouse/objection-vocabulary.ts';
import { EXIT } from '../exit-codes.ts';
import { objectionLine } from '../format-objection.ts';
import { osUser } from '../os-user.ts';
import { objectionId, officerCommand, printObjection } from './objection-subcommand.ts';

/** `objection appeal`: an appeal, administrative review or lawsuit opens, and the record is marked again. */
export function registerObjectionAppeal(objection: Command): void {
  objection
    .command('appeal')
    .description(
      'the subject appeals (申诉) the result, or seeks administrative review or sues: the record is marked again',
    )
    .argument('<id>', 'objection id')
    .requiredOption('--basis <text>', 'the appeal, application or case number')
    .requiredOption('--note <text>', 'what is appealed, and by whom')
    .addOption(
      new Option(
        '--stage <stage>',
        'appeal (申诉 to the development and reform department), review (行政复议) or lawsuit (行政诉讼)',
      )
        .choices(APPEAL_STAGES)
        .default('appeal'),
    )
    .option('--operator <name>', 'who records it (default: the OS user)')
    .option('--json', 'print JSON')
    .action(async (typed: string, options: AppealOptions) => {
      const id = objectionId(typed);
      await officerCommand(async (warehouse, catalog) => {
        const appealed = await appealObjection(warehouse, id, {
          stage: options.stage,
          basis: options.basis,
          note: options.note,
          operator: options.operator ?? osUser(),
        });
        await printObjection(warehouse, catalog, options.json, appealed, objectionLine(appealed));
        return EXIT.ok;
      });
    });
}

interface AppealOptions {
  basis: string;
  note: string;
  stage: AppealStage;
  operator?: string;
  json?: boolean;
}
