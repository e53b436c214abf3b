import { type Command, Option } from 'commander';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { maskedObjections } from '../../objections/objection-masking.ts';
import { STAGE_TITLES } from '../../objections/objection-titles.ts';
import { overdueObjections } from '../../objections/overdue-objections.ts';
import { verificationStates } from '../../objections/verification.ts';
import { verificationCell } from '../../objections/verification-status.ts';
import { APPEAL_STAGES } from '../../warehouse/objection-vocabulary.ts';
import { type ObjectionFilter, objectionRows } from '../../warehouse/objections-repository.ts';
import { EXIT } from '../exit-codes.ts';
import { dueCell, stateText, withOverdue } from '../format-objection.ts';
import { formatTable } from '../format-table.ts';
import { resolveRecord } from '../resolve-record.ts';
import { dateOption } from './date-options.ts';
import { readCommand } from './objection-subcommand.ts';

/** `--status` as typed: `checking` is the platform's check (stage `open`). */
const STATUSES = ['in-progress', 'closed', 'checking', ...APPEAL_STAGES] as const;

/**
 * `objection list`: objections with their stage, due date and state, as of a day. In an appeal, review or lawsuit
 * the due column shows the day that stage began (dueCell); --json keeps `dueOn`, the check's, with `stageSince`.
 */
export function registerObjectionList(objection: Command): void {
  objection
    .command('list')
    .description('objections with their stage and due date, oldest first')
    .option(
      '--overdue',
      'only objections whose check is still open after their due date (a provisional one: after the latest day it can be)',
    )
    .option(
      '--as-of <date>',
      'list them as they stood at the end of this day, --overdue judged on it (YYYY-MM-DD; default today, Asia/Shanghai)',
    )
    .option('--provider <code>', 'only objections on records this provider delivered')
    .addOption(
      new Option(
        '--status <status>',
        'in-progress (marked), closed, or the stage in progress: checking (核查), appeal, review, lawsuit',
      ).choices(STATUSES),
    )
    .option('--record <record>', 'only objections on this record (id, whole key or decision number)')
    .option('--catalog <code>', 'only records of this catalog entry (to choose --record)')
    .option('--json', 'print JSON')
    .action(async (options: ListOptions) => {
      const asOf = options.asOf === undefined ? todayInShanghai() : dateOption('--as-of', options.asOf);
      await readCommand(async (warehouse, catalog) => {
        const filter: ObjectionFilter = {
          ...(options.asOf === undefined ? {} : { asOf }),
          ...(options.provider ? { providerCode: options.provider } : {}),
          ...(options.status ? { status: options.status === 'checking' ? 'open' : options.status } : {}),
        };
        if (options.record !== undefined) {
          const record = await resolveRecord(warehouse, catalog, options.record, options.catalog);
          if (!record) return EXIT.usage;
          filter.recordId = record.id;
        }
        // Applicant and claim masked against the record's own personal values (its subject's ID, even as a USCC).
        // Overdue: past the settled date, or a provisional one past even the latest day it can be.
        const found = options.overdue
          ? (await overdueObjections(warehouse, asOf, filter)).overdue
          : await objectionRows(warehouse, filter);
        const rows = await maskedObjections(warehouse, catalog, found);
        const verification = await verificationStates(
          warehouse,
          rows.map((row) => row.id),
          asOf,
        );
        if (options.json) {
          const listed = rows.map((row) => ({
            ...withOverdue(row, asOf),
            verification: verification.get(row.id),
          }));
          console.log(maskPersonalText(JSON.stringify(listed)));
          return EXIT.ok;
        }
        if (rows.length === 0) {
          console.log('no objections match');
          return EXIT.ok;
        }
        console.log(
          maskPersonalText(
            formatTable(
              [
                'objection',
                'record',
                'catalog',
                'channel',
                'provider',
                'received',
                'due',
                'stage',
                'state',
                'verification',
                'applicant',
              ],
              rows.map((row) => [
                row.id,
                row.recordId,
                row.catalogCode,
                row.channel,
                row.providerCode ?? '—',
                row.receivedOn,
                dueCell(row),
                STAGE_TITLES[row.stage],
                stateText(row, asOf),
                verificationCell(verification.get(row.id)),
                row.applicant,
              ]),
            ),
          ),
        );
        return EXIT.ok;
      });
    });
}

interface ListOptions {
  overdue?: boolean;
  asOf?: string;
  provider?: string;
  status?: (typeof STATUSES)[number];
  record?: string;
  catalog?: string;
  json?: boolean;
}
