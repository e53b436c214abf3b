import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { csvFormat } from '../connectors/formats/csv-format.ts';
// @ts-expect-error: plain JavaScript without types (it runs before anything is compiled)
import { currentBuild } from '../scripts/cli-build.js';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { baselineCopy } from './baseline-copy.ts';
import { openBenchServer } from './bench-database.ts';
import { type BenchResult, machineInfo, printResult } from './bench-result.ts';
import { csvParseFormat } from './csv-parse-format.ts';
import { filesBench, printFilesResult } from './files-bench.ts';
import { parseOnly } from './parse-only.ts';
import { pgloaderLoad, settle, tableSizes, writeRedelivery } from './redelivery-bench.ts';
import { rowWork } from './row-work.ts';
import { measureIngest } from './run-ingest.ts';
import { printWorkersResult, workersBench } from './workers-bench.ts';
import { writePenaltyCsv } from './write-penalty-csv.ts';

const SMALL_ROWS = 100_000;
// The bench's own choice: parse-only and row work read with the parsers named by --parser; the ingests run the
// CLI, which reads CSV with the one parser that ships.
const PARSERS = { 'credit-etl': csvFormat, 'csv-parse': csvParseFormat } as const;
type Parser = keyof typeof PARSERS;
const SHIPPED_PARSER: Parser = 'credit-etl';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    encoding: { type: 'string', default: 'utf8' },
    bad: { type: 'string', default: '0.02' },
    parser: { type: 'string', default: 'credit-etl' },
    'cpu-prof': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    files: { type: 'boolean', default: false },
    'csv-mb': { type: 'string', default: '1024' },
    'xlsx-rows': { type: 'string', default: '200000' },
    'heap-mb': { type: 'string' },
    workers: { type: 'string' },
    'chunk-mb': { type: 'string' },
    redeliveries: { type: 'string', default: '1' },
  },
});
const rows = Number(values.rows);
const encoding = values.encoding === 'gb18030' ? 'gb18030' : 'utf8';
const badShare = Number(values.bad);
if (!Number.isInteger(rows) || rows < 1000) throw new Error('--rows must be an integer ≥ 1000');
const redeliveries = Number(values.redeliveries);
if (!Number.isInteger(redeliveries) || redeliveries < 1)
  throw new Error('--redeliveries must be an integer ≥ 1');
if (!['credit-etl', 'csv-parse', 'both'].includes(values.parser)) {
  throw new Error('--parser must be credit-etl, csv-parse or both');
}
const parsers: Parser[] = values.parser === 'both' ? ['credit-etl', 'csv-parse'] : [values.parser as Parser];
const heapMb = values['heap-mb'] === undefined ? undefined : Number(values['heap-mb']);
if (heapMb !== undefined && !(Number.isInteger(heapMb) && heapMb >= 64)) {
  throw new Error('--heap-mb must be an integer ≥ 64');
}
// V8 lets garbage pile up while memory is free: a cap makes the peak say what the process needs.
const nodeOptions = heapMb === undefined ? [] : [`--max-old-space-size=${heapMb}`];
const scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-bench-'));
const step = (text: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);
const resultsDir = path.join(PROJECT_ROOT, 'bench/results');

// Starting from the TypeScript sources costs every ingest ~0.5 s and ~45 MB: the result says which ran.
const cli = currentBuild() ? 'precompiled' : 'sources';
if (cli === 'sources')
  step('the CLI runs from its TypeScript sources (.build/ missing or stale: npm run build)');

// Other work on the machine skews every number: the load is kept at the start and at the end.
const loadAverageAtStart = os.loadavg();
const server = await openBenchServer(process.env.DATABASE_URL);
try {
  if (values.files) await benchFiles();
  else if (values.workers) await benchWorkers(values.workers);
  else await benchRows();
} finally {
  await server.close();
  if (values['cpu-prof']) step(`CPU profiles kept in ${path.join(scratch, 'profiles')}`);
  else if (!values.keep) rmSync(scratch, { recursive: true, force: true });
}

/** `--files`: peak memory of loading a big CSV and a big workbook (issue #4's bound). */
async function benchFiles(): Promise<void> {
  const csvMb = Number(values['csv-mb']);
  const xlsxRows = Number(values['xlsx-rows']);
  if (!(Number.isInteger(csvMb) && csvMb >= 0) || !(Number.isInteger(xlsxRows) && xlsxRows >= 0)) {
    throw new Error('--csv-mb and --xlsx-rows must be integers ≥ 0 (0 skips that file)');
  }
  const result = await filesBench(server, { csvMb, xlsxRows, nodeOptions, scratch, step });
  console.log(printFilesResult(result));
  mkdirSync(resultsDir, { recursive: true });
  const cap = heapMb === undefined ? '' : `-heap${heapMb}`;
  const out = path.join(resultsDir, `${result.date.slice(0, 10)}-files-${csvMb}mb-${xlsxRows}${cap}.json`);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  step(`written ${path.relative(process.cwd(), out)}`);
}

