import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { type Catalog, loadCatalog } from '../src/catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { recordBody } from '../src/console/views/records-body.ts';
import { periodEnd } from '../src/disclosure/civil-dates.ts';
import { RETENTION_NOTE } from '../src/disclosure/record-retention.ts';
import { recordDetails } from '../src/records/record-details.ts';
import { catalogCli, REPAIR_GROUNDS, recordIdOf } from './support/fixture-cli.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

/**
 * 保存期限 shown with a record's disclosure state: `record` text and --json (also --as-of) and the console's record
 * page. Every shipped entry keeps its records permanently, so a copy of catalog/ keeps 行政处罚 (xzcf v3) 5 years
 * after disclosure ends, from the first delivery on.
 */
const today = todayInShanghai();
const yesterday = dayBefore(today);
const decided = periodEnd(today, -5);
const shownUntil = periodEnd(decided, 12);

function dayBefore(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

describe('record: 保存期限 (retention) beside the disclosure state', { timeout: 300_000 }, () => {
  let fx: WarehouseFixture;
  let catalogDir: string;
  let catalog: Catalog;
  const rows = basePenalties(4, 2031);
  const penalty = (i: number, decision: string, category: string, decidedOn: string, until = '') =>
    edit(rows[i] as PenaltyRow, {
      行政处罚决定书文号: decision,
      处罚类别: category,
      处罚决定日期: decidedOn,
      公示截止期: until,
    });
  const cli = catalogCli(
    () => fx,
    () => catalogDir,
  );
  const idOf = (decision: string) => recordIdOf(fx, decision);
  const shown = async (id: number, asOf?: string) => {
    const done = await cli(['record', String(id), ...(asOf ? ['--as-of', asOf] : []), '--json']);
    expect(done.code, done.stderr).toBe(0);
    return JSON.parse(done.stdout).disclosure;
  };
  const text = async (id: number, asOf?: string) => {
    const done = await cli(['record', String(id), ...(asOf ? ['--as-of', asOf] : [])]);
    expect(done.code, done.stderr).toBe(0);
    return done.stdout;
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('record_retention');
    catalogDir = path.join(fx.scratch, 'catalog');
    cpSync(path.join(PROJECT_ROOT, 'catalog'), catalogDir, { recursive: true });
    const file = path.join(catalogDir, 'xzcf.v3.json');
    const entry = JSON.parse(readFileSync(file, 'utf8'));
    entry.disclosure.retention = { years: 5 };
    writeFileSync(file, JSON.stringify(entry, null, 2));
    catalog = await loadCatalog(catalogDir);
    const summary = await fx.ingest(
      [
        writeRows(fx.scratch, 'r.csv', [
          penalty(0, '鲁济市监罚〔2026〕7101号', '没收违法所得', '2026-01-15', '2026-07-15'),
          penalty(1, '鲁济市监罚〔2026〕7102号', '没收违法所得', decided),
          penalty(2, '鲁济市监罚〔2026〕7103号', '警告', decided),
        ]),
      ],
      { catalogs: catalog },
    );
    expect(summary.counts.inserted).toBe(3);
    expect(
      await fx.warehouse('record_versions').distinct('catalog_version').pluck('catalog_version'),
    ).toEqual([3]);
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica'); // triggers off: delivered two days ago
      await trx.raw(`UPDATE record_versions SET created_at = created_at - interval '2 days'`);
    });
    const repaired = await cli(['repair', String(await idOf('鲁济市监罚〔2026〕7102号')), ...REPAIR_GROUNDS]);
    expect(repaired.code, repaired.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => fx?.close());

  it('disclosure ended (公示期满): kept until 5 years after its last day, in --json and the text', async () => {
    const id = await idOf('鲁济市监罚〔2026〕7101号');
    expect(await shown(id)).toMatchObject({
      state: 'expired',
      retention: {
        kind: 'years',
        years: 5,
        countedFrom: '2026-07-15',
        endedBy: 'expiry',
        keptUntil: '2031-07-15',
        provisional: false,
      },
    });
    const printed = await text(id);
    expect(printed).toContain('retention (保存期限): 至 2031-07-15（公示截止 2026-07-15 后 5 年）');
    expect(printed).toContain(RETENTION_NOTE);
  });

  it('--as-of: still shown the day before the repair (provisional, from the period end), from the repair today', async () => {
    const id = await idOf('鲁济市监罚〔2026〕7102号');
    expect(await shown(id, yesterday)).toMatchObject({
      state: 'disclosed',
      until: shownUntil,
      retention: { countedFrom: shownUntil, keptUntil: periodEnd(shownUntil, 60), provisional: true },
    });
    expect(await text(id, yesterday)).toContain(
      `retention (保存期限): 暂至 ${periodEnd(shownUntil, 60)}（公示截止 ${shownUntil} 后 5 年，提前停止公示则相应提前）`,
    );
    expect(await shown(id)).toMatchObject({
      state: 'repaired',
      retention: {
        countedFrom: today,
        endedBy: 'repair',
        keptUntil: periodEnd(today, 60),
        provisional: false,
      },
    });
    expect(await text(id)).toContain(
      `retention (保存期限): 至 ${periodEnd(today, 60)}（${today} 信用修复停止公示后 5 年）`,
    );
  });

  it('never shown (轻微, no 公示截止期): no disclosure end, so no day; not counted from the decision date', async () => {
    const id = await idOf('鲁济市监罚〔2026〕7103号');
    expect(await shown(id)).toMatchObject({
      state: 'not-disclosed',
      reason: 'minor',
      retention: { kind: 'years', countedFrom: null, keptUntil: null },
    });
    expect(await text(id)).toContain(
      'retention (保存期限): 公示结束后 5 年，届满日未定（轻微失信信息未公示，无公示截止日）',
    );
  });

  it('the console record page shows it with the note that nothing is deleted; a shipped entry: 长期保存', async () => {
    const page = async (id: number, of: Catalog) => {
      const details = await recordDetails(fx.warehouse, of, id, today);
      if (!details) throw new Error(`record ${id} not found`);
      return String(
        recordBody({
          ...details,
          label: (code) => code,
          text: (value) => value,
          unmasked: false,
          unmaskSwitch: '',
        }),
      );
    };
    const id = await idOf('鲁济市监罚〔2026〕7101号');
    const html = await page(id, catalog);
    expect(html).toContain('<p class="retention">保存期限：至 2031-07-15（公示截止 2026-07-15 后 5 年）');
    expect(html).toContain(RETENTION_NOTE);
    // The shipped catalog's xzcf v3 keeps its records permanently.
    expect(await page(id, fx.catalog)).toContain('<p class="retention">保存期限：长期保存');
  });
});
