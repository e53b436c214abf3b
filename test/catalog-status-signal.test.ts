import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { lintCatalog } from '../src/validate/lint-catalog.ts';
import {
  type CliPipelineFixture,
  dropFolder,
  openCliPipelineFixture,
} from './support/cli-pipeline-fixture.ts';
import { LEGACY_HEADER, STATUS, statusRow, writeAuthorityLookups } from './support/legacy-status-rows.ts';

/**
 * The 2016 layouts' 当前状态 declares itself the status signal in the catalog (`x-statusSignal` on DQZT): 撤销 is
 * a withdrawal request and 异议 raises the objection mark on every path, not only in a pipeline that declares
 * `withdrawals.status` (real CLI, real PostgreSQL).
 */
const PROVINCE = '11370000MB2852362M';

describe('当前状态 撤销/异议 in a 2016-layout file, no pipeline declaring it (x-statusSignal)', () => {
  let cx: CliPipelineFixture;
  let lookups: string;
  beforeAll(async () => {
    cx = await openCliPipelineFixture('catalog_status_signal');
    lookups = writeAuthorityLookups(cx.fx.scratch);
  });
  afterAll(async () => cx?.fx.close());

  const ingest = async (name: string, fileHeader: string[], rows: string[][]) => {
    const file = path.join(cx.fx.scratch, name);
    writeFileSync(file, toCsv(fileHeader, rows));
    const result = await cx.cli([
      'ingest',
      file,
      '--catalog',
      'xzcf',
      '--provider',
      PROVINCE,
      '--lookups',
      lookups,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout);
  };
  const objections = () => cx.fx.warehouse('objections').select('record_id', 'channel', 'provider_code');
  const withdrawals = () => cx.fx.warehouse('procedure_log').where({ kind: 'withdraw' }).select('basis');

  it('ingest: 异议 loads the record and opens a provider objection; 撤销 is a withdrawal request', {
    timeout: 300_000,
  }, async () => {
    const first = await ingest('leg3.csv', LEGACY_HEADER, [
      statusRow(3, 902, '异议'),
      statusRow(4, 903, '撤销'),
    ]);
    // 903 was never delivered: its withdrawal request is rejected as such, never loaded as a current record.
    expect(first.counts).toMatchObject({ read: 2, inserted: 1, rejected: 1, withdrawn: 0 });
    expect(first.errorsByCode).toEqual({ 'withdrawal-unknown-record': 1 });
    expect(first.files[0].providerObjections).toEqual({ opened: 1, known: 0 });
    const [objection] = await objections();
    expect(objection).toMatchObject({ channel: 'provider', provider_code: PROVINCE });
    const record = await cx.fx.warehouse('records').where({ id: objection!.record_id }).first();
    expect(record.business_key).toContain('济市监罚〔2026〕902号');
    const listed = await cx.cli(['objection', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('异议处理中');

    // Delivered, then withdrawn by its code 1: a withdrawal through the procedure log.
    expect((await ingest('leg3-again.csv', LEGACY_HEADER, [statusRow(4, 903, '正常')])).counts).toMatchObject(
      {
        inserted: 1,
      },
    );
    const third = await ingest('leg3-withdraw.csv', LEGACY_HEADER, [statusRow(4, 903, '1')]);
    expect(third.counts).toMatchObject({ read: 1, withdrawn: 1, inserted: 0 });
    const entries = await withdrawals();
    expect(entries).toHaveLength(1);
    expect(entries[0]!.basis).toMatch(/leg3-withdraw\.csv.*当前状态=1/);
    expect(await cx.fx.warehouse('records').where({ status: 'withdrawn' })).toHaveLength(1);
  });

  it('a 2016-layout file without 当前状态 loads as before: every row data', {
    timeout: 300_000,
  }, async () => {
    const keep = LEGACY_HEADER.map((_, i) => i).filter((i) => i !== STATUS);
    const pick = (cells: string[]) => keep.map((i) => cells[i]!);
    const result = await ingest(
      'no-status.csv',
      pick(LEGACY_HEADER),
      [statusRow(3, 904, ''), statusRow(4, 905, '')].map(pick),
    );
    expect(result.counts).toMatchObject({ read: 2, inserted: 2, withdrawn: 0, rejected: 0 });
    expect(result.files[0].providerObjections).toBeUndefined();
    expect(await objections()).toHaveLength(1);
    expect(await withdrawals()).toHaveLength(1);
  });

  it("a pipeline's own withdrawals.status wins over the catalog's", { timeout: 300_000 }, async () => {
    const drop = dropFolder(cx.fx, 'inbox');
    cx.pipeline('legacy', {
      provider: PROVINCE,
      level: 'province',
      transport: drop.transport,
      lookups: { authorityCodes: { 济南市市场监督管理局: '1137010000010001XF' } },
      withdrawals: { status: { column: '当前状态', values: ['撤销'] } },
    });
    drop.deliver('own.csv', LEGACY_HEADER, [statusRow(3, 906, '异议'), statusRow(4, 907, '撤销')]);
    const run = await cx.runJson('legacy');
    expect(run.code, run.stderr).toBe(0);
    // 异议 is no signal of this pipeline's: the row is data, no objection opened.
    expect(run.summary.counts).toMatchObject({ read: 2, inserted: 1, rejected: 1 });
    expect(run.summary.files[0].providerObjections).toBeUndefined();
    expect(await objections()).toHaveLength(1);
  });
});

describe('catalog lint and x-statusSignal', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  /** A copy of catalog/ with xzcf v2's DQZT annotated `signal`: the problems lint finds in that file. */
  const lintWith = async (signal: unknown) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'status-signal-'));
    dirs.push(dir);
    cpSync(path.join(PROJECT_ROOT, 'catalog'), dir, { recursive: true });
    const file = path.join(dir, 'xzcf.v2.json');
    const entry = JSON.parse(readFileSync(file, 'utf8'));
    entry.legacyLayout.sourceFields.DQZT['x-statusSignal'] = signal;
    writeFileSync(file, JSON.stringify(entry, null, 2));
    const report = await lintCatalog(dir);
    return report.problems
      .filter((problem) => problem.file === 'xzcf.v2.json')
      .map((problem) => problem.message);
  };

  it('the shipped annotations lint clean; a value off the code list, or both withdrawing and objecting, does not', async () => {
    const shipped = await lintCatalog(path.join(PROJECT_ROOT, 'catalog'));
    expect(shipped.problems).toEqual([]);
    for (const name of ['xzcf.v0.json', 'xzcf.v2.json', 'xzxk.v0.json']) {
      const entry = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'catalog', name), 'utf8'));
      expect(entry.legacyLayout.sourceFields.DQZT['x-statusSignal']).toEqual({
        withdraw: ['1'],
        objection: ['2'],
      });
    }
    expect(await lintWith({ withdraw: ['撤销'] })).toEqual([
      `DQZT: x-statusSignal value 撤销 is not in its code list's values`,
    ]);
    expect(await lintWith({ withdraw: ['1'], objection: ['1', '2'] })).toEqual([
      'DQZT: x-statusSignal value 1 both withdraws and objects',
    ]);
    expect((await lintWith({ withdraw: [] })).join('\n')).toMatch(/x-statusSignal/);
    expect((await lintWith({ withdraw: ['1'], reason: ['3'] })).join('\n')).toMatch(/x-statusSignal/);
  });
});
