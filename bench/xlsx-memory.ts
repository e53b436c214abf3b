/**
 * Peak RSS of the streaming XLSX writer against the rows it writes:
 * `npx tsx bench/xlsx-memory.ts [--rows 100000,300000,1000000] [--page-ms 0] [--no-drain]`. Each count is written
 * by a child process of its own (the CLI's node flags: 192 MB heap cap, 2 MB semi-spaces), so each peak is that
 * write's alone. The child writes a rejection workbook as the report does (rejection-sheet.ts, masked, notes on
 * the first 10,000 rows), its rows generated (the bench's penalty rows, one bad cell each) and handed over in pages
 * of 1,000 as the warehouse's keyset pages are: between two pages it waits `--page-ms` (0: one turn of the event
 * loop, a database that answers at once — the worst case for a writer that does not wait for its zip), then
 * awaits the workbook's `drained()` (`--no-drain`: not, as writers did before it existed). No database. Prints
 * rows, seconds, file size and peak RSS.
 */
import { stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { penaltyRows } from '../fixtures/generate/penalty-rows.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { rejectionSheet } from '../src/report/rejection-sheet.ts';
import { NOTED_ROWS } from '../src/report/rejections-xlsx.ts';
import { entryColumns, reportMasker } from '../src/report/report-columns.ts';
import { streamingWorkbook } from '../src/report/streaming-workbook.ts';
import type { RejectionRow } from '../src/warehouse/rejections-repository.ts';
import { measureNode } from './measure-process.ts';

/** The node flags of the CLI's `#!` line (bin/credit-etl.js): what a report is written under. */
const CLI_NODE_FLAGS = ['--max-old-space-size=192', '--max-semi-space-size=2'];
/** The warehouse's page of rejections (rejections-repository.ts). */
const PAGE = 1000;

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000,300000,1000000' },
    'page-ms': { type: 'string', default: '0' },
    'no-drain': { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});
const pageMs = Number(values['page-ms']);
const drain = !values['no-drain'];

if (values.child) await writeInChild(Number(values.child));
else await measureEach(values.rows.split(',').map(Number));

async function measureEach(counts: number[]): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const load = os.loadavg()[0]?.toFixed(2);
  console.log(
    `rows        seconds   file MB   peak RSS MB   (page pause ${pageMs} ms, drained() ${drain}, load ${load})`,
  );
  for (const rows of counts) {
    const run = await measureNode(
      [
        ...CLI_NODE_FLAGS,
        ...['--import', 'tsx', self, '--child', String(rows), '--page-ms', String(pageMs)],
        ...(drain ? [] : ['--no-drain']),
      ],
      {},
    );
    if (run.code !== 0) {
      console.error(`${rows} rows failed (exit ${run.code ?? run.signal}):\n${run.stderr}`);
      process.exitCode = 1;
      continue;
    }
    const child = JSON.parse(run.stdout) as { seconds: number; fileMb: number; maxRssMb: number };
    console.log(
      [
        String(rows).padEnd(10),
        child.seconds.toFixed(1).padStart(9),
        child.fileMb.toFixed(1).padStart(9),
        run.peakRssMb.toFixed(0).padStart(13),
      ].join(' '),
    );
  }
}

async function writeInChild(count: number): Promise<void> {
  const catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
  const columns = entryColumns(catalog, 'xzcf');
  const masker = reportMasker(catalog, false);
  const outFile = path.join(os.tmpdir(), `credit-etl-xlsx-memory-${process.pid}.xlsx`);
  const started = performance.now();
  const workbook = await streamingWorkbook(outFile);
  const sheet = rejectionSheet(workbook, '行政处罚(xzcf)', columns, masker, {
    document: '拒收数据报告 行政处罚',
    notes: NOTED_ROWS,
  });
  let written = 0;
  for (const rejection of rejections(count, columns.codes)) {
    sheet.add(rejection);
    if (++written % PAGE === 0) {
      await nextPage();
      // What a report's writer does between two pages (streaming-workbook.ts); `--no-drain` measures without it.
      if (drain) await workbook.drained();
    }
  }
  workbook.getWorksheet(1)?.commit();
  await workbook.commit();
  const seconds = (performance.now() - started) / 1000;
  const fileMb = (await stat(outFile)).size / 1024 / 1024;
  await unlink(outFile);
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ seconds, fileMb, maxRssMb }));
}

/** What awaiting the next page from the warehouse gives the writer: one event-loop turn, and `--page-ms`. */
function nextPage(): Promise<void> {
  return new Promise((resolve) => (pageMs > 0 ? setTimeout(resolve, pageMs) : setImmediate(resolve)));
}

/** Generated rejected rows of the national penalty layout, each with one bad cell (the decision date). */
function* rejections(count: number, codes: string[]): Generator<RejectionRow> {
  let id = 0;
  for (const { row } of penaltyRows(count)) {
    id++;
    const raw = Object.fromEntries(codes.map((code, i) => [code, row[i] ?? '']));
    yield {
      id,
      file: 'xzcf-2026-11.csv',
      sourceFileId: 1,
      runId: 1,
      rowNumber: id + 1,
      catalogCode: 'xzcf',
      providerCode: 'jnscjg',
      raw,
      errors: [
        {
          field: 'CF_JDRQ',
          code: 'invalid-date',
          message: `第${id + 1}行 处罚决定日期（CF_JDRQ）“2025-02-30”不是有效日期：请按 YYYY-MM-DD 填写`,
          value: '2025-02-30',
        },
      ],
    };
  }
}
