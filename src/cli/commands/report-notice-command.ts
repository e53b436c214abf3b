import type { Command } from 'commander';
import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import type { Issuer } from '../../report/issuer.ts';
import { noticeStates, STATUS_TITLES } from '../../report/notice-status.ts';
import {
  DEFAULT_NOTICE_WORKING_DAYS,
  issueNotice,
  type Notice,
  NoticeRefused,
  PROVISIONAL_NOTE,
} from '../../report/notices.ts';
import { loadProviders, type Provider, providerLabel, providersFile } from '../../report/providers.ts';
import { type StagedReportFile, stageReportFile } from '../../report/report-file.ts';
import { dateRangeProblem, type ReportScope } from '../../report/report-scope.ts';
import type { Warehouse } from '../../warehouse/connect-warehouse.ts';
import { logCliUnmask, REASON_HELP, type UnmaskOptions, unmaskedWhat, unmaskReason } from '../cli-unmask.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { formatTable, maskedJson } from '../format-table.ts';
import { withReadingWarehouse, withWarehouse } from '../with-warehouse.ts';
import { idOption, missingScope, shownId } from './report-options.ts';

interface NoticeOptions extends UnmaskOptions {
  provider?: string;
  id?: string;
  run?: string;
  from?: string;
  to?: string;
  workingDays: string;
  out: string;
  providers: string;
  reissue?: boolean;
  operator?: string;
}

