// Module hooks of hold-cli-main.mjs (they run on the loader's thread): the CLI's main module never loads.
import { writeFileSync } from 'node:fs';

let mark;

export function initialize(data) {
  mark = data?.mark;
}

export async function load(url, context, nextLoad) {
  if (/\/cli\/main\.(ts|js)$/.test(new URL(url).pathname)) {
    if (mark) writeFileSync(mark, url);
    await new Promise(() => undefined);
  }
  return nextLoad(url, context);
}
