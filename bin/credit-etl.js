#!/usr/bin/env -S node --max-old-space-size=192 --max-semi-space-size=2
// The CLI runs from its precompiled copy (.build/, made by `npm ci` or `npm run build`) when that copy is
// current, else from the TypeScript sources through tsx: never from code older than the sources
// (scripts/cli-build.js).
// The heap cap (the shebang above; npm scripts run this file directly, so they get it too) keeps a big load's
// memory flat: without it V8 lets garbage pile up to several hundred MB while the machine has memory free
// (bench: 311 → 184 MB peak RSS at 100,000 rows, same speed); the small nursery (2 MB semi-spaces instead of 16)
// keeps what the main thread allocates while it writes a night's reports from piling up (bench, 1M rows: a fast
// re-delivery's peak RSS 284 → 231 MB with the worker's own smaller nursery, same speed). Both flags are this
// thread's: each file is loaded in a worker thread with limits of its own (CREDIT_ETL_UNIT_HEAP_MB; see
// src/run/worker-heap-flags.ts), so a giant workbook is given more there, not here.
import { writeSync } from 'node:fs';

// From the very first statement, before anything is imported (the build's check, tsx's loader, src/cli/start.ts
// take up to ~0.8 s under load): a signal ends the CLI with the documented code (130) and says so, instead of
// Node's default (killed by the signal: 143 for SIGTERM, nothing said). start.ts takes over (stopBeforeWork) and
// removes this handler, found under EARLY_STOP. Plain JavaScript, as nothing is compiled yet: exit-codes.ts cannot
// be imported here, so its JSON failure for any command with `--json` (printJsonFailure, watchJsonResult) is
// repeated below in its minimal shape; keep the two alike.
const EARLY_STOP = Symbol.for('credit-etl:stop-before-start');
const stopBeforeStart = (signal) => {
  const message = `stopped by ${signal}: the warehouse was not open, nothing to roll back`;
  try {
    writeSync(2, `credit-etl: ${message}\n`);
  } catch {
    // nobody reads stderr any more: the exit code says it
  }
  const args = process.argv.slice(2);
  const end = args.indexOf('--');
  if ((end === -1 ? args : args.slice(0, end)).includes('--json')) {
    try {
      writeSync(1, `${JSON.stringify({ status: 'interrupted', exitCode: 130, error: message })}\n`);
    } catch {
      // nobody reads stdout any more (EPIPE): the exit code says it
    }
  }
  process.exit(130);
};
globalThis[EARLY_STOP] = stopBeforeStart;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stopBeforeStart);

const { currentBuild, fromSourceForced } = await import('../scripts/cli-build.js');
const build = fromSourceForced() ? undefined : currentBuild();
if (build) {
  await import(build.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/start.ts');
}
