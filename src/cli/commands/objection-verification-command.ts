import type { Command } from 'commander';
import { loadCatalog } from '../../catalog/load-catalog.ts';
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
  verificationLine,
} from '../../objections/verification-status.ts';
import { DEFAULT_PROVIDERS_FILE, loadProviders, providerName } from '../../report/providers.ts';
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
    if (issuing) {
      try {
        await sendVerificationNotice(warehouse, objection, {
          providerCode: delivered.providerCode,
          ...(workingDays !== undefined ? { workingDays } : {}),
          ...(issuedOn ? { issuedOn } : {}),
          operator: options.operator ?? osUser(),
        });
      } catch (error) {
        if (error instanceof VerificationRefused) return refused(error.message);
        throw error;
      }
      state = (await verificationStates(warehouse, [objection.id])).get(objection.id)!;
    }
    const notice = state.notice!;
    if (reason !== undefined) {
      const what = unmaskedWhat(`objection notify ${objection.id}`, [], options, options.out);
      await logCliUnmask(warehouse, logger, what, reason);
    }
    const { writeVerificationXlsx } = await import('../../objections/verification-workbook.ts');
    await writeVerificationXlsx(
      catalog,
      providers,
      { objection, record: delivered.record, state: { ...state, notice } },
      options.out,
      { unmasked: Boolean(options.unmasked) },
    );
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
