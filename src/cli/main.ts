import { Command, CommanderError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { CatalogError } from '../catalog/load-catalog.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import { registerBackfillCommand } from './commands/backfill-command.ts';
import { registerCalendarCommand } from './commands/calendar-command.ts';
import { registerCatalogCommand } from './commands/catalog-command.ts';
import { registerDbCommand } from './commands/db-command.ts';
import { registerDemoCommand } from './commands/demo-command.ts';
import { registerIngestCommand } from './commands/ingest-command.ts';
import { registerJobsCommand } from './commands/jobs-command.ts';
import { registerNoticeCommand } from './commands/notice-command.ts';
import { registerObjectionCommand } from './commands/objection-command.ts';
import { registerVerificationCommands } from './commands/objection-verification-command.ts';
import { registerPipelinesCommand } from './commands/pipelines-command.ts';
import { registerProcedureCommand } from './commands/procedure-command.ts';
import { registerProvidersCommand } from './commands/providers-command.ts';
import { registerRecordCommand } from './commands/record-command.ts';
import { registerRepairCommand } from './commands/repair-command.ts';
import { registerReportCommand } from './commands/report-command.ts';
import { registerRunCommand } from './commands/run-command.ts';
import { registerRunsCommand } from './commands/runs-command.ts';
import { registerScheduleCommand } from './commands/schedule-command.ts';
import { registerServeCommand } from './commands/serve-command.ts';
import { registerSubjectCommand } from './commands/subject-command.ts';
import { registerUsersCommand } from './commands/users-command.ts';
import { registerVerifyCommand } from './commands/verify-command.ts';
import { registerWorkerCommand } from './commands/worker-command.ts';
import { EXIT, UsageError } from './exit-codes.ts';
import { isWarehouseOpen, STOP_SIGNALS, stopNow } from './with-warehouse.ts';

const program = new Command('credit-etl')
  .description('Ingestion engine of the public credit information platform (公共信用信息平台)')
  .version(packageJson.version, '-V, --version', 'print the version of credit-etl')
  // Program options only before the command: `catalog show <code> --version <n>` is the entry's version.
  .enablePositionalOptions()
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)')
  // Every command checks the configuration (holidays file included) before it does anything: exit 2.
  .hook('preAction', () => void loadConfig());

registerIngestCommand(program);
registerRunsCommand(program);
registerRecordCommand(program);
registerSubjectCommand(program);
registerProcedureCommand(program);
registerRepairCommand(program);
registerObjectionCommand(program);
// After `objection` itself: adds `objection notify|answer` to it.
registerVerificationCommands(program);
registerReportCommand(program);
registerNoticeCommand(program);
registerDbCommand(program);
registerDemoCommand(program);
registerCatalogCommand(program);
registerPipelinesCommand(program);
registerProvidersCommand(program);
registerRunCommand(program);
registerBackfillCommand(program);
registerScheduleCommand(program);
registerWorkerCommand(program);
registerJobsCommand(program);
registerCalendarCommand(program);
registerVerifyCommand(program);
registerServeCommand(program);
registerUsersCommand(program);

// A fault no command handled (a throw in a callback, a promise nobody awaited) still ends the run honestly: the
// file being loaded rolls back, the run is marked failed with the error, and the exit code is 1.
const crash = (error: unknown) => {
  const message = maskPersonalText(error instanceof Error ? error.message : String(error));
  console.error(`credit-etl: crashed: ${message}`);
  if (error instanceof Error) console.error(maskPersonalText(error.stack ?? ''));
  void stopNow({ status: 'failed', reason: `the process crashed: ${message}`, exitCode: EXIT.failed });
};
// `credit-etl catalog show xzcf | head`: a reader that stops early is not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  crash(error);
});
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
// Before the warehouse is open (or after it closed) nothing needs rolling back: a signal just ends the command.
for (const signal of STOP_SIGNALS) {
  process.on(signal, () => {
    if (!isWarehouseOpen()) process.exit(EXIT.interrupted);
  });
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed the message; --help and --version are not errors.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const message = maskPersonalText(error instanceof Error ? error.message : String(error));
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof CatalogError) {
    console.error(`credit-etl: ${message}`);
    return EXIT.usage;
  }
  console.error(`credit-etl: failed: ${message}`);
  if (process.env.CREDIT_ETL_LOG_LEVEL === 'debug' && error instanceof Error)
    console.error(maskPersonalText(error.stack ?? ''));
  return EXIT.failed;
}
