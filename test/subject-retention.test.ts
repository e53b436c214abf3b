import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { periodEnd } from '../src/disclosure/civil-dates.ts';
import { RETENTION_NOTE } from '../src/disclosure/record-retention.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { catalogCli, REPAIR_GROUNDS, recordIdOf } from './support/fixture-cli.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';

/**
 * 保存期限 in a subject's archive (`subject` text and --json, also --as-of, and the console's subject page), each
 * record's on the archive's day, under its own entry version: a copy of catalog/ keeps 行政处罚 5 years after
 * disclosure ends in xzcf v3 (what yesterday's delivery was read by) and permanently in a v4 in force from today.
 */
const today = todayInShanghai();
const yesterday = dayBefore(today);
const decided = periodEnd(today, -5);
const shownUntil = periodEnd(decided, 12);
const COMPANY = makeUscc('91', '370102', 8_800_456);

function dayBefore(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

const count = (text: string, part: string) => text.split(part).length - 1;

interface ShownRecord {
  recordId: number;
  disclosure: { state: string; retention?: Record<string, unknown> } | null;
}

describe('subject: each record’s 保存期限 (retention) beside its disclosure state', {
  timeout: 300_000,
}, () => {
  let cx: ConsoleFixture;
  const catalogDir = mkdtempSync(path.join(os.tmpdir(), 'credit-etl-subject-retention-catalog-'));
  const rows = basePenalties(4, 2032);
  const penalty = (i: number, decision: string, decidedOn: string, until = '') =>
    edit(rows[i] as PenaltyRow, {
      '行政相对人代码_1(统一社会信用代码)': COMPANY,
      行政相对人名称: '济南泉城保存期限示例有限公司',
      行政处罚决定书文号: decision,
      处罚类别: '没收违法所得',
      处罚决定日期: decidedOn,
      公示截止期: until,
    });
  const cli = catalogCli(
    () => cx.fx,
    () => catalogDir,
  );
  const idOf = (decision: string) => recordIdOf(cx.fx, decision);
  const archive = async (asOf?: string) => {
    const done = await cli(['subject', COMPANY, ...(asOf ? ['--as-of', asOf] : []), '--json']);
    expect(done.code, done.stderr).toBe(0);
    const parsed = JSON.parse(done.stdout) as { groups: { records: ShownRecord[] }[] };
    return new Map(
      parsed.groups.flatMap((group) => group.records).map((record) => [record.recordId, record]),
    );
  };
  const text = async (asOf?: string) => {
    const done = await cli(['subject', COMPANY, ...(asOf ? ['--as-of', asOf] : [])]);
    expect(done.code, done.stderr).toBe(0);
    return done.stdout;
  };

  beforeAll(async () => {
    cpSync(path.join(PROJECT_ROOT, 'catalog'), catalogDir, { recursive: true });
    const v3File = path.join(catalogDir, 'xzcf.v3.json');
    const v3 = JSON.parse(readFileSync(v3File, 'utf8'));
    v3.disclosure.retention = { years: 5 };
    writeFileSync(v3File, JSON.stringify(v3, null, 2));
    const v4 = {
      ...v3,
      version: 4,
      effectiveFrom: today,
      disclosure: { ...v3.disclosure, retention: 'permanent' },
    };
    writeFileSync(path.join(catalogDir, 'xzcf.v4.json'), JSON.stringify(v4, null, 2));
    const catalog = await loadCatalog(catalogDir);
    cx = await openConsoleFixture('subject_retention', { browser: false, deps: { catalog } });
    const { fx } = cx;
    const first = await fx.ingest(
      [
        writeRows(fx.scratch, 'yesterday.csv', [
          penalty(0, '鲁济市监罚〔2026〕7201号', '2026-01-15', '2026-07-15'),
          penalty(1, '鲁济市监罚〔2026〕7202号', decided),
        ]),
      ],
      { catalogs: catalog, receivedAt: new Date(`${yesterday}T10:00:00+08:00`) },
    );
    expect(first.counts.inserted).toBe(2);
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica'); // triggers off: in the warehouse two days
      await trx.raw(`UPDATE record_versions SET created_at = created_at - interval '2 days'`);
    });
    const second = await fx.ingest(
      [
        writeRows(fx.scratch, 'today.csv', [
          penalty(2, '鲁济市监罚〔2026〕7203号', '2026-02-01', '2026-08-01'),
        ]),
      ],
      { catalogs: catalog },
    );
    expect(second.counts.inserted).toBe(1);
    expect(
      await fx
        .warehouse('record_versions')
        .orderBy('record_id')
        .select('record_id', 'catalog_version')
        .then((versions) => versions.map((version) => version.catalog_version)),
    ).toEqual([3, 3, 4]);
    const repaired = await cli(['repair', String(await idOf('鲁济市监罚〔2026〕7202号')), ...REPAIR_GROUNDS]);
    expect(repaired.code, repaired.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await cx?.close();
    rmSync(catalogDir, { recursive: true, force: true });
  });

  it('today: each record by its own entry version (5 years, or 长期保存), in --json and once-noted text', async () => {
    const expired = await idOf('鲁济市监罚〔2026〕7201号');
    const repaired = await idOf('鲁济市监罚〔2026〕7202号');
    const permanent = await idOf('鲁济市监罚〔2026〕7203号');
    const records = await archive();
    expect(records.get(expired)?.disclosure).toMatchObject({
      state: 'expired',
      retention: {
        kind: 'years',
        years: 5,
        countedFrom: '2026-07-15',
        endedBy: 'expiry',
        keptUntil: '2031-07-15',
        provisional: false,
        lapsed: false,
        label: '至 2031-07-15（公示截止 2026-07-15 后 5 年）',
      },
    });
    expect(records.get(repaired)?.disclosure).toMatchObject({
      state: 'repaired',
      retention: {
        countedFrom: today,
        endedBy: 'repair',
        keptUntil: periodEnd(today, 60),
        provisional: false,
      },
    });
    // Same entry, same day, its own version's rule: v4 keeps permanently.
    expect(records.get(permanent)?.disclosure).toMatchObject({
      state: 'expired',
      retention: { kind: 'permanent', label: '长期保存' },
    });
    // The shape `record --json` gives.
    const record = await cli(['record', String(expired), '--json']);
    expect(record.code, record.stderr).toBe(0);
    expect(records.get(expired)?.disclosure?.retention).toEqual(
      JSON.parse(record.stdout).disclosure.retention,
    );

    const printed = await text();
    expect(printed).toContain('retention (保存期限)');
    expect(printed).toContain('至 2031-07-15（公示截止 2026-07-15 后 5 年）');
    expect(printed).toContain(`至 ${periodEnd(today, 60)}（${today} 信用修复停止公示后 5 年）`);
    expect(printed).toContain('长期保存');
    expect(count(printed, RETENTION_NOTE)).toBe(1);
  });

  it('--as-of a past day: the 保存期限 of that day (before the repair: provisional, from the period end)', async () => {
    const expired = await idOf('鲁济市监罚〔2026〕7201号');
    const repaired = await idOf('鲁济市监罚〔2026〕7202号');
    const records = await archive(yesterday);
    // The record delivered today was not in the warehouse yet.
    expect([...records.keys()].sort((a, b) => a - b)).toEqual([expired, repaired]);
    expect(records.get(repaired)?.disclosure).toMatchObject({
      state: 'disclosed',
      retention: {
        countedFrom: shownUntil,
        endedBy: 'expiry',
        keptUntil: periodEnd(shownUntil, 60),
        provisional: true,
      },
    });
    expect(records.get(expired)?.disclosure?.retention).toMatchObject({ keptUntil: '2031-07-15' });
    const printed = await text(yesterday);
    expect(printed).toContain(
      `暂至 ${periodEnd(shownUntil, 60)}（公示截止 ${shownUntil} 后 5 年，提前停止公示则相应提前）`,
    );
    expect(printed).toContain(`retention (保存期限) on ${yesterday}: ${RETENTION_NOTE}`);
  });

  it('the console subject page: a 保存期限 column of the day, the note once', async () => {
    const expired = await idOf('鲁济市监罚〔2026〕7201号');
    const viewer = await cx.http('viewer');
    const response = await viewer.get(`/subjects/r${expired}`);
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain(`保存期限（${today}）`);
    expect(page).toContain('至 2031-07-15（公示截止 2026-07-15 后 5 年）');
    expect(page).toContain(`至 ${periodEnd(today, 60)}（${today} 信用修复停止公示后 5 年）`);
    expect(page).toContain('长期保存');
    expect(count(page, RETENTION_NOTE)).toBe(1);
  });
});
