// The CLI's entry, run from the precompiled build or through tsx (bin/credit-etl.js chooses).
import { writeSync } from 'node:fs';
import { EXIT, noteFailure, watchJsonResult } from './exit-codes.ts';
import type { STOP_SIGNALS } from './with-warehouse.ts';

// From the first moment, before any command module loads: a signal ends the command with the documented code
// (130) and says so, instead of Node's default (killed by the signal: 143 for SIGTERM, no message). While a command
// has the warehouse open, withWarehouse's own handlers decide how to stop (finish or roll back the current file,
// mark the run): this one gives way to any other handler of the signal. Only this module is loaded before it.
// It takes over from bin/credit-etl.js's plain-JS handler of the moments before (stopBeforeStart, EARLY_STOP),
// removed here in the same tick, so that exactly one of the two ever answers a signal.
const SIGNALS: typeof STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const EARLY_STOP = Symbol.for('credit-etl:stop-before-start');
watchJsonResult(process.argv);
for (const signal of SIGNALS) process.on(signal, stopBeforeWork);
const stopBeforeStart = (globalThis as { [EARLY_STOP]?: (signal: NodeJS.Signals) => void })[EARLY_STOP];
if (stopBeforeStart) for (const signal of SIGNALS) process.off(signal, stopBeforeStart);

function stopBeforeWork(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  const message = `stopped by ${signal}: the warehouse was not open, nothing to roll back`;
  noteFailure(message);
  try {
    writeSync(2, `credit-etl: ${message}\n`);
  } catch {
    // nobody reads stderr any more: the exit code says it
  }
  process.exit(EXIT.interrupted);
}

// A unit worker for `ingest` loads its modules on another core while this thread loads the CLI's.
const { startCommandAhead } = await import('./command-modules.ts');
startCommandAhead(process.argv);
await import('./main.ts');
