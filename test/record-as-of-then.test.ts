import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { periodEnd } from '../src/disclosure/civil-dates.ts';
import { correctRecord, withdrawRecord } from '../src/procedures/legal-procedures.ts';
import { laterThanDayCounts } from '../src/records/later-than-day.ts';
import { fixtureCli, recordIdOf } from './support/fixture-cli.ts';
import { naturalPersonCells } from './support/natural-person.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { setBackRecentDeliveries } from './support/set-back-stamps.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PERSON_ID = '371102197906124048';
const DECISION = '鲁济市监罚〔2026〕6101号';
const GROUNDS = { basis: '鲁济市监撤〔2026〕11号', reason: '依法办理', operator: '王科员' };
const today = todayInShanghai();
const daysBefore = (n: number) => {
  const date = new Date(`${today}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - n);
  return date.toISOString().slice(0, 10);
};

/**
 * `record --as-of` a past day shows the record as the platform held and showed it at that day's end (Asia/Shanghai),
 * through the real CLI on real PostgreSQL. A person's penalty delivered three days ago (fine 1.5), re-delivered with
 * fine 2 two days ago, re-delivered unchanged today, then corrected (fine 3) and withdrawn today. A test cannot wait
 * three days: the rows of the first two deliveries (versions, lineage, files) are set back behind the engine's back,
 * as the database's own stamps they are.
 */
describe('record --as-of a past day: the record as it stood then (real CLI, real PostgreSQL)', () => {
  let fx: WarehouseFixture;
  let id: number;
  const { cli, json } = fixtureCli(() => fx);
  const row = (fine: string): PenaltyRow =>
    edit(basePenalties(1, 2026)[0]!, {
      ...naturalPersonCells('张某', PERSON_ID),
      行政处罚决定书文号: DECISION,
      处罚类别: '罚款',
      '罚款金额（万元）': fine,
      处罚决定日期: periodEnd(today, -3),
      公示截止期: '',
    });
  const setBack = (days: number) => setBackRecentDeliveries(fx.owner, days);
  const page = async (...args: string[]) => {
    const text = await cli(['record', String(id), ...args]);
    expect(text.code, text.stderr).toBe(0);
    const view = await json(['record', String(id), ...args]);
    for (const shown of [text.stdout, JSON.stringify(view)]) expect(shown).not.toContain(PERSON_ID);
    return { text: text.stdout, view };
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('record_as_of_then');
    expect((await fx.ingest([writeRows(fx.scratch, 'first.csv', [row('1.5')])])).counts.inserted).toBe(1);
    await setBack(3);
    expect((await fx.ingest([writeRows(fx.scratch, 'update.csv', [row('2')])])).counts.updated).toBe(1);
    await setBack(2);
    // Another record beside it: a file of the same bytes as update.csv would be skipped as already loaded.
    const other = edit(basePenalties(2, 2026)[1]!, { 行政处罚决定书文号: '鲁济市监罚〔2026〕6102号' });
    expect((await fx.ingest([writeRows(fx.scratch, 'again.csv', [row('2'), other])])).counts.unchanged).toBe(
      1,
    );
    id = await recordIdOf(fx, DECISION);
    await correctRecord(fx.warehouse, fx.catalog, id, ['罚款金额（万元）=3'], GROUNDS);
    await withdrawRecord(fx.warehouse, id, GROUNDS);
  }, 120_000);
  afterAll(async () => fx?.close());

  it('the day of delivery: version 1 with its values, current, disclosed, nothing later listed but counted', async () => {
    const { text, view } = await page('--as-of', daysBefore(3));
    expect(view.status).toBe('current');
    expect(view.retiredBy).toBeNull();
    expect(view.current).toMatchObject({ versionNo: 1, data: { CF_NR_FK: 1.5 } });
    expect(view.versions.map((v: { versionNo: number }) => v.versionNo)).toEqual([1]);
    expect(view.procedures).toEqual([]);
    expect(view.history.map((e: { event: string }) => e.event)).toEqual(['version']);
    expect(view.lineage.map((s: { fileName: string }) => s.fileName)).toEqual(['first.csv']);
    expect(view.deliveries.map((c: { files: number }) => c.files)).toEqual([1]);
    expect(view.disclosure).toMatchObject({ state: 'disclosed', asOf: daysBefore(3) });
    expect(view.asOf).toEqual({
      day: daysBefore(3),
      recorded: true,
      later: {
        versions: 2,
        lineage: view.asOf.later.lineage,
        redeliveries: view.asOf.later.redeliveries,
        procedures: 2,
      },
    });
    // update.csv's row, and today's unchanged one: a lineage row or counted compactly, either way later.
    expect(view.asOf.later.lineage + view.asOf.later.redeliveries).toBe(2);
    expect(text).toContain(
      `as it stood at the end of ${daysBefore(3)} (Asia/Shanghai); not shown: 2 later versions`,
    );
    expect(text).toContain(`2 later legal procedures (\`record ${id}\` without --as-of shows them)`);
    expect(text).toContain('version 1 of 1');
    expect(text).toContain('current version v1');
    expect(text).not.toMatch(/WITHDRAWN|procedure #|update\.csv|again\.csv/);
  });

  it('the day of the re-delivery: version 2, still current; the day before yesterday too', async () => {
    for (const day of [daysBefore(2), daysBefore(1)]) {
      const { text, view } = await page('--as-of', day);
      expect(view.status).toBe('current');
      expect(view.current).toMatchObject({ versionNo: 2, data: { CF_NR_FK: 2 } });
      expect(view.versions.map((v: { versionNo: number }) => v.versionNo)).toEqual([1, 2]);
      expect(view.procedures).toEqual([]);
      expect(view.asOf.later).toMatchObject({ versions: 1, procedures: 2 });
      expect(text).toContain('current version v2');
      expect(text).not.toMatch(/WITHDRAWN|procedure #|again\.csv/);
    }
  });

  it('without --as-of (and on today): the record as it is now, withdrawn, every version and procedure', async () => {
    for (const args of [[], ['--as-of', today]]) {
      const { text, view } = await page(...args);
      expect(view.status).toBe('withdrawn');
      expect(view.current).toMatchObject({ versionNo: 3, data: { CF_NR_FK: 3 } });
      expect(view.procedures).toHaveLength(2);
      expect(view.asOf).toBeUndefined();
      expect(text).toContain('WITHDRAWN');
      expect(text).not.toContain('as it stood at the end of');
    }
  });

  it('a day before the record was delivered: says it was not in the warehouse then, exit 0, nothing of it shown', async () => {
    const { text, view } = await page('--as-of', daysBefore(4));
    expect(view).toMatchObject({
      id,
      catalogCode: 'xzcf',
      asOf: { day: daysBefore(4), recorded: false },
      disclosure: { state: 'not-disclosed', reason: 'not-recorded', label: '不公示：当日尚无此记录' },
    });
    // Nothing of it: no version, and no disclosure period or 保存期限, which would be a later version's.
    expect(view.current).toBeUndefined();
    expect(view.disclosure.period).toBeUndefined();
    expect(view.disclosure.retention).toBeUndefined();
    expect(text).toContain(`record ${id} · `);
    expect(text).toContain(`not in the warehouse at the end of ${daysBefore(4)} (Asia/Shanghai)`);
    expect(text).toContain(`\`record ${id}\` without --as-of shows it as it is now`);
    expect(text).not.toMatch(/张某|current version|lineage|history/);
  });
});

describe('what came later, the one list `record --as-of` and the console banner render', () => {
  it('[count, kind] in order, kinds of which nothing came left out', () => {
    expect(laterThanDayCounts({ versions: 1, lineage: 0, redeliveries: 2, procedures: 1 })).toEqual([
      [1, 'versions'],
      [2, 'redeliveries'],
      [1, 'procedures'],
    ]);
    expect(laterThanDayCounts({ versions: 0, lineage: 0, redeliveries: 0, procedures: 0 })).toEqual([]);
  });
});
