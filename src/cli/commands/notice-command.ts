import { type Command, Option } from 'commander';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import {
  acceptHigherChannel,
  CLOSED_HOW_TITLES,
  closeNotice,
  escalateRow,
  NOTICE_CHANNELS,
  type NoticeChannel,
  recordAcknowledged,
  recordSent,
} from '../../report/notice-log.ts';
import { defaultOperator } from '../../report/notice-operator.ts';
import {
  NOTICE_STATUSES,
  type NoticeState,
  noticeStates,
  STATUS_TITLES,
} from '../../report/notice-status.ts';
import { NoticeRefused } from '../../report/notices.ts';
import { loadProviders, type Provider, providerLabel, providersFile } from '../../report/providers.ts';
import { shownKey } from '../../verify/shown-key.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import { noticeEvents, noticeRowsAt } from '../../warehouse/notice-events-repository.ts';
import { findNotice } from '../../warehouse/notices-repository.ts';
import { commandContext } from '../command-context.ts';
import { EXIT } from '../exit-codes.ts';
import { formatTable, maskedJson, maskedTable } from '../format-table.ts';
import { withReadingWarehouse, withWarehouse } from '../with-warehouse.ts';
import { idOption, shownId } from './report-options.ts';

interface AuthorOptions {
  operator?: string;
  note?: string;
}

/**
 * `notice …`: the notice log (016) — what happened with a review notice after `report notice` issued it: sent,
 * acknowledged, closed, and each conflict row accepted as the higher channel's version or escalated.
 */
