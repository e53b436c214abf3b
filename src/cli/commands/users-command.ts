import type { Command } from 'commander';
import { shanghaiTime } from '../../../connectors/shanghai-time.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../console/password-hash.ts';
import { maskPersonalText } from '../../log/mask-personal-data.ts';
import { checkProviderCode } from '../../report/provider-check.ts';
import { loadProviders, providersFile } from '../../report/providers.ts';
import {
  addConsoleUser,
  CONSOLE_ROLES,
  type ConsoleRoleName,
  disableConsoleUser,
  findConsoleUser,
  listConsoleUsers,
  setConsolePassword,
} from '../../warehouse/console-users-repository.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { maskedJson, maskedTable } from '../format-table.ts';
import { readPassword } from '../read-password.ts';
import { withWarehouse } from '../with-warehouse.ts';

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * A login name as printed: an ID number in it (`u370102…`) masked as any CLI text (maskPersonalText); the name
 * is stored and matched as typed.
 */
const shown = (name: string): string => maskPersonalText(name);

export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('users of the web console (credit-etl serve)');
  users
    .command('add')
    .description('add a console user; the password is asked on the terminal or read with --password-stdin')
    .argument('<name>', 'login name (letters, digits, . _ @ -)')
    .requiredOption('--role <role>', `one of ${CONSOLE_ROLES.join(', ')}`)
    .option('--provider <code>', 'provider role: the registered provider (USCC) the user reports for')
    .option('--password-stdin', 'read the password from standard input (never give it as an argument)')
    .action(async (name: string, options: { role: string; provider?: string; passwordStdin?: boolean }) => {
      if (!NAME.test(name))
        throw new UsageError(`user name "${shown(name)}" may hold only letters, digits and . _ @ -`);
      if (!(CONSOLE_ROLES as readonly string[]).includes(options.role))
        throw new UsageError(`--role ${options.role} is not one of ${CONSOLE_ROLES.join(', ')}`);
      const role = options.role as ConsoleRoleName;
      const providerCode = await providerOf(role, options.provider);
      const password = await checkedPassword(Boolean(options.passwordStdin));
      const passwordHash = await hashPassword(password);
      const { config, logger } = commandContext();
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        if (await findConsoleUser(warehouse, name)) {
          console.error(`user ${shown(name)} exists already (users list; a disabled name is not reused)`);
          return EXIT.usage;
        }
        await addConsoleUser(warehouse, { name, role, providerCode, passwordHash });
        console.log(`user ${shown(name)} added (${role}${providerCode ? `, provider ${providerCode}` : ''})`);
        return EXIT.ok;
      });
    });
  users
    .command('password')
    .description("set a console user's password (their sessions end); asked, or --password-stdin")
    .argument('<name>', 'login name')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (name: string, options: { passwordStdin?: boolean }) => {
      const passwordHash = await hashPassword(await checkedPassword(Boolean(options.passwordStdin)));
      const { config, logger } = commandContext();
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        if (!(await setConsolePassword(warehouse, name, passwordHash))) {
          console.error(`no user ${shown(name)}: see credit-etl users list`);
          return EXIT.usage;
        }
        console.log(`password of ${shown(name)} changed; their open sessions ended`);
        return EXIT.ok;
      });
    });
  users
    .command('disable')
    .description('disable a console user: no more logins, open sessions end (users are never deleted)')
    .argument('<name>', 'login name')
    .action(async (name: string) => {
      const { config, logger } = commandContext();
      process.exitCode = await withWarehouse(config, logger, async (warehouse) => {
        if (!(await disableConsoleUser(warehouse, name))) {
          console.error(`no enabled user ${shown(name)}: see credit-etl users list`);
          return EXIT.usage;
        }
        console.log(`user ${shown(name)} disabled`);
        return EXIT.ok;
      });
    });
  users
    .command('list')
    .description('console users: role, provider, created, disabled')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { config, logger } = commandContext();
      await withWarehouse(config, logger, async (warehouse) => {
        const rows = await listConsoleUsers(warehouse);
        if (options.json) {
          // Each string masked on its own (a name holding an ID number), a provider's USCC never.
          console.log(maskedJson(rows));
          return;
        }
        console.log(
          maskedTable(
            ['name', 'role', 'provider', 'created', 'password changed', 'disabled'],
            rows.map((user) => [
              user.name,
              user.role,
              user.provider_code ?? '',
              shanghaiTime(user.created_at),
              shanghaiTime(user.password_changed_at),
              user.disabled_at ? shanghaiTime(user.disabled_at) : '',
            ]),
          ),
        );
      });
    });
}

async function providerOf(role: ConsoleRoleName, provider: string | undefined): Promise<string | undefined> {
  if (role !== 'provider') {
    if (provider !== undefined) throw new UsageError('--provider is for the provider role only');
    return undefined;
  }
  if (!provider)
    throw new UsageError('the provider role needs --provider <code> (credit-etl providers list)');
  const registryFile = providersFile();
  const check = checkProviderCode(await loadProviders(registryFile), provider, { registryFile });
  if (!check.ok) throw new UsageError(check.message);
  return check.code;
}

async function checkedPassword(fromStdin: boolean): Promise<string> {
  const password = await readPassword(fromStdin);
  if (Array.from(password).length < MIN_PASSWORD_LENGTH)
    throw new UsageError(`the password is shorter than ${MIN_PASSWORD_LENGTH} characters: nothing changed`);
  return password;
}
