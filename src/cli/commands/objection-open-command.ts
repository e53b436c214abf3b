import { type Command, Option } from 'commander';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { openObjection } from '../../objections/objection-workflow.ts';
import { OBJECTION_CHANNELS, type ObjectionChannel } from '../../warehouse/objection-vocabulary.ts';
import { EXIT } from '../exit-codes.ts';
import { objectionLine } from '../format-objection.ts';
import { osUser } from '../os-user.ts';
import { resolveRecordToChange } from '../resolve-record.ts';
import { dateOption } from './date-options.ts';
import { officerCommand, printObjection } from './objection-subcommand.ts';

/** `objection open`: registers an objection on a record, which is marked 异议处理中 at once. */
export function registerObjectionOpen(objection: Command): void {
  objection
    .command('open')
    .description('register an objection: the record is marked 异议处理中 at once, due in 3 working days')
    .argument(
      '<record>',
      "record id, whole business key, or decision number (not a subject's code: `subject <code>` lists its records)",
    )
    .requiredOption('--applicant <name>', 'who objects (the subject or its agent)')
    .requiredOption('--reason <text>', 'what the subject disputes')
    .option('--received-at <date>', 'the day the objection was received (YYYY-MM-DD; default today)')
    .addOption(
      new Option('--channel <channel>', 'where it was filed').choices(OBJECTION_CHANNELS).default('platform'),
    )
    .option('--basis <text>', 'the application form or letter number, if any')
    .option('--note <text>', 'anything else the officer records')
    .option('--operator <name>', 'who registers it (default: the OS user)')
    .option('--catalog <code>', 'only records of this catalog entry (to choose the record)')
    .option('--json', 'print JSON')
    .action(async (typed: string, options: OpenOptions) => {
      const receivedOn =
        options.receivedAt === undefined
          ? todayInShanghai()
          : dateOption('--received-at', options.receivedAt);
      await officerCommand(async (warehouse, catalog) => {
        const record = await resolveRecordToChange(warehouse, catalog, typed, options.catalog);
        if (!record) return EXIT.usage;
        const opened = await openObjection(warehouse, {
          recordId: record.id,
          applicant: options.applicant,
          reason: options.reason,
          receivedOn,
          channel: options.channel,
          operator: options.operator ?? osUser(),
          ...(options.basis !== undefined ? { basis: options.basis } : {}),
          ...(options.note !== undefined ? { note: options.note } : {}),
        });
        for (const warning of opened.warnings) console.error(maskPersonalText(`⚠ ${warning}`));
        await printObjection(
          warehouse,
          catalog,
          options.json,
          opened.objection,
          objectionLine(opened.objection),
        );
        return EXIT.ok;
      });
    });
}

interface OpenOptions {
  applicant: string;
  reason: string;
  receivedAt?: string;
  channel: ObjectionChannel;
  basis?: string;
  note?: string;
  operator?: string;
  catalog?: string;
  json?: boolean;
}
