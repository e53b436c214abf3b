#!/usr/bin/env -S node --max-old-space-size=192 --max-semi-space-size=2
// The CLI is TypeScript run through tsx: no build step between `npm ci` and the first run.
// The heap cap (the shebang above; npm scripts run this file directly, so they get it too) keeps a big load's
// memory flat: without it V8 lets garbage pile up to several hundred MB while the machine has memory free
// (bench: 311 → 184 MB peak RSS at 100,000 rows, same speed); the small nursery (2 MB semi-spaces instead of 16)
// keeps what the main thread allocates while it writes a night's reports from piling up (bench, 1M rows: a fast
// re-delivery's peak RSS 284 → 231 MB with the worker's own smaller nursery, same speed). Both flags are this
// thread's: each file is loaded in a worker thread with limits of its own (CREDIT_ETL_UNIT_HEAP_MB; see
// src/run/worker-heap-flags.ts), so a giant workbook is given more there, not here.
import { register } from 'tsx/esm/api';

register();
// A unit worker for `ingest` loads its modules on another core while this thread loads the CLI's.
const { startCommandAhead } = await import('../src/cli/command-modules.ts');
startCommandAhead(process.argv);
await import('../src/cli/main.ts');