/** `report notice` (issue a review notice) and `report notices` (their computed status). */
export function registerNoticeCommands(report: Command): void {
  report
    .command('notice')
    .description(
      'review notice (复核通知) for one provider: its rejected and conflicting rows, how to fix them, the deadline and a re-upload template',
    )
    .option('--provider <code>', 'provider code (a new notice)')
    .option('--id <notice>', 'or: write an existing notice again, with its current status')
    .option('--run <id>', 'the run whose rows are covered')
    .option('--from <date>', 'or: first received date, YYYY-MM-DD (Asia/Shanghai)')
    .option('--to <date>', 'last received date, YYYY-MM-DD')
    .option(
      '--working-days <n>',
      'resubmission deadline in working days',
      String(DEFAULT_NOTICE_WORKING_DAYS),
    )
    .requiredOption('--out <file.xlsx>', 'output workbook')
    .option('--unmasked', 'write resident ID numbers in clear (internal use only; needs --reason, logged)')
    .option(
      '--template-unmasked',
      "re-upload template: the provider's own delivered values in clear, so it can be sent back as it is (for that provider only; needs --reason, logged)",
    )
    .option('--reason <text>', REASON_HELP)
    .option(
      '--reissue',
      'the scope has a notice already: record a re-send of it in its log and write it again',
    )
    .option('--operator <name>', 'who issues it, for the notice log (default: the OS user)')
    .option(
      '--providers <file>',
      'provider registry (default: CREDIT_ETL_PROVIDERS_FILE or config/providers.json)',
      providersFile(),
    )
    .action(async (options: NoticeOptions) => {
      const reason = unmaskReason(options);
      if (options.id !== undefined) return rewriteNotice(idOption('--id', options.id), options, reason);
      const scope = noticeScope(options);
      const workingDays = Number(options.workingDays);
      if (!Number.isInteger(workingDays) || workingDays < 0)
        throw new UsageError(`--working-days ${options.workingDays}: use a whole number ≥ 0`);
      if (!options.out.toLowerCase().endsWith('.xlsx'))
        throw new UsageError(`--out ${options.out}: use a .xlsx file name`);
      const { config, logger } = commandContext();
      const catalog = await loadCatalog(config.catalogDir);
      const providers = await loadProviders(options.providers);
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        const missing = await missingScope(warehouse, scope);
        if (missing) {
          console.error(missing);
          return EXIT.usage;
        }
        // The workbook is written in the notice's own transaction, under a temporary name put in place once that
        // is committed: a workbook that cannot be written records nothing (no notice, no event, no number used).
        const written: { file?: StagedReportFile } = {};
        let notice: Notice;
        try {
          notice = await issueNotice(
            warehouse,
            catalog,
            {
              providerCode: options.provider!,
              scope,
              workingDays,
              reissue: Boolean(options.reissue),
              providers,
              ...(options.operator !== undefined ? { operator: options.operator } : {}),
            },
            async (trx, issued) => {
              written.file = await writeStaged(
                trx,
                {
                  catalog,
                  providers,
                  noticeId: issued.id,
                  out: options.out,
                  unmasked: Boolean(options.unmasked),
                  issuer: config.issuer,
                  templateUnmasked: Boolean(options.templateUnmasked),
                },
                issued.reissued
                  ? `notice ${issued.id} was not re-sent, nothing was recorded in its log`
                  : 'no notice was issued, nothing was recorded (no notice number used)',
              );
              if (reason === undefined) return;
              const scoped: [string, string | undefined][] = [
                ['--provider', options.provider],
                ['--run', options.run],
                ['--from', options.from],
                ['--to', options.to],
              ];
              const what = `${unmaskedWhat('report notice', scoped, options, options.out)} (notice ${issued.id})`;
              await logCliUnmask(trx, logger, what, reason);
            },
          );
        } catch (error) {
          await written.file?.discard();
          if (!(error instanceof NoticeRefused)) throw error;
          console.error(`refused: ${error.message}`);
          return EXIT.usage;
        }
        await placeStaged(
          written.file!,
          notice.id,
          notice.reissued
            ? `the re-send of notice ${notice.id} was recorded, but its workbook could not be put in place`
            : `notice ${notice.id} was issued, but its workbook could not be put in place`,
        );
        console.log(
          `notice ${notice.id}${notice.reissued ? ' re-sent (recorded in its log)' : ''}: ${notice.rows} row(s)${rowNotes(notice)}, resubmit by ${notice.deadline} (${workingDays} working days${notice.provisional ? `; ${PROVISIONAL_NOTE.en}` : ''}) → ${options.out}${maskingSuffix(options)}`,
        );
        return EXIT.ok;
      });
    });
  report
    .command('notices')
    .description(
      'review notices with their status computed from later deliveries (open / partly corrected / closed)',
    )
    .option('--provider <code>', 'only this provider')
    .option('--json', 'print JSON')
    .action(async (options: { provider?: string; json?: boolean }) => {
      const { config, logger } = commandContext();
      process.exitCode = await withReadingWarehouse(config, logger, async (warehouse) => {
        const registry = await loadProviders(providersFile());
        const states = await noticeStates(
          warehouse,
          options.provider ? { providerCode: options.provider } : {},
        );
        // A notice's closing basis and log are free text: an ID in them masked, value by value.
        if (options.json) console.log(maskedJson(states));
        else
          console.log(
            formatTable(
              ['notice', 'provider', 'issued', 'deadline', 'rows', 'corrected', 'status'],
              states.map((s) => [
                String(s.id),
                providerLabel(registry, s.providerCode),
                s.issuedOn,
                // Marked as `notice list` and the console mark it, in Chinese as the status beside it.
                `${s.deadline}${s.provisional ? '（暂定）' : ''}`,
                String(s.rows),
                String(s.corrected),
                `${s.status} ${STATUS_TITLES[s.status]}`,
              ]),
            ),
          );
        return EXIT.ok;
      });
    });
}

