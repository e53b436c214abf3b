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
import { currentBuild, fromSourceForced } from '../scripts/cli-build.js';

const build = fromSourceForced() ? undefined : currentBuild();
if (build) {
  await import(build.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/start.ts');
}
