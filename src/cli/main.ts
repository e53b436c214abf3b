import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { CatalogError } from '../catalog/load-catalog.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { maskTypedLookup } from '../log/mask-personal-data.ts';
import { WarehouseSetupError } from '../warehouse/connect-warehouse.ts';
import { databaseSettingError } from '../warehouse/database-setting-error.ts';
import { registerCommands } from './command-modules.ts';
import { EXIT, noteFailure, UsageError } from './exit-codes.ts';
import { stopNow } from './with-warehouse.ts';

const program = new Command('credit-etl')
  .description('Ingestion engine of the public credit information platform (公共信用信息平台)')
  .version(packageJson.version, '-V, --version', 'print the version of credit-etl')
  // Program options only before the command: `catalog show <code> --version <n>` is the entry's version.
  .enablePositionalOptions()
  .exitOverride()
  // Commander's own errors quote what was typed (`argument '3701…' is invalid`, an unknown command or option):
  // ID-shaped values masked, whatever their check character, as every error here. Subcommands inherit this;
  // help and the version go to stdout, unchanged.
  .configureOutput({ writeErr: (text) => process.stderr.write(maskTypedLookup(text)) })
  .showHelpAfterError('(run with --help for usage)')
  // Every command checks the configuration (holidays file included) before it does anything: exit 2.
  .hook('preAction', () => void loadConfig());

await registerCommands(program, process.argv);

// A fault no command handled (a throw in a callback, a promise nobody awaited) still ends the run honestly: the
// file being loaded rolls back, the run is marked failed with the error, and the exit code is 1.
const crash = (error: unknown) => {
  const message = maskTypedLookup(error instanceof Error ? error.message : String(error));
  console.error(`credit-etl: crashed: ${message}`);
  noteFailure(`crashed: ${message}`);
  if (error instanceof Error) console.error(maskTypedLookup(error.stack ?? ''));
  void stopNow({ status: 'failed', reason: `the process crashed: ${message}`, exitCode: EXIT.failed });
};
// `credit-etl catalog show xzcf | head`: a reader that stops early is not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  crash(error);
});
// `credit-etl ingest … 2>&1 | head -1`: once nobody reads stderr, its lines are dropped (the log file has them) and
// the command goes on to its own end and exit code. Unhandled, the write error was a crash whose own report went to
// stderr again: the process spun at full CPU and never ended.
process.stderr.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') crash(error);
});
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
// Before the warehouse is open (or after it closed) nothing needs rolling back: a signal just ends the command,
// exit 130, by the handlers start.ts installs before any module of the command loads.

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed the message; --help and --version are not errors.
    if (error.exitCode === 0) return EXIT.ok;
    noteFailure(maskTypedLookup(error.message));
    return EXIT.usage;
  }
  // An error may echo what was typed (`--received-at 3701…`, a `--set` value): an ID-shaped value is masked
  // whatever its check character, never a valid USCC.
  const message = maskTypedLookup(error instanceof Error ? error.message : String(error));
  if (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof CatalogError ||
    error instanceof WarehouseSetupError
  ) {
    console.error(`credit-etl: ${message}`);
    noteFailure(message);
    return EXIT.usage;
  }
  const setting = databaseSettingError(error);
  if (setting !== undefined) {
    console.error(`credit-etl: ${maskTypedLookup(setting)}`);
    noteFailure(maskTypedLookup(setting));
    return EXIT.usage;
  }
  console.error(`credit-etl: failed: ${message}`);
  noteFailure(`failed: ${message}`);
  if (process.env.CREDIT_ETL_LOG_LEVEL === 'debug' && error instanceof Error)
    console.error(maskTypedLookup(error.stack ?? ''));
  return EXIT.failed;
}
