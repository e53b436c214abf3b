import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPORTS } from '../connectors/registry.ts';
import { generatePenalties, PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadPipelines } from '../src/pipelines/load-pipelines.ts';
import type { PipelineDefinition } from '../src/pipelines/pipeline-definition.ts';
import { runPipeline } from '../src/pipelines/run-pipeline.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const ROWS = 20;

/**
 * Each read option of a pipeline file (delimiter, sheet, header row, encoding) through a real pipeline run: a
 * drop folder, the unit worker, PostgreSQL. Each case also runs the same bytes under a pipeline that declares
 * the option otherwise (or not at all), which must fail the file: the declared option is what made it load.
 */
describe('a pipeline file says how its files are read (real PostgreSQL, drop folders)', () => {
  let fx: WarehouseFixture;
  const pipelines = new Map<string, PipelineDefinition>();
  const logger = createLogger({ console: false });
  const generated = generatePenalties(ROWS, { seed: 14, badShare: 0.2 });
  const expected = (shift: number) =>
    generated.expected.map((bad) => [bad.row + shift, bad.field, bad.code] as [number, string, string]);

  const declared: Record<string, Record<string, unknown>> = {
    semicolon: { delimiter: ';' },
    'comma-declared': { delimiter: ',' },
    'named-sheet': { sheet: '处罚信息' },
    'notes-sheet': { sheet: '填报说明' },
    'first-sheet': {},
    'titled-csv': { headerRow: 3 },
    'untitled-csv': {},
    gb18030: { encoding: 'gb18030' },
    'utf8-declared': { encoding: 'utf8' },
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('pipeline_read_options');
    const dir = path.join(fx.scratch, 'pipelines');
    mkdirSync(dir);
    for (const [name, options] of Object.entries(declared)) {
      const definition = {
        catalog: 'xzcf',
        provider: '113701000000000000',
        level: 'city',
        transport: { type: 'drop-folder', directory: inbox(name) },
        thresholds: { maxRejectRate: 1 },
        retry: { attempts: 1, backoffSeconds: 0 },
        ...options,
      };
      writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(definition));
    }
    const loaded = await loadPipelines(dir, TRANSPORTS);
    expect(loaded.problems).toEqual([]);
    for (const pipeline of loaded.pipelines) pipelines.set(pipeline.name, pipeline);
  });
  afterAll(async () => fx?.close());

  function inbox(name: string): string {
    return path.join(fx.scratch, 'inbox', name);
  }

  /** Delivers `bytes` as `file` into the pipeline's drop folder, with its done-marker. */
  function deliver(pipeline: string, file: string, bytes: Buffer | string): void {
    mkdirSync(inbox(pipeline), { recursive: true });
    writeFileSync(path.join(inbox(pipeline), file), bytes);
    writeFileSync(path.join(inbox(pipeline), `${file}.ok`), '');
  }

  async function run(name: string) {
    const pipeline = pipelines.get(name);
    if (!pipeline) throw new Error(`no pipeline ${name}`);
    const result = await runPipeline(fx.warehouse, fx.catalog, pipeline, { stagingDir: fx.scratch }, logger);
    if (result.status !== 'ran') throw new Error(`${name} was locked`);
    return result.summary;
  }

  const outcome = (summary: Awaited<ReturnType<typeof run>>) =>
    summary.files.map((file) => [file.status, file.error?.code]);

  it('"delimiter": ";" reads a semicolon file; the same file under "," fails', async () => {
    const quoted = (cell: string) => (/[";\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);
    const text = [PENALTY_HEADER, ...generated.rows]
      .map((row) => `${row.map(quoted).join(';')}\r\n`)
      .join('');
    deliver('comma-declared', '分号.csv', text);
    expect(outcome(await run('comma-declared'))).toEqual([['failed', 'unknown-columns']]);

    deliver('semicolon', '分号.csv', text);
    const summary = await run('semicolon');
    expect(outcome(summary)).toEqual([['loaded', undefined]]);
    expect(summary.counts.read).toBe(ROWS);
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(expected(0));
  });

  it('"sheet" reads the sheet named, even one that fails; without it the sheet whose header matches is found', async () => {
    const book = new ExcelJS.Workbook();
    const notes = book.addWorksheet('填报说明');
    notes.addRow(['填报说明']);
    notes.addRow(['日期请填写为 yyyy-mm-dd，代码列请设置为文本格式']);
    const data = book.addWorksheet('处罚信息');
    data.addRow(PENALTY_HEADER);
    for (const row of generated.rows) data.addRow(row);
    const bytes = Buffer.from(await book.xlsx.writeBuffer());
    deliver('notes-sheet', '两个工作表.xlsx', bytes);
    expect(outcome(await run('notes-sheet'))).toEqual([['failed', 'unknown-columns']]);

    deliver('named-sheet', '两个工作表.xlsx', bytes);
    const summary = await run('named-sheet');
    expect(outcome(summary)).toEqual([['loaded', undefined]]);
    expect(summary.counts.read).toBe(ROWS);
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(expected(0));

    // Without "sheet" the notes are passed over: their header is no catalog entry's (a notice sent back as it is).
    // Other notes, so that the content ledger does not skip the file as the one just loaded.
    notes.addRow(['代码列请勿填写空格']);
    deliver('first-sheet', '两个工作表-2.xlsx', Buffer.from(await book.xlsx.writeBuffer()));
    const found = await run('first-sheet');
    expect(outcome(found)).toEqual([['loaded', undefined]]);
    expect(found.counts.read).toBe(ROWS);
  });

  it('"headerRow": 3 reads a CSV under two title rows, by the row numbers a person sees', async () => {
    const text = `2026年行政处罚信息公示\r\n报送单位：济南市市场监督管理局\r\n${toCsv(PENALTY_HEADER, generated.rows)}`;
    deliver('untitled-csv', '带标题.csv', text);
    const untitled = await run('untitled-csv');
    expect(outcome(untitled)).toEqual([['failed', 'unknown-columns']]);
    // Failed without the option, the file says which row its header is on, what the provider does and how the
    // operator reads it.
    expect(untitled.files[0]?.error?.message).toContain(
      '第3行与目录的表头相符：若其上方是标题行，请删除这些标题行，使列名位于第1行后重新报送（运维人员可加 --header-row 3 重新读取，或在管道配置 headerRow: 3）',
    );

    deliver('titled-csv', '带标题.csv', text);
    const summary = await run('titled-csv');
    expect(outcome(summary)).toEqual([['loaded', undefined]]);
    expect(summary.counts.read).toBe(ROWS);
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(expected(2));
  });

  it('"encoding": "gb18030" is used as declared, not detected; the same bytes declared utf8 fail', async () => {
    const bytes = iconv.encode(toCsv(PENALTY_HEADER, generated.rows), 'gb18030');
    deliver('utf8-declared', 'gbk.csv', bytes);
    expect(outcome(await run('utf8-declared'))).toEqual([['failed', 'undecodable-bytes']]);

    deliver('gb18030', 'gbk.csv', bytes);
    const summary = await run('gb18030');
    expect(outcome(summary)).toEqual([['loaded', undefined]]);
    expect(summary.files[0]?.encoding).toBe('gb18030');
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual(expected(0));
  });
});