/**
 * `--workers 1,2,4`: the first load of one generated CSV read whole, then in chunks by that many workers
 * (workers-bench.ts); `--chunk-mb` the chunk size (default: the file in 8 chunks).
 */
async function benchWorkers(list: string): Promise<void> {
  const workers = list.split(',').map(Number);
  if (!workers.every((count) => Number.isInteger(count) && count >= 1 && count <= 16)) {
    throw new Error('--workers takes worker counts 1–16, comma-separated: --workers 1,2,4');
  }
  step(`generating ${rows} rows (${encoding}, ${badShare * 100}% bad) in ${scratch}`);
  const file = path.join(scratch, `penalties-${rows}.csv`);
  const written = await writePenaltyCsv(file, rows, { badShare, encoding });
  const chunkBytes =
    values['chunk-mb'] === undefined
      ? Math.max(1 << 20, Math.ceil(written.bytes / 8))
      : Math.round(Number(values['chunk-mb']) * 2 ** 20);
  if (!(chunkBytes >= 1 << 20)) throw new Error('--chunk-mb must be a number ≥ 1');
  const result = await workersBench(server, {
    file,
    rows,
    bytes: written.bytes,
    encoding,
    workers,
    chunkBytes,
    step,
    scratch,
  });
  console.log(printWorkersResult(result));
  mkdirSync(resultsDir, { recursive: true });
  const out = path.join(resultsDir, `${result.date.slice(0, 10)}-workers-${workers.join('-')}-${rows}.json`);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  step(`written ${path.relative(process.cwd(), out)}`);
}

