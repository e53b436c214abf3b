import type { Command } from 'commander';
import { readLimits } from '../../connectors/limits.ts';
import { startUnitWorkerAhead } from '../run/unit-workers.ts';

type Register = (program: Command) => void;

/**
 * Each top-level command and the module(s) that define it, in the order `--help` lists them. A process loads
 * only the module of the command it runs: every command module drags its own graph in (the console, the queue,
 * the alerts), and each module kept in memory costs the load of a big file its share of the 256 MB bound.
 */
export const COMMAND_MODULES: ReadonlyArray<
  readonly [name: string, load: () => Promise<Register[]>, ahead?: () => void]
> = [
  [
    'ingest',
    async () => [(await import('./commands/ingest-command.ts')).registerIngestCommand],
    startWorkerAhead,
  ],
  ['runs', async () => [(await import('./commands/runs-command.ts')).registerRunsCommand]],
  ['record', async () => [(await import('./commands/record-command.ts')).registerRecordCommand]],
  ['subject', async () => [(await import('./commands/subject-command.ts')).registerSubjectCommand]],
  ['procedure', async () => [(await import('./commands/procedure-command.ts')).registerProcedureCommand]],
  ['repair', async () => [(await import('./commands/repair-command.ts')).registerRepairCommand]],
  [
    'objection',
    async () => [
      (await import('./commands/objection-command.ts')).registerObjectionCommand,
      // After `objection` itself: adds `objection notify|answer` to it.
      (await import('./commands/objection-verification-command.ts')).registerVerificationCommands,
    ],
  ],
  ['report', async () => [(await import('./commands/report-command.ts')).registerReportCommand]],
  ['notice', async () => [(await import('./commands/notice-command.ts')).registerNoticeCommand]],
  ['db', async () => [(await import('./commands/db-command.ts')).registerDbCommand]],
  ['demo', async () => [(await import('./commands/demo-command.ts')).registerDemoCommand]],
  ['catalog', async () => [(await import('./commands/catalog-command.ts')).registerCatalogCommand]],
  ['pipelines', async () => [(await import('./commands/pipelines-command.ts')).registerPipelinesCommand]],
  ['providers', async () => [(await import('./commands/providers-command.ts')).registerProvidersCommand]],
  ['run', async () => [(await import('./commands/run-command.ts')).registerRunCommand]],
  ['backfill', async () => [(await import('./commands/backfill-command.ts')).registerBackfillCommand]],
  ['schedule', async () => [(await import('./commands/schedule-command.ts')).registerScheduleCommand]],
  ['worker', async () => [(await import('./commands/worker-command.ts')).registerWorkerCommand]],
  ['jobs', async () => [(await import('./commands/jobs-command.ts')).registerJobsCommand]],
  ['calendar', async () => [(await import('./commands/calendar-command.ts')).registerCalendarCommand]],
  ['verify', async () => [(await import('./commands/verify-command.ts')).registerVerifyCommand]],
  ['serve', async () => [(await import('./commands/serve-command.ts')).registerServeCommand]],
  ['users', async () => [(await import('./commands/users-command.ts')).registerUsersCommand]],
];

/**
 * Defines the command `argv` runs, or every command when it names none of them (`--help`, `help run`, a typo
 * commander answers with the closest name): the same program either way for the command that runs.
 */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const named = COMMAND_MODULES.find(([name]) => name === argv[2]);
  const modules = named ? [named] : COMMAND_MODULES;
  for (const [, load] of modules) for (const register of await load()) register(program);
}

/**
 * What the command `argv` runs can start before the modules load (bin/credit-etl.js calls this before it loads
 * main.ts): nothing for a command's help.
 */
export function startCommandAhead(argv: readonly string[]): void {
  if (argv.includes('--help') || argv.includes('-h')) return;
  COMMAND_MODULES.find(([name]) => name === argv[2])?.[2]?.();
}

/**
 * `ingest` loads each file in a unit worker. Started before the command's modules load, the worker loads its own
 * on the other core meanwhile (1M-row re-delivery: it was ready 0.9 s after the run started, when started with
 * the first unit).
 */
function startWorkerAhead(): void {
  let heapMb: number;
  try {
    heapMb = readLimits().unitHeapMb;
  } catch {
    return; // the command's configuration check reports it (exit 2)
  }
  startUnitWorkerAhead(heapMb);
}
