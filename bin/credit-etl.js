#!/usr/bin/env -S node --max-old-space-size=192
// The CLI is TypeScript run through tsx: no build step between `npm ci` and the first run.
// The heap cap (the shebang above; npm scripts run this file directly, so they get it too) keeps a big load's
// memory flat: without it V8 lets garbage pile up to several hundred MB while the machine has memory free
// (bench: 311 → 184 MB peak RSS at 100,000 rows, same speed). Each file is loaded in a worker thread with a cap of
// its own (CREDIT_ETL_UNIT_HEAP_MB): a giant workbook is given more there, not here.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