/** The default: one generated CSV of `--rows` rows against PostgreSQL's own COPY. */
async function benchRows(): Promise<void> {
  step(`generating ${rows} rows (${encoding}, ${badShare * 100}% bad) in ${scratch}`);
  const file = path.join(scratch, `penalties-${rows}.csv`);
  const written = await writePenaltyCsv(file, rows, { badShare, encoding });
  const corrected = path.join(scratch, `penalties-${rows}-corrected.csv`);
  const correctedRows = Math.round(rows / 10);
  await writePenaltyCsv(corrected, correctedRows, { badShare, encoding, version: 2 });
  const small = path.join(scratch, `penalties-${SMALL_ROWS}.csv`);
  const smallWritten = await writePenaltyCsv(small, Math.min(rows, SMALL_ROWS), { badShare, encoding });

  const url = await server.freshDatabase('main');
  step('baseline: COPY of the raw file into an untyped text table');
  const baseline = await baselineCopy(url, file, encoding);
  step('pgloader into an untyped text table (when installed)');
  let pgloader: BenchResult['pgloader'];
  try {
    const ms = encoding === 'utf8' ? await pgloaderLoad(url, file, scratch) : undefined;
    pgloader = ms === undefined ? { error: 'not installed (or not UTF-8)' } : { ms };
  } catch (error) {
    pgloader = { error: String(error).slice(0, 500) };
  }

  const parse: BenchResult['parse'] = {};
  for (const parser of parsers) {
    step(`parse only (decode + ${parser})`);
    parse[parser] = await parseOnly(PARSERS[parser], file);
  }

  const primary = parsers[0]!;
  step(`parse + row work (${primary}, no database)`);
  const { ms: rowWorkMs, rows: rowWorkRows } = await rowWork(PARSERS[primary], file);
  const cpuProf = values['cpu-prof'];
  const phases: BenchResult['phases'] = [];
  step('ingest: first load');
  phases.push({
    name: 'first load',
    parser: SHIPPED_PARSER,
    rows,
    bytes: written.bytes,
    ...(await measureIngest({ url, file, scratch, label: 'first', cpuProf, nodeOptions })),
  });
  // Settled first: VACUUM moves the GIN index's pending list (records_key_parts) into the index, bytes the first
  // load owes (at 20,000 rows 3.6 MB that would otherwise show up as the first re-delivery's).
  await settle(url);
  const sizes: NonNullable<BenchResult['sizes']> = [{ after: 'first load', bytes: await tableSizes(url) }];
  // Nightly full dumps: the same rows again, never the same bytes (blank lines at the end, skipped as such).
  const redeliveryMs: number[] = [];
  for (let night = 1; night <= redeliveries; night++) {
    step(`ingest: re-delivery ${night} of ${redeliveries} (all unchanged)`);
    const again = path.join(scratch, `penalties-${rows}-night-${night}.csv`);
    await writeRedelivery(again, rows, { badShare, every: undefined, blankLines: night });
    await settle(url);
    const measured = await measureIngest({
      url,
      file: again,
      scratch,
      label: `night-${night}`,
      cpuProf,
      nodeOptions,
    });
    rmSync(again);
    redeliveryMs.push(measured.ms);
    if (night === 1) {
      phases.push({
        name: 're-delivery, all unchanged',
        parser: SHIPPED_PARSER,
        rows,
        bytes: written.bytes,
        ...measured,
      });
    }
    if (night === 1 || night === redeliveries) {
      sizes.push({ after: `${night} re-deliver${night === 1 ? 'y' : 'ies'}`, bytes: await tableSizes(url) });
    }
  }
  // The same kind of night on the full path, for the fast path's gain in this very run.
  step('ingest: re-delivery, all unchanged, on the full path (CREDIT_ETL_FAST_REDELIVERY=0)');
  const fullPathNight = path.join(scratch, `penalties-${rows}-full-path.csv`);
  await writeRedelivery(fullPathNight, rows, { badShare, every: undefined, blankLines: redeliveries + 1 });
  await settle(url);
  phases.push({
    name: 're-delivery, all unchanged, full path',
    parser: SHIPPED_PARSER,
    rows,
    bytes: written.bytes,
    ...(await measureIngest({
      url,
      file: fullPathNight,
      scratch,
      label: 'full-path',
      nodeOptions,
      env: { CREDIT_ETL_FAST_REDELIVERY: '0' },
    })),
  });
  rmSync(fullPathNight);
  step('ingest: re-delivery with 1% of its rows changed');
  const changedFile = path.join(scratch, `penalties-${rows}-changed.csv`);
  await writeRedelivery(changedFile, rows, { badShare, every: 100, blankLines: redeliveries + 2 });
  await settle(url);
  phases.push({
    name: 're-delivery, 1% changed',
    parser: SHIPPED_PARSER,
    rows,
    bytes: written.bytes,
    ...(await measureIngest({ url, file: changedFile, scratch, label: 'changed', nodeOptions })),
  });
  sizes.push({ after: 'the 1% changed re-delivery', bytes: await tableSizes(url) });
  step(`ingest: ${correctedRows} corrected rows`);
  await settle(url);
  phases.push({
    name: '10% corrected',
    parser: SHIPPED_PARSER,
    rows: correctedRows,
    bytes: 0,
    ...(await measureIngest({
      url,
      file: corrected,
      scratch,
      label: 'corrected',
      nodeOptions,
    })),
  });
  // The night after a correction file: the channel's last file is the small one, so the dump takes the full path
  // (and once met a plan that never ended: compact-unchanged-runs.ts).
  step('ingest: the full dump again, the night after the corrections');
  const afterCorrections = path.join(scratch, `penalties-${rows}-after-corrections.csv`);
  await writeRedelivery(afterCorrections, rows, { badShare, every: undefined, blankLines: redeliveries + 3 });
  await settle(url);
  phases.push({
    name: 're-delivery after the corrections',
    parser: SHIPPED_PARSER,
    rows,
    bytes: written.bytes,
    ...(await measureIngest({
      url,
      file: afterCorrections,
      scratch,
      label: 'after-corrections',
      nodeOptions,
    })),
  });
  // A changed night the fast path cannot serve (a workbook, an entry a procedure changed): its lineage once scanned
  // the staged file for every changed row (compact-unchanged-runs.ts). Other rows than the fast 1% night's.
  step('ingest: a night with 1% of its rows changed, on the full path (CREDIT_ETL_FAST_REDELIVERY=0)');
  const changedFullPath = path.join(scratch, `penalties-${rows}-changed-full-path.csv`);
  await writeRedelivery(changedFullPath, rows, {
    badShare,
    every: 100,
    offset: 50,
    blankLines: redeliveries + 4,
  });
  await settle(url);
  phases.push({
    name: 're-delivery, 1% changed, full path',
    parser: SHIPPED_PARSER,
    rows,
    bytes: written.bytes,
    ...(await measureIngest({
      url,
      file: changedFullPath,
      scratch,
      label: 'changed-full-path',
      nodeOptions,
      env: { CREDIT_ETL_FAST_REDELIVERY: '0' },
    })),
  });
  rmSync(changedFullPath);
  step(`ingest: first load of ${SMALL_ROWS} rows into a fresh database (RSS at 100k)`);
  phases.push({
    name: `first load ${Math.min(rows, SMALL_ROWS)}`,
    parser: SHIPPED_PARSER,
    rows: Math.min(rows, SMALL_ROWS),
    bytes: smallWritten.bytes,
    ...(await measureIngest({
      url: await server.freshDatabase('small'),
      file: small,
      scratch,
      label: 'small',
      nodeOptions,
    })),
  });

  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: { ...machineInfo(), loadAverageAtStart },
    flags: process.argv.slice(2),
    postgres: { version: server.version, embedded: server.embedded },
    cli,
    input: { rows, bytes: written.bytes, encoding, badShare, badRows: written.badRows },
    baseline,
    pgloader,
    parse,
    rowWork: { ms: rowWorkMs, rows: rowWorkRows },
    phases,
    redeliveries: { nights: redeliveries, ms: redeliveryMs },
    sizes,
  };
  console.log(printResult(result));
  mkdirSync(resultsDir, { recursive: true });
  const out = path.join(
    resultsDir,
    `${result.date.slice(0, 10)}-${rows}-${encoding}${redeliveries > 1 ? `-redeliveries${redeliveries}` : ''}.json`,
  );
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  step(`written ${path.relative(process.cwd(), out)}`);
}
