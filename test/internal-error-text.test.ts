import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowStream, SourceRow, SourceUnit } from '../connectors/contracts.ts';
import { expectNoLibraryText } from '../connectors/library-text.test-support.ts';
import { DEFAULT_LIMITS } from '../connectors/limits.ts';
import { localFileUnit } from '../connectors/transports/local-file.ts';
import { generatePenalties, PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { summaryJson } from '../src/cli/format-summary.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { startUnitWorkerAhead } from '../src/run/unit-workers.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { ingestDelivery } from './support/ingest-delivery.ts';
import { recordingLogger } from './support/recording-logger.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
/** A resident ID (valid check character): whatever quotes it for the operator shows it masked. */
const RESIDENT_ID = '370102199003071238';

/**
 * A file that fails for a reason of the platform's (a defect: a library's TypeError, a 前置库 query refused; a
 * worker that died) is recorded with a Chinese reason the provider reads (source_files, the run's file summary, the
 * direct-report page), never the error's English; the original error is the operator's: in the log line of the
 * failure, with its stack, and in the run's error (`runs show`, the console's run page), masked.
 */
describe('a file failing on the platform’s side: the provider’s words stored, the original error logged', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('internal_error_text');
  });
  afterAll(async () => fx?.close());

  const ingest = (units: SourceUnit[], options: { onProgress?: () => void } = {}) => {
    const { lines, logger } = recordingLogger();
    const summary = ingestDelivery(fx, units, {}, logger, { limits: DEFAULT_LIMITS, ...options });
    return { lines, summary };
  };
  const stored = async (runId: number) => ({
    files: await fx.warehouse('source_files').where({ run_id: runId }).orderBy('id'),
    run: await fx.warehouse('runs').where({ id: runId }).first(),
  });
  /** The one `file … failed` line of the log, with its meta. */
  const failureLine = (lines: string[], name: string) => {
    const found = lines.filter((line) => line.includes(`file ${name} failed:`));
    expect(found, lines.join('')).toHaveLength(1);
    return found[0]!;
  };

  /** Rows of a table or an interface, read in this thread: a first batch, then the error. */
  const rowsUnit = (name: string, error: Error, extra: Partial<SourceUnit> = {}): SourceUnit => {
    const { rows } = generatePenalties(3, { seed: 7 });
    const batch: SourceRow[] = rows.map((cells, i) => ({ rowNumber: i + 2, cells }));
    const stream: RowStream = {
      header: [...PENALTY_HEADER],
      encoding: 'utf-8',
      batches: (async function* () {
        yield batch;
        throw error;
      })(),
      stats: () => ({ blankLines: 0 }),
    };
    return { name, receivedAt: RECEIVED, rows: async () => stream, ...extra };
  };

  it('stores a defect’s TypeError as internal-error in Chinese, and logs its message and stack', async () => {
    const defect = new TypeError("Cannot read properties of undefined (reading 'sharedFormula')");
    const { lines, summary: running } = ingest([rowsUnit('接口数据', defect)]);
    const summary = await running;
    const [file] = summary.files;
    expect([file?.status, file?.error?.code]).toEqual(['failed', 'internal-error']);
    const message = file?.error?.message;
    expect(message).toMatch(/^平台处理该文件时出错（平台内部错误，不是文件内容的问题），整个文件未入库；/);
    expect(message).toContain('该文件不会自动重新读取：请稍后重新报送');
    expectNoLibraryText(message);
    const { files, run } = await stored(summary.runId);
    expect(files[0]).toMatchObject({ status: 'failed', error_code: 'internal-error', error: message });
    // What a provider may read of the run (the `--json` summary) has no trace of the original error.
    expect(JSON.stringify(summaryJson(summary))).not.toContain('sharedFormula');

    const line = failureLine(lines, '接口数据');
    expect(line).toContain(message);
    expect(line).toContain("TypeError: Cannot read properties of undefined (reading 'sharedFormula')");
    expect(line).toContain('internal-error-text.test.ts'); // its stack
    expect(run.error).toBe(
      `接口数据: ${message} (original error: TypeError: Cannot read properties of undefined (reading 'sharedFormula'))`,
    );
  });

  it('tells a 前置库 batch it is read again; the driver’s error and its cause reach the log masked', async () => {
    // As mysql2 reports a statement the 前置库 refused: not a lost connection, so not retried as one.
    const refused = Object.assign(new Error(`Duplicate entry '${RESIDENT_ID}' for key 'PRIMARY'`), {
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      cause: new Error(`row of ${RESIDENT_ID}`),
    });
    const batch = rowsUnit('ods_xzcf (0 … 3]', refused, { beforeCommit: async () => undefined });
    const { lines, summary: running } = ingest([batch]);
    const summary = await running;
    const message = summary.files[0]?.error?.message;
    expect(summary.files[0]?.error?.code).toBe('internal-error');
    expect(message).toMatch(/^平台读取该批数据时出错（平台内部错误，不是数据内容的问题），该批数据未入库；/);
    expect(message).toContain('增量位置未前移，下次运行时自动重新读取该批数据，无需重新报送');
    expectNoLibraryText(message);
    const { files, run } = await stored(summary.runId);
    expect(files[0]).toMatchObject({ error_code: 'internal-error', error: message });

    const line = failureLine(lines, 'ods_xzcf (0 … 3]');
    expect(line).toContain("Error: Duplicate entry '3701**********1238' for key 'PRIMARY' [ER_DUP_ENTRY]");
    expect(line).toContain('← Error: row of 3701**********1238');
    expect(line).not.toContain(RESIDENT_ID);
    expect(run.error).toContain("(original error: Error: Duplicate entry '3701**********1238'");
    expect(run.error).not.toContain(RESIDENT_ID);
  });

  it('stores a defect inside a file’s worker in Chinese; the worker’s error reaches the log', async () => {
    const csv = writePenaltyCsv(fx.scratch, 'a.csv', 3, { seed: 3 }).file;
    // A locator built by hand, without its record offset: the worker's reader refuses it (a defect, in English).
    const unit: SourceUnit = {
      name: 'a.zip!a.csv',
      receivedAt: RECEIVED,
      locator: { kind: 'zip-entry', path: csv, index: 0, entry: 'a.csv', record: Number.NaN },
      open: () => {
        throw new Error('read in the worker, from the locator');
      },
    };
    const { lines, summary: running } = ingest([unit]);
    const summary = await running;
    const message = summary.files[0]?.error?.message;
    expect(summary.files[0]?.error?.code).toBe('internal-error');
    expect(message).toMatch(/^平台处理该文件时出错（平台内部错误/);
    expectNoLibraryText(message);
    const { files, run } = await stored(summary.runId);
    expect(files[0]).toMatchObject({ error_code: 'internal-error', error: message });
    const line = failureLine(lines, 'a.zip!a.csv');
    expect(line).toContain('Error: zip-entry locator of a.csv!a.csv has no record offset');
    expect(line).toContain('archive-units.ts'); // the stack, from the worker's thread
    expect(run.error).toContain(
      '(original error: Error: zip-entry locator of a.csv!a.csv has no record offset',
    );
  });

  it('stores a crashed worker as unit-crashed in Chinese; the worker’s error goes to the log only', async () => {
    const unit = await localFileUnit(
      writePenaltyCsv(fx.scratch, 'crash.csv', 20, { seed: 5 }).file,
      RECEIVED,
    );
    // The worker the unit is loaded in; a job it cannot read, sent while it loads the unit, kills its thread.
    const worker = startUnitWorkerAhead(DEFAULT_LIMITS.unitHeapMb);
    let crashed = false;
    // Every other writer of `records` waits (as the owner: the engine's role may not lock a table): the unit is
    // still loading when its worker dies, whatever the machine's speed.
    const lock = await fx.owner.transaction();
    await lock.raw('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
    let summary: RunSummary;
    let lines: string[];
    try {
      const ingesting = ingest([unit], {
        onProgress: () => {
          if (crashed) return;
          crashed = true;
          worker.postMessage({});
        },
      });
      lines = ingesting.lines;
      summary = await ingesting.summary;
    } finally {
      await lock.rollback();
    }
    expect(crashed).toBe(true);
    const message = summary.files[0]?.error?.message;
    expect([summary.files[0]?.status, summary.files[0]?.error?.code]).toEqual(['failed', 'unit-crashed']);
    expect(message).toBe(
      '读取文件 crash.csv 时处理进程意外退出（平台一侧的错误，原因已记录在平台日志中），未入库任何数据，该文件不会自动重新读取；请确认文件完整、格式正确后重新报送，如反复出现请联系平台运维人员',
    );
    expectNoLibraryText(message);
    const { files, run } = await stored(summary.runId);
    expect(files[0]).toMatchObject({ error_code: 'unit-crashed', error: message });
    const line = failureLine(lines, 'crash.csv');
    expect(line).toMatch(/TypeError: Cannot destructure property 'locator' of '[^']+' as it is undefined/);
    expect(run.error).toMatch(/\(original error: TypeError: Cannot destructure property 'locator'/);
  });

  it('stores a unit no format can read in Chinese', async () => {
    // A transport's unit that gives neither bytes nor rows.
    const { summary: running } = ingest([{ name: 'b.csv', receivedAt: RECEIVED }]);
    const summary = await running;
    const message = summary.files[0]?.error?.message;
    expect(summary.files[0]?.error?.code).toBe('unsupported-format');
    expect(message).toMatch(
      /^无法读取文件 b\.csv：平台没有能读取该文件的方式（支持 \.csv \.txt \.tsv \.xlsx/,
    );
    expectNoLibraryText(message);
    const { files } = await stored(summary.runId);
    expect(files[0]).toMatchObject({ error_code: 'unsupported-format', error: message });
  });
});
