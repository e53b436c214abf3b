import type { Command } from 'commander';
import { type Catalog, loadCatalog } from '../../catalog/load-catalog.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { deliveredRecord } from '../../objections/delivered-record.ts';
import {
  recordVerificationAnswer,
  sendVerificationNotice,
  VerificationRefused,
  verificationStates,
} from '../../objections/verification.ts';
import {
  DEFAULT_VERIFICATION_WORKING_DAYS,
  VERIFICATION_ANSWERS,
  VERIFICATION_PROVISIONAL_NOTE,
  type VerificationAnswer,
  type VerificationState,
  verificationLine,
} from '../../objections/verification-status.ts';
import {
  DEFAULT_PROVIDERS_FILE,
  loadProviders,
  type Provider,
  providerName,
} from '../../report/providers.ts';
import { type StagedReportFile, stageReportFile } from '../../report/report-file.ts';
import { type ObjectionRow, objectionRows } from '../../warehouse/objections-repository.ts';
import { logCliUnmask, REASON_HELP, type UnmaskOptions, unmaskedWhat, unmaskReason } from '../cli-unmask.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { osUser } from '../os-user.ts';
import { withOfficerWarehouse } from '../with-warehouse.ts';
import { dateOption } from './date-options.ts';
import { idOption, shownId } from './report-options.ts';

interface NotifyOptions extends UnmaskOptions {
  out: string;
  provider?: string;
  workingDays?: string;
  issuedOn?: string;
  operator?: string;
  providers: string;
}

interface AnswerOptions {
  result: string;
  basis: string;
  note?: string;
  answeredOn?: string;
  operator?: string;
}

/**
 * `objection notify` (the verification notice, 异议核实通知, to the provider) and `objection answer` (its
 * answer), under the `objection` command: the one `objection open|list|show|…` registered, else a new one.
 */
export function registerVerificationCommands(program: Command): void {
  const objection =
    program.commands.find((command) => command.name() === 'objection') ??
    program.command('objection').description('objections (异议, Art. 18)');
  objection
    .command('notify')
    .description(
      'the objection verification notice (异议核实通知) to the provider: the record as delivered, the claim, the deadline, what to answer; again: written with its current status',
    )
    .argument('<id>', 'objection id')
    .requiredOption('--out <file.xlsx>', 'output workbook')
    .option('--provider <code>', "the provider asked (default: the objection's, who delivered the record)")
    .option(
      '--working-days <n>',
      `answer deadline in working days (default ${DEFAULT_VERIFICATION_WORKING_DAYS}: the platform's 3 leave it one)`,
    )
    .option('--issued-on <date>', 'the day the notice went out, YYYY-MM-DD (default today, Asia/Shanghai)')
    .option('--operator <name>', 'who sends it (default: the OS user)')
    .option('--unmasked', 'write resident ID numbers in clear (internal use only; needs --reason, logged)')
    .option('--reason <text>', REASON_HELP)
    .option('--providers <file>', 'providers config', DEFAULT_PROVIDERS_FILE)
    .action(notify);
  objection
    .command('answer')
    .description("record the provider's answer to the verification notice: confirmed or corrected")
    .argument('<id>', 'objection id')
    .requiredOption('--result <answer>', `${VERIFICATION_ANSWERS.join(' | ')}`)
    .requiredOption('--basis <文号>', "the provider's reply (letter number or reference)")
    .option('--note <text>', 'what the provider said')
    .option('--answered-on <date>', 'the day the answer arrived, YYYY-MM-DD (default today)')
    .option('--operator <name>', 'who records it (default: the OS user)')
    .action(answer);
}

