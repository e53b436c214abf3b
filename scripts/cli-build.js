// The CLI precompiled: every module it and its unit worker import, compiled from TypeScript by esbuild into a mirror
// of the checkout under .build/ (`npm run build`; `npm ci` runs it as `prepare`), and the check bin/credit-etl.js
// makes before it runs that copy instead of the sources.
//
// Why: through tsx every module the CLI loads (~580, ~170 of them ours) is resolved and compiled on a loader thread
// of its own, in the main thread and again in each unit worker. Measured on a 1M-row re-delivery: the CLI reached
// its run after 1.3–1.5 s through tsx, ~0.8 s precompiled, and its peak RSS fell from 234–241 to ~195 MB (no
// loader threads); `ingest --help` took 0.91 → ~0.5 s.
//
// Module by module, not bundled: a bundle turns every top-level `const` into `var` (esbuild does so on purpose),
// and the skim's hashing, which reads its constants in the hot loop, ran 2× slower (0.72 → 1.33 s a night).
//
// Plain JavaScript, so that it runs before anything is compiled. esbuild is imported only to build: the check at
// every start reads one small file and stats the sources (~3–10 ms).
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The same folders at the same depth as in the checkout (.build/src/cli/start.js for src/cli/start.ts), so that
// imports between the modules keep their relative paths; connectors/project-root.ts knows the folder's name.
const BUILD_DIR = path.join(ROOT, '.build');
const ENTRY = 'src/cli/start.js';
const MANIFEST = 'sources.json';
const ENTRY_POINTS = ['src/cli/start.ts', 'src/run/unit-worker.ts'];

/**
 * `CREDIT_ETL_FROM_SOURCE=1` (or `true`, `yes`, `on`) runs the TypeScript sources through tsx even when the build
 * is current; `0` (`false`, `no`, `off`) or unset does not. Anything else is a configuration error, refused here
 * before anything runs (exit 2, the message of connectors/on-off-setting.ts, which cannot be imported before
 * TypeScript is): with `--json` the command also gets its one JSON failure on stdout (src/cli/exit-codes.ts, as
 * bin/credit-etl.js does for a signal).
 */
export function fromSourceForced(env = process.env, argv = process.argv) {
  const text = env.CREDIT_ETL_FROM_SOURCE?.trim() ?? '';
  if (['', '0', 'false', 'no', 'off'].includes(text.toLowerCase())) return false;
  if (['1', 'true', 'yes', 'on'].includes(text.toLowerCase())) return true;
  const message = `CREDIT_ETL_FROM_SOURCE=${text} is not on or off: set 1 (or true, yes, on), 0 (or false, no, off) or leave it unset`;
  writeOut(2, `credit-etl: ${message}\n`);
  const args = argv.slice(2);
  const end = args.indexOf('--');
  if ((end === -1 ? args : args.slice(0, end)).includes('--json'))
    writeOut(1, `${JSON.stringify({ status: 'usage-error', exitCode: 2, error: message })}\n`);
  process.exit(2);
}

function writeOut(fd, text) {
  try {
    writeSync(fd, text);
  } catch {
    // nobody reads it any more (EPIPE): the exit code says it
  }
}

/**
 * Compiles every module the CLI's entry and the unit worker reach (packages stay in node_modules) into `outDir`,
 * with the size and mtime of each source. Written beside and renamed into place, so a process starting meanwhile
 * finds the old build, the new one or none (then the sources), never half of one.
 */
export async function buildCli(outDir = BUILD_DIR) {
  const { build } = await import('esbuild');
  const common = {
    absWorkingDir: ROOT,
    platform: 'node',
    format: 'esm',
    // Node 20.10 first read import attributes: at `node20` esbuild drops `with { type: 'json' }` from JSON imports.
    target: 'node20.10',
    logLevel: 'warning',
  };
  // The module graph, from esbuild's resolution of every import (dynamic ones included); nothing is written.
  const graph = await build({
    ...common,
    entryPoints: ENTRY_POINTS,
    bundle: true,
    outdir: 'out',
    packages: 'external',
    write: false,
    metafile: true,
  });
  const inputs = Object.keys(graph.metafile.inputs);
  const modules = inputs.filter((input) => input.endsWith('.ts'));
  const compiled = await build({
    ...common,
    entryPoints: modules,
    outbase: '.',
    outdir: 'out',
    write: false,
  });
  const staging = `${outDir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  for (const file of compiled.outputFiles) {
    const relative = path.relative(path.join(ROOT, 'out'), file.path);
    const source = path.join(ROOT, relative.replace(/\.js$/, '.ts'));
    const target = path.join(staging, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, withJavaScriptImports(file.text, source, path.join(outDir, relative)));
  }
  const sources = [...inputs, path.relative(ROOT, fileURLToPath(import.meta.url))].map((input) => {
    const { size, mtimeMs } = statSync(path.join(ROOT, input));
    return [input, size, mtimeMs];
  });
  writeFileSync(path.join(staging, MANIFEST), JSON.stringify({ root: ROOT, sources }));
  rmSync(outDir, { recursive: true, force: true });
  renameSync(staging, outDir);
  return modules.length;
}

/**
 * A compiled module's relative imports: a TypeScript module's becomes its compiled copy's (the same path, `.js`);
 * anything else (JSON) stays the file in the checkout, seen from where the copy lies.
 */
function withJavaScriptImports(text, source, copy) {
  return text.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"(\.\.?\/[^"]+)"/g,
    (_whole, keyword, specifier) => {
      if (specifier.endsWith('.ts')) return `${keyword}"${specifier.slice(0, -3)}.js"`;
      const original = path.resolve(path.dirname(source), specifier);
      const fromCopy = path.relative(path.dirname(copy), original).split(path.sep).join('/');
      return `${keyword}"${fromCopy.startsWith('.') ? fromCopy : `./${fromCopy}`}"`;
    },
  );
}

/**
 * The build's entry when every source it was made from is as it was (size and mtime), else undefined: an edited,
 * checked-out or pulled source makes the CLI run from the sources until the next build, never from stale code.
 */
export function currentBuild(outDir = BUILD_DIR) {
  try {
    const { root, sources } = JSON.parse(readFileSync(path.join(outDir, MANIFEST), 'utf8'));
    if (root !== ROOT) return undefined; // compiled in another checkout and copied here: not trusted
    for (const [input, size, mtimeMs] of sources) {
      const now = statSync(path.resolve(ROOT, input));
      if (now.size !== size || now.mtimeMs !== mtimeMs) return undefined;
    }
    return pathToFileURL(path.join(outDir, ENTRY));
  } catch {
    return undefined; // no build (or an unreadable one): the sources
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const count = await buildCli();
    console.log(`credit-etl: compiled ${count} modules into ${path.relative(ROOT, BUILD_DIR)}/`);
  } catch (error) {
    console.error(`credit-etl: the build failed: ${error instanceof Error ? error.message : error}`);
    // Under `npm ci` the CLI still works, from the sources through tsx: the install need not fail for it.
    const duringInstall = process.env.npm_lifecycle_event === 'prepare';
    if (duringInstall)
      console.error('credit-etl: the CLI will run from the TypeScript sources (slower to start)');
    process.exitCode = duringInstall ? 0 : 1;
  }
}