export function registerNoticeCommand(program: Command): void {
  const notice = program
    .command('notice')
    .description(
      'the review notices (复核通知) and their log: list, show, sent, ack, close, accept-higher, escalate',
    );
  notice
    .command('list')
    .description('notices with their computed status, escalated rows, last event; newest first')
    .option('--provider <code>', 'only this provider')
    .addOption(new Option('--status <status>', 'only notices with this status').choices(NOTICE_STATUSES))
    .option('--overdue', 'only notices past their deadline and not closed')
    .option('--json', 'print JSON')
    .action(async (options: { provider?: string; status?: string; overdue?: boolean; json?: boolean }) => {
      const { config, logger } = commandContext();
      const registry = await loadProviders(providersFile());
      process.exitCode = await withReadingWarehouse(config, logger, async (warehouse) => {
        const states = (
          await noticeStates(warehouse, options.provider ? { providerCode: options.provider } : {})
        ).filter((s) => (!options.status || s.status === options.status) && (!options.overdue || s.overdue));
        // A closing basis may quote an ID number: each string masked on its own (maskedJson).
        if (options.json) console.log(maskedJson(states));
        else
          console.log(
            formatTable(
              ['notice', 'provider', 'issued', 'deadline', 'rows', 'done', 'escalated', 'status'],
              states.map((s) => [
                String(s.id),
                providerLabel(registry, s.providerCode),
                s.issuedOn,
                deadlineText(s),
                String(s.rows),
                String(s.corrected),
                String(s.escalated),
                statusText(s),
              ]),
            ),
          );
        return EXIT.ok;
      });
    });
  notice
    .command('show')
    .description('one notice: scope, deadline, status, its conflict rows and every event of its log')
    .argument('<id>', 'notice id (see `credit-etl notice list`)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const noticeId = idOption('notice id', id);
      const { config, logger } = commandContext();
      const registry = await loadProviders(providersFile());
      const catalog = await loadCatalog(config.catalogDir);
      process.exitCode = await withReadingWarehouse(config, logger, (warehouse) =>
        showNotice(warehouse, { registry, catalog }, noticeId, Boolean(options.json)),
      );
    });
  withAuthor(
    notice
      .command('sent')
      .description('record that a notice was sent: by which channel, to whom')
      .argument('<id>', 'notice id')
      .addOption(
        new Option('--channel <channel>', 'how it was sent')
          .choices(Object.keys(NOTICE_CHANNELS))
          .makeOptionMandatory(),
      )
      .requiredOption('--to <recipient>', 'to whom: a person, a mailbox, an office'),
  ).action(async (id: string, options: AuthorOptions & { channel: NoticeChannel; to: string }) => {
    await logEvent(id, (warehouse, noticeId) =>
      recordSent(warehouse, noticeId, {
        ...author(options),
        channel: options.channel,
        recipient: options.to,
      }).then(
        // The recipient as `notice show` shows it: an ID number in it masked, a USCC never.
        (eventId) =>
          `notice ${noticeId}: sent by ${NOTICE_CHANNELS[options.channel]} to ${maskPersonalText(options.to)} (event ${eventId})`,
      ),
    );
  });
  withAuthor(
    notice
      .command('ack')
      .description('record that the provider acknowledged receipt of a notice')
      .argument('<id>', 'notice id'),
  ).action(async (id: string, options: AuthorOptions) => {
    await logEvent(id, (warehouse, noticeId) =>
      recordAcknowledged(warehouse, noticeId, author(options)).then(
        (eventId) => `notice ${noticeId}: acknowledged (event ${eventId})`,
      ),
    );
  });
  withAuthor(
    notice
      .command('close')
      .description(
        'close a notice: as done when every row is corrected or resolved, else by hand with --basis',
      )
      .argument('<id>', 'notice id')
      .option('--basis <text>', 'closing with rows open: the written basis (a confirmation, a decision)'),
  ).action(async (id: string, options: AuthorOptions & { basis?: string }) => {
    await logEvent(id, (warehouse, noticeId) =>
      closeNotice(warehouse, noticeId, { ...author(options), basis: options.basis }).then(
        (how) => `notice ${noticeId}: closed (${how}: ${CLOSED_HOW_TITLES[how]})`,
      ),
    );
  });
  withAuthor(
    notice
      .command('accept-higher')
      .description(
        'a conflict row: 确认以省级数据为准 — the current version (the higher channel’s, or a legal correction) stands; the row is done',
      )
      .argument('<id>', 'notice id')
      .requiredOption(
        '--row <n>',
        'the row’s 序号 in the notice (问题清单; `notice show` lists the conflict rows)',
      ),
  ).action(async (id: string, options: AuthorOptions & { row: string }) => {
    await logEvent(id, (warehouse, noticeId) => {
      const serial = idOption('--row', options.row);
      return acceptHigherChannel(warehouse, noticeId, serial, author(options)).then(
        ({ closed }) =>
          `notice ${noticeId} row ${serial}: the current version stands (确认以现行数据为准)` +
          (closed ? `; notice ${noticeId} closed: nothing else is open` : ''),
      );
    });
  });
  notice
    .command('escalate')
    .description('a conflict row the providers cannot settle: recorded as escalated, the row stays open')
    .argument('<id>', 'notice id')
    .requiredOption('--row <n>', 'the row’s 序号 in the notice')
    .requiredOption('--reason <text>', 'why, and to whom it goes')
    .option('--operator <name>', 'who records it (default: the OS user)')
    .action(async (id: string, options: { row: string; reason: string; operator?: string }) => {
      await logEvent(id, (warehouse, noticeId) => {
        const serial = idOption('--row', options.row);
        return escalateRow(warehouse, noticeId, serial, {
          operator: options.operator ?? defaultOperator(),
          note: options.reason,
        }).then((eventId) => `notice ${noticeId} row ${serial}: escalated, stays open (event ${eventId})`);
      });
    });
}

function withAuthor(command: Command): Command {
  return command
    .option('--note <text>', 'anything to add')
    .option('--operator <name>', 'who records it (default: the OS user)');
}

const author = (options: AuthorOptions) => ({
  operator: options.operator ?? defaultOperator(),
  note: options.note,
});

/** Runs one log command; a refusal (no such notice, a row already resolved…) is exit 2 with its reason. */
async function logEvent(
  id: string,
  record: (warehouse: Warehouse, noticeId: number) => Promise<string>,
): Promise<void> {
  const noticeId = idOption('notice id', id);
  const { config, logger } = commandContext();
  process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
    try {
      console.log(await record(warehouse, noticeId));
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof NoticeRefused)) throw error;
      console.error(`refused: ${error.message}`);
      return EXIT.usage;
    }
  });
}