/** `report notice --id`: an existing notice written again; `reason` when it unmasks (checked by the caller). */
async function rewriteNotice(
  noticeId: number,
  options: NoticeOptions,
  reason: string | undefined,
): Promise<void> {
  if (options.provider || options.run || options.from || options.to)
    throw new UsageError('--id writes an existing notice: leave out --provider, --run, --from and --to');
  const { config, logger } = commandContext();
  const catalog = await loadCatalog(config.catalogDir);
  const providers = await loadProviders(options.providers);
  process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
    const [state] = await noticeStates(warehouse, { noticeId });
    if (!state) {
      console.error(`notice ${shownId(noticeId)} not found: see \`credit-etl report notices\``);
      return EXIT.usage;
    }
    const written: { file?: StagedReportFile } = {};
    try {
      // In a transaction for its unmask log: kept only when the workbook was written.
      await warehouse.transaction(async (trx) => {
        written.file = await writeStaged(
          trx,
          {
            catalog,
            providers,
            noticeId,
            out: options.out,
            unmasked: Boolean(options.unmasked),
            issuer: config.issuer,
            templateUnmasked: Boolean(options.templateUnmasked),
          },
          `notice ${noticeId} was not written, nothing was recorded`,
        );
        if (reason === undefined) return;
        const what = unmaskedWhat('report notice', [['--id', String(noticeId)]], options, options.out);
        await logCliUnmask(trx, logger, what, reason);
      });
    } catch (error) {
      await written.file?.discard();
      throw error;
    }
    await placeStaged(written.file!, noticeId, `notice ${noticeId}: its workbook could not be put in place`);
    console.log(
      `notice ${noticeId}: ${state.status}, ${state.corrected}/${state.rows} corrected → ${options.out}${maskingSuffix(options)}`,
    );
    return EXIT.ok;
  });
}

/** What the console says about clear values in the workbook. */
function maskingSuffix(options: NoticeOptions): string {
  if (options.unmasked) return ' (UNMASKED: internal use only)';
  if (options.templateUnmasked)
    return " (re-upload template holds the provider's own values in clear: send to that provider only)";
  return '';
}

function noticeScope(options: NoticeOptions): ReportScope {
  if (!options.provider) throw new UsageError('give --provider <code> for a new notice, or --id <notice>');
  if (options.run !== undefined) {
    if (options.from || options.to) throw new UsageError('give --run or --from/--to, not both');
    return { kind: 'run', runId: idOption('--run', options.run) };
  }
  const problem = dateRangeProblem(options.from, options.to);
  if (problem) throw new UsageError(`${problem} (or give --run <id>)`);
  return { kind: 'provider', providerCode: options.provider, from: options.from!, to: options.to! };
}

/**
 * Writes a notice's workbook under a temporary name beside `out` (stageReportFile), reading through `trx`, the
 * notice's own transaction: the caller commits, then puts it in place (placeStaged). When it cannot be written,
 * nothing is left and the error says `unrecorded`, the file and why. exceljs is loaded only when a notice is
 * written (CLI start-up time and memory).
 */
async function writeStaged(
  trx: Warehouse,
  notice: {
    catalog: Catalog;
    providers: readonly Provider[];
    noticeId: number;
    out: string;
    unmasked: boolean;
    issuer: Issuer;
    templateUnmasked: boolean;
  },
  unrecorded: string,
): Promise<StagedReportFile> {
  const { catalog, providers, noticeId, out, ...options } = notice;
  let staged: StagedReportFile | undefined;
  try {
    staged = await stageReportFile(out);
    const { writeNoticeXlsx } = await import('../../report/notice-workbook.ts');
    await writeNoticeXlsx(trx, catalog, providers, noticeId, staged.temp, options);
    return staged;
  } catch (error) {
    await staged?.discard();
    const why = staged ? staged.failure(error) : (error as Error).message;
    throw new Error(`${unrecorded}: ${why}`, { cause: error });
  }
}

/** Puts a committed notice's workbook in place; when that fails, says `failed` (what was recorded) and what to do. */
async function placeStaged(staged: StagedReportFile, noticeId: number, failed: string): Promise<void> {
  await staged.place().catch((error: unknown) => {
    throw new Error(
      `${failed}: ${(error as Error).message}; ` +
        `write it with \`credit-etl report notice --id ${noticeId} --out <file.xlsx>\``,
      { cause: error },
    );
  });
}

/** What the row count leaves unsaid: valid rows held back with a file refused whole, rows corrected before issue. */
function rowNotes(notice: { held: number; alreadyCorrected: number }): string {
  const notes = [
    notice.held > 0
      ? `${notice.held} of them valid rows held back with a file refused whole: the file is asked for again`
      : '',
    notice.alreadyCorrected > 0 ? `${notice.alreadyCorrected} corrected before issue, left out` : '',
  ].filter(Boolean);
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}
