import path from 'node:path';
import type { Logger } from '../log/logger.ts';
import { maskTypedLookup } from '../log/mask-personal-data.ts';
import { UNMASK_REASON_MAX, UNMASK_REASON_MIN, unmaskReasonProblem } from '../log/unmask-reason.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { appendCliUnmaskView } from '../warehouse/unmask-views-repository.ts';
import { UsageError } from './exit-codes.ts';
import { osUser } from './os-user.ts';

/*
 * A command that writes resident ID numbers in clear (`--unmasked`, `report notice --template-unmasked`) does so
 * only with a reason (`--reason`, the console's 查询事由 rule: src/log/unmask-reason.ts), and logs the view in the
 * append-only unmask_views before it writes the file, as the console logs an auditor's unmask
 * (docs/configuration.md "Personal data in output"). A file that then fails to be written leaves the entry: it
 * records the intent to see the numbers.
 */

/** A command's options that write ID numbers in clear, and the reason given for it. */
export interface UnmaskOptions {
  unmasked?: boolean;
  templateUnmasked?: boolean;
  reason?: string;
}

/** The help text of `--reason`, the same on every command that unmasks. */
export const REASON_HELP = `with --unmasked or --template-unmasked: why (查询事由, ${UNMASK_REASON_MIN}–${UNMASK_REASON_MAX} characters), logged with the view in the unmask log`;

/** The option that writes ID numbers in clear, as typed, or undefined when the output stays masked. */
function unmaskFlag(options: UnmaskOptions): string | undefined {
  if (options.unmasked) return '--unmasked';
  if (options.templateUnmasked) return '--template-unmasked';
  return undefined;
}

/**
 * The reason to log, an ID number typed into it masked (as the console masks it), or undefined when the output
 * stays masked. Checked before the warehouse is opened: a missing, short or long reason, or one holding a control
 * character, is a UsageError (exit 2), nothing written and nothing logged; so is `--reason` without an unmask.
 */
export function unmaskReason(options: UnmaskOptions): string | undefined {
  const flag = unmaskFlag(options);
  if (!flag) {
    if (options.reason !== undefined)
      throw new UsageError(
        '--reason goes with --unmasked or --template-unmasked: without them the output is masked and nothing is logged / 未要求输出完整证件号码，无需填写查询事由',
      );
    return undefined;
  }
  const reason = options.reason ?? '';
  switch (unmaskReasonProblem(reason)) {
    case 'short':
      throw new UsageError(
        `${flag} writes resident ID numbers in clear: give the reason with --reason <text>, at least ${UNMASK_REASON_MIN} characters (e.g. --reason 复核异议申请); the view is logged with it in the unmask log / ` +
          `输出完整证件号码须用 --reason 填写查询事由（至少 ${UNMASK_REASON_MIN} 个字，如“复核异议申请”），每次都连同事由记录`,
      );
    case 'long':
      throw new UsageError(
        `--reason: at most ${UNMASK_REASON_MAX} characters / 查询事由不超过 ${UNMASK_REASON_MAX} 个字`,
      );
    case 'control':
      throw new UsageError(
        '--reason: no control characters (a line break, a tab, NUL) / 查询事由不能含控制字符（换行、制表符等）',
      );
    default:
      return maskTypedLookup(reason.trim());
  }
}

/**
 * What a command's view is, for the log: the command, its scope, the option that unmasked and the file written,
 * e.g. `report notice --id 3 --unmasked → /home/etl/n.xlsx`. `scope` holds the options as typed; an ID-shaped
 * number in any of it is masked when logged.
 */
export function unmaskedWhat(
  command: string,
  scope: ReadonlyArray<readonly [option: string, value: string | undefined]>,
  options: UnmaskOptions,
  out: string,
): string {
  const given = scope.flatMap(([option, value]) => (value === undefined ? [] : [`${option} ${value}`]));
  return [command, ...given, unmaskFlag(options) ?? '', `→ ${path.resolve(out)}`].filter(Boolean).join(' ');
}

/** Who ran the command: the OS user, else (a uid with no name, no USER) the uid, so the log never names nobody. */
function cliUser(): string {
  const name = osUser().trim();
  if (name) return name;
  return `uid ${process.getuid?.() ?? 'unknown'}`;
}

/**
 * Logs a command's view of unmasked personal data in unmask_views (the OS user; the database adds its login and
 * the time) and in the command's log, before the file is written. In a transaction (a notice, a verification
 * notice: the row kept only with the workbook written), the log line is written once that transaction has
 * committed, never when it rolls back: the log names no view the warehouse does not hold.
 */
export async function logCliUnmask(
  warehouse: Warehouse,
  logger: Logger,
  what: string,
  reason: string,
): Promise<void> {
  const user = cliUser();
  const shown = maskTypedLookup(what);
  await appendCliUnmaskView(warehouse, { cliUser: user, what: shown, reason });
  const line = `cli: ${user} wrote unmasked personal data: ${shown} (事由：${reason})`;
  if (!warehouse.isTransaction) {
    logger.info(line);
    return;
  }
  // Settled by the commit (resolved) or the rollback (rejected, with the error the caller gets and reports).
  (warehouse as Warehouse & { executionPromise: Promise<unknown> }).executionPromise.then(
    () => logger.info(line),
    () => undefined,
  );
}