/** Past the deadline: the word `objection list` (format-objection.ts) and the console's notices page print. */
const OVERDUE_TITLE = '已逾期';

/**
 * A deadline counted through a year without calendar data: the mark the console's notices page and `objection
 * list`'s due dates (dueText) print, in Chinese as the values beside it.
 */
const PROVISIONAL_TITLE = '（暂定）';

/** `2026-03-02（暂定） 已逾期`: past its deadline and not closed, in the words every output uses. */
function deadlineText(state: NoticeState): string {
  return `${state.deadline}${state.provisional ? PROVISIONAL_TITLE : ''}${state.overdue ? ` ${OVERDUE_TITLE}` : ''}`;
}

function statusText(state: NoticeState): string {
  const closed = state.closedHow ? `, ${CLOSED_HOW_TITLES[state.closedHow]}` : '';
  return `${state.status} ${STATUS_TITLES[state.status]}${closed}`;
}

async function showNotice(
  warehouse: Warehouse,
  { registry, catalog }: { registry: readonly Provider[]; catalog: Catalog },
  noticeId: number,
  json: boolean,
): Promise<number> {
  const [state] = await noticeStates(warehouse, { noticeId });
  const stored = await findNotice(warehouse, noticeId);
  if (!state || !stored) {
    console.error(`notice ${shownId(noticeId)} not found: see \`credit-etl notice list\``);
    return EXIT.usage;
  }
  // File names, keys, notes and bases may quote an ID number: masked as everywhere else, each line or cell on its
  // own (maskedTable), never a whole table.
  const print = (text: string) => console.log(maskPersonalText(text));
  const conflicts = await noticeRowsAt(warehouse, noticeId, { conflictsOnly: true });
  const events = await noticeEvents(warehouse, noticeId);
  if (json) {
    // A conflict row's business key as `record` and the notice workbook show one: its parts joined by `|`, each
    // masked as its field says (a passport's 证件号码 too, which no text masker recognises), a USCC never; then
    // every other string masked on its own (maskedJson).
    const rows = conflicts.map((row) => ({
      ...row,
      business_key:
        row.business_key === null ? null : shownKey(catalog, row.catalog_code, null, row.business_key),
    }));
    console.log(maskedJson({ ...state, scope: stored.scope, conflicts: rows, events }));
    return EXIT.ok;
  }
  print(`notice ${noticeId}: ${providerLabel(registry, state.providerCode)}`);
  print(`scope ${JSON.stringify(stored.scope)} · issued ${state.issuedOn} · deadline ${deadlineText(state)}`);
  print(
    `status ${statusText(state)} · ${state.corrected}/${state.rows} row(s) done · ${state.escalated} escalated`,
  );
  if (state.closedBasis) print(`closed on the basis: ${state.closedBasis}`);
  if (conflicts.length > 0) {
    print('\nconflict rows (resolve: notice accept-higher <id> --row <n>; notice escalate <id> --row <n>):');
    console.log(
      maskedTable(
        ['row', 'catalog', 'file', 'line', 'state'],
        conflicts.map((row) => [
          String(row.serial),
          row.catalog_code,
          row.file,
          String(row.row_number),
          row.resolved ? 'resolved: higher channel stands' : row.escalated ? 'escalated' : 'open',
        ]),
      ),
    );
  }
  print('\nlog:');
  console.log(
    maskedTable(
      ['event', 'at (Asia/Shanghai)', 'what', 'row', 'channel', 'to', 'basis / note', 'by'],
      events.map((event) => [
        String(event.id),
        shanghaiTime(event.at),
        event.kind === 'closed' && event.closed_how ? `closed (${event.closed_how})` : event.kind,
        event.notice_row_id === null
          ? ''
          : String(conflicts.find((c) => c.id === event.notice_row_id)?.serial ?? ''),
        event.channel ? (NOTICE_CHANNELS[event.channel as NoticeChannel] ?? event.channel) : '',
        event.recipient ?? '',
        [event.basis, event.note].filter(Boolean).join(' · '),
        event.operator,
      ]),
    ),
  );
  return EXIT.ok;
}
