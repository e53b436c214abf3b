// Module hooks of hold-cli-main.mjs (they run on the loader's thread): the CLI module they hold never loads.
import { writeFileSync } from 'node:fs';

// Which module is held (HOLD_CLI_MODULE): the CLI's main module (the default), its entry src/cli/start.ts (or its
// build), or the build's check bin/credit-etl.js imports first (scripts/cli-build.js).
const HELD = {
  main: /\/cli\/main\.(ts|js)$/,
  start: /\/cli\/start\.(ts|js)$/,
  'cli-build': /\/scripts\/cli-build\.js$/,
};

let mark;
let held = HELD.main;

export function initialize(data) {
  mark = data?.mark;
  if (data?.module) {
    held = HELD[data.module];
    if (!held) throw new Error(`HOLD_CLI_MODULE: no module ${data.module} (${Object.keys(HELD).join(', ')})`);
  }
}

export async function load(url, context, nextLoad) {
  if (held.test(new URL(url).pathname)) {
    if (mark) writeFileSync(mark, url);
    await new Promise(() => undefined);
  }
  return nextLoad(url, context);
}
