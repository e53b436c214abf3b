import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { csvFormat } from '../connectors/formats/csv-format.ts';
import { csvParseFormat } from '../connectors/formats/csv-parse-format.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { baselineCopy } from './baseline-copy.ts';
import { openBenchServer } from './bench-database.ts';
import { type BenchResult, printResult } from './bench-result.ts';
import { parseOnly } from './parse-only.ts';
import { rowWork } from './row-work.ts';
import { measureIngest } from './run-ingest.ts';
import { writePenaltyCsv } from './write-penalty-csv.ts';

const SMALL_ROWS = 100_000;
const PARSERS = { papaparse: csvFormat, 'csv-parse': csvParseFormat } as const;
type Parser = keyof typeof PARSERS;

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    encoding: { type: 'string', default: 'utf8' },
    bad: { type: 'string', default: '0.02' },
    parser: { type: 'string', default: 'papaparse' },
    'cpu-prof': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows);
const encoding = values.encoding === 'gb18030' ? 'gb18030' : 'utf8';
const badShare = Number(values.bad);
if (!Number.isInteger(rows) || rows < 1000) throw new Error('--rows must be an integer ≥ 1000');
if (!['papaparse', 'csv-parse', 'both'].includes(values.parser)) {
  throw new Error('--parser must be papaparse, csv-parse or both');
}
const parsers: Parser[] = values.parser === 'both' ? ['papaparse', 'csv-parse'] : [values.parser as Parser];
const scratch = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-bench-'));
const step = (text: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);

const server = await openBenchServer(process.env.DATABASE_URL);
try {
  step(`generating ${rows} rows (${encoding}, ${badShare * 100}% bad) in ${scratch}`);
  const file = path.join(scratch, `penalties-${rows}.csv`);
  const written = await writePenaltyCsv(file, rows, { badShare, encoding });
  const again = path.join(scratch, `penalties-${rows}-again.csv`);
  copyFileSync(file, again);
  const corrected = path.join(scratch, `penalties-${rows}-corrected.csv`);
  const correctedRows = Math.round(rows / 10);
  await writePenaltyCsv(corrected, correctedRows, { badShare, encoding, version: 2 });
  const small = path.join(scratch, `penalties-${SMALL_ROWS}.csv`);
  const smallWritten = await writePenaltyCsv(small, Math.min(rows, SMALL_ROWS), { badShare, encoding });

  const url = await server.freshDatabase('main');
  step('baseline: COPY of the raw file into an untyped text table');
  const baseline = await baselineCopy(url, file, encoding);

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
    parser: primary,
    rows,
    bytes: written.bytes,
    ...(await measureIngest({ url, file, scratch, label: 'first', parser: primary, cpuProf })),
  });
  step('ingest: the same file under another name');
  phases.push({
    name: 're-ingest',
    parser: primary,
    rows,
    bytes: written.bytes,
    ...(await measureIngest({ url, file: again, scratch, label: 'again', parser: primary, cpuProf })),
  });
  step(`ingest: ${correctedRows} corrected rows`);
  phases.push({
    name: '10% corrected',
    parser: primary,
    rows: correctedRows,
    bytes: 0,
    ...(await measureIngest({ url, file: corrected, scratch, label: 'corrected', parser: primary })),
  });
  step(`ingest: first load of ${SMALL_ROWS} rows into a fresh database (RSS at 100k)`);
  phases.push({
    name: `first load ${Math.min(rows, SMALL_ROWS)}`,
    parser: primary,
    rows: Math.min(rows, SMALL_ROWS),
    bytes: smallWritten.bytes,
    ...(await measureIngest({
      url: await server.freshDatabase('small'),
      file: small,
      scratch,
      label: 'small',
      parser: primary,
    })),
  });
  for (const parser of parsers.slice(1)) {
    step(`ingest: first load with ${parser} into a fresh database`);
    phases.push({
      name: `first load (${parser})`,
      parser,
      rows,
      bytes: written.bytes,
      ...(await measureIngest({
        url: await server.freshDatabase(parser.replace('-', '_')),
        file,
        scratch,
        label: `first-${parser}`,
        parser,
      })),
    });
  }

  const result: BenchResult = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      loadAverage: os.loadavg(),
      memoryMb: Math.round(os.totalmem() / 2 ** 20),
      node: process.version,
    },
    postgres: { version: server.version, embedded: server.embedded },
    input: { rows, bytes: written.bytes, encoding, badShare, badRows: written.badRows },
    baseline,
    parse,
    rowWork: { ms: rowWorkMs, rows: rowWorkRows },
    phases,
  };
  console.log(printResult(result));
  const resultsDir = path.join(PROJECT_ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const out = path.join(resultsDir, `${result.date.slice(0, 10)}-${rows}-${encoding}.json`);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  step(`written ${path.relative(process.cwd(), out)}`);
} finally {
  await server.close();
  if (values['cpu-prof']) step(`CPU profiles kept in ${path.join(scratch, 'profiles')}`);
  else if (!values.keep) rmSync(scratch, { recursive: true, force: true });
}