async function notify(typed: string, options: NotifyOptions): Promise<void> {
  const objectionId = idOption('objection', typed);
  if (!options.out.toLowerCase().endsWith('.xlsx'))
    throw new UsageError(`--out ${options.out}: use a .xlsx file name`);
  const workingDays = options.workingDays === undefined ? undefined : Number(options.workingDays);
  if (workingDays !== undefined && (!Number.isInteger(workingDays) || workingDays < 1))
    throw new UsageError(`--working-days ${options.workingDays}: use a whole number ≥ 1`);
  const issuedOn = options.issuedOn === undefined ? undefined : dateOption('--issued-on', options.issuedOn);
  const reason = unmaskReason(options);
  const { config, logger } = commandContext();
  const catalog = await loadCatalog(config.catalogDir);
  const providers = await loadProviders(options.providers);
  process.exitCode = await withOfficerWarehouse(config, logger, async (warehouse) => {
    const objection = await findObjection(warehouse, objectionId);
    if (!objection) return EXIT.usage;
    let state = (await verificationStates(warehouse, [objection.id])).get(objection.id)!;
    const issuing = state.notice === null;
    if (!issuing && (options.provider || workingDays !== undefined || issuedOn))
      return refused(
        `objection ${objection.id} has a verification notice already (issued ${state.notice?.issuedOn}): leave out --provider, --working-days and --issued-on to write it again`,
      );
    // The record as the asked provider delivered it, found before anything is logged: a provider that never
    // delivered the record is refused with nothing done.
    const asked = state.notice?.providerCode ?? options.provider ?? objection.providerCode ?? undefined;
    const delivered = await deliveredRecord(warehouse, catalog, objection.recordId, asked);
    if (!delivered)
      return refused(
        `record ${objection.recordId} has no delivery${asked ? ` from provider ${asked}` : ''}: give the provider that delivered it (--provider)`,
      );
    // The step, its event and any unmask log are recorded in one transaction with the workbook written under a
    // temporary name, put in place once that is committed: a workbook that cannot be written records nothing.
    const written: { file?: StagedReportFile } = {};
    try {
      await warehouse.transaction(async (trx) => {
        if (issuing) {
          await sendVerificationNotice(trx, objection, {
            providerCode: delivered.providerCode,
            ...(workingDays !== undefined ? { workingDays } : {}),
            ...(issuedOn ? { issuedOn } : {}),
            operator: options.operator ?? osUser(),
          });
          state = (await verificationStates(trx, [objection.id])).get(objection.id)!;
        }
        written.file = await writeStaged(
          { catalog, providers, objection, record: delivered.record, state, out: options.out },
          Boolean(options.unmasked),
          issuing
            ? `objection ${objection.id}: no verification notice was issued, nothing was recorded`
            : `objection ${objection.id}: the verification notice was not written, nothing was recorded`,
        );
        if (reason === undefined) return;
        const what = unmaskedWhat(`objection notify ${objection.id}`, [], options, options.out);
        await logCliUnmask(trx, logger, what, reason);
      });
    } catch (error) {
      await written.file?.discard();
      if (error instanceof VerificationRefused) return refused(error.message);
      throw error;
    }
    await written.file!.place().catch((error: unknown) => {
      throw new Error(
        `objection ${objection.id}: the verification notice was ${issuing ? 'issued (recorded)' : 'written'}, but its workbook could not be put in place: ${(error as Error).message}; ` +
          `write it again with \`credit-etl objection notify ${objection.id} --out <file.xlsx>\``,
        { cause: error },
      );
    });
    const notice = state.notice!;
    logger.info(
      `objection ${objection.id}: verification notice ${issuing ? 'issued to' : 'written again for'} ${notice.providerCode}`,
    );
    const provisional = notice.provisional ? `; ${VERIFICATION_PROVISIONAL_NOTE.en}` : '';
    console.log(
      maskPersonalText(
        `objection ${objection.id}: verification notice ${issuing ? 'to' : 'for'} ${providerName(providers, notice.providerCode)} (${notice.providerCode}), ` +
          `answer by ${notice.deadline} (${notice.workingDays} working days${provisional}), ${verificationLine(state)} → ${options.out}` +
          `${options.unmasked ? ' (UNMASKED: internal use only)' : ''}`,
      ),
    );
    return EXIT.ok;
  });
}

async function answer(typed: string, options: AnswerOptions): Promise<void> {
  const objectionId = idOption('objection', typed);
  if (!(VERIFICATION_ANSWERS as readonly string[]).includes(options.result))
    throw new UsageError(`--result ${options.result}: use ${VERIFICATION_ANSWERS.join(' or ')}`);
  const answeredOn =
    options.answeredOn === undefined ? undefined : dateOption('--answered-on', options.answeredOn);
  const { config, logger } = commandContext();
  process.exitCode = await withOfficerWarehouse(config, logger, async (warehouse) => {
    const objection = await findObjection(warehouse, objectionId);
    if (!objection) return EXIT.usage;
    try {
      await recordVerificationAnswer(warehouse, objection, {
        answer: options.result as VerificationAnswer,
        basis: options.basis,
        ...(options.note !== undefined ? { note: options.note } : {}),
        ...(answeredOn ? { answeredOn } : {}),
        operator: options.operator ?? osUser(),
      });
    } catch (error) {
      if (error instanceof VerificationRefused) return refused(error.message);
      throw error;
    }
    const state = (await verificationStates(warehouse, [objection.id])).get(objection.id)!;
    logger.info(`objection ${objection.id}: provider's verification answer ${options.result} recorded`);
    console.log(`objection ${objection.id}: verification ${verificationLine(state)}`);
    return EXIT.ok;
  });
}

/**
 * Writes the verification notice under a temporary name beside `out` (stageReportFile): the caller commits what
 * it records, then puts it in place. When it cannot be written, nothing is left and the error says `unrecorded`,
 * the file and why. exceljs is loaded only when a notice is written (CLI start-up time and memory).
 */
async function writeStaged(
  notice: {
    catalog: Catalog;
    providers: readonly Provider[];
    objection: ObjectionRow;
    record: NonNullable<Awaited<ReturnType<typeof deliveredRecord>>>['record'];
    state: VerificationState;
    out: string;
  },
  unmasked: boolean,
  unrecorded: string,
): Promise<StagedReportFile> {
  const { catalog, providers, objection, record, state, out } = notice;
  let staged: StagedReportFile | undefined;
  try {
    staged = await stageReportFile(out);
    const { writeVerificationXlsx } = await import('../../objections/verification-workbook.ts');
    await writeVerificationXlsx(
      catalog,
      providers,
      { objection, record, state: { ...state, notice: state.notice! } },
      staged.temp,
      { unmasked },
    );
    return staged;
  } catch (error) {
    await staged?.discard();
    const why = staged ? staged.failure(error) : (error as Error).message;
    throw new Error(`${unrecorded}: ${why}`, { cause: error });
  }
}

async function findObjection(
  warehouse: Parameters<typeof objectionRows>[0],
  id: number,
): Promise<ObjectionRow | undefined> {
  const [objection] = await objectionRows(warehouse, { id });
  if (!objection) console.error(`objection ${shownId(id)} not found: see \`credit-etl objection list\``);
  return objection;
}

function refused(message: string): number {
  console.error(maskPersonalText(`credit-etl: nothing done: ${message}`));
  return EXIT.usage;
}