describe('read options in a pipeline file are checked when it loads', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-read-options-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = {
    catalog: 'xzcf',
    provider: '113701000000000000',
    level: 'city',
    transport: { type: 'drop-folder', directory: '/srv/drop' },
  };

  it('names the file, the field and the allowed values of a wrong delimiter, sheet or header row', async () => {
    writeFileSync(
      path.join(dir, 'wrong.json'),
      JSON.stringify({ ...base, delimiter: 'semicolon', sheet: 0, headerRow: 'third', encoding: 'gbk' }),
    );
    const loaded = await loadPipelines(dir, TRANSPORTS);
    expect(
      loaded.problems.map((problem) => [path.basename(problem.file), problem.path, problem.message]),
    ).toEqual([
      [
        'wrong.json',
        '/delimiter',
        'must be equal to one of the allowed values: "auto", ",", ";", "\\t", "|"',
      ],
      [
        'wrong.json',
        '/encoding',
        'must be equal to one of the allowed values: "auto", "utf8", "gb18030", "utf16le", "utf16be"',
      ],
      ['wrong.json', '/headerRow', 'must be integer'],
      ['wrong.json', '/sheet', 'must be >= 1'],
    ]);
    rmSync(path.join(dir, 'wrong.json'));
  });

  it('loads a file that still says "format": "csv", ignoring the field with a warning that says what to do', async () => {
    writeFileSync(
      path.join(dir, 'legacy.json'),
      JSON.stringify({ ...base, format: 'csv', sheet: '处罚信息' }),
    );
    const loaded = await loadPipelines(dir, TRANSPORTS);
    expect(loaded.problems).toEqual([]);
    expect(loaded.pipelines[0]).toMatchObject({ name: 'legacy', sheet: '处罚信息' });
    expect(loaded.pipelines[0]).not.toHaveProperty('format');
    expect(loaded.warnings.map((warning) => [path.basename(warning.file), warning.path])).toEqual([
      ['legacy.json', '/format'],
    ]);
    expect(loaded.warnings[0]?.message).toMatch(
      /^is no longer read and is ignored: each file is read by its extension/,
    );
  });
});
