import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { periodEnd } from '../src/disclosure/civil-dates.ts';
import { correctRecord, withdrawRecord } from '../src/procedures/legal-procedures.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { recordIdOf } from './support/fixture-cli.ts';
import { naturalPersonCells } from './support/natural-person.ts';
import { basePenalties, edit, writeRows } from './support/penalty-variants.ts';
import { setBackRecentDeliveries } from './support/set-back-stamps.ts';

const PERSON_ID = '371102197906124048';
const DECISION = '鲁济市监罚〔2026〕6201号';
const GROUNDS = { basis: '鲁济市监撤〔2026〕21号', reason: '依法办理', operator: '王科员' };
const today = todayInShanghai();
const daysFrom = (n: number) => {
  const date = new Date(`${today}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
};

/**
 * The console's record page of a past day (`/records/<id>?asOf=YYYY-MM-DD`), over real HTTP on real PostgreSQL: a
 * person's penalty delivered three days ago (fine 1.5), corrected (fine 3) and withdrawn today. The first delivery's
 * rows are set back three days behind the engine's back, as the database's own stamps they are (as
 * record-as-of-then.test.ts does for `record --as-of`).
 */
describe('console record page ?asOf= a past day (real console, real PostgreSQL)', () => {
  let cx: ConsoleFixture;
  let id: number;

  const pageOf = async (target: string, status = 200) => {
    const response = await (await cx.http('viewer')).get(target);
    const text = await response.text();
    expect(response.status, target).toBe(status);
    expect(text, target).not.toContain(PERSON_ID);
    return text;
  };

  beforeAll(async () => {
    cx = await openConsoleFixture('console_record_as_of', { browser: false });
    const { fx } = cx;
    const row = edit(basePenalties(1, 2026)[0]!, {
      ...naturalPersonCells('张某', PERSON_ID),
      行政处罚决定书文号: DECISION,
      处罚类别: '罚款',
      '罚款金额（万元）': '1.5',
      处罚决定日期: periodEnd(today, -3),
      公示截止期: '',
    });
    expect((await fx.ingest([writeRows(fx.scratch, 'first.csv', [row])])).counts.inserted).toBe(1);
    await setBackRecentDeliveries(fx.owner, 3);
    id = await recordIdOf(fx, DECISION);
    await correctRecord(fx.warehouse, fx.catalog, id, ['罚款金额（万元）=3'], GROUNDS);
    await withdrawRecord(fx.warehouse, id, GROUNDS);
  }, 120_000);
  afterAll(async () => cx?.close());

  it('the day of delivery: version 1 with its values, current, and a banner counting what came later', async () => {
    const page = await pageOf(`/records/${id}?asOf=${daysFrom(-3)}`);
    expect(page).toContain('<span class="value" data-field="CF_NR_FK">1.5</span>');
    expect(page).toContain('现行 · 第 1 版，共 1 版');
    expect(page).not.toContain('已撤回');
    expect(page).toContain(
      `本页为记录 ${id} 在 ${daysFrom(-3)} 日终（北京时间）的状态：当日的版本、状态、历史、来源和公示状态；此后新增的 1 个版本`,
    );
    expect(page).toContain('2 项法定程序未在本页显示。');
    expect(page).toContain(`<a href="/records/${id}" id="as-of-today">查看当前状态</a>`);
    expect(page).toContain(`<input type="date" name="asOf" value="${daysFrom(-3)}">`);
    expect(page).toContain(`<h1>记录 ${id} · 行政处罚（${daysFrom(-3)} 日终）</h1>`);
  });

  it('today, a later day and no day: today’s page, withdrawn, version 2 (the correction), no banner, the day form', async () => {
    for (const query of ['', `?asOf=${today}`, `?asOf=${daysFrom(5)}`, '?asOf=']) {
      const page = await pageOf(`/records/${id}${query}`);
      expect(page, query).toContain('<span class="value" data-field="CF_NR_FK">3</span>');
      expect(page, query).toContain('已撤回 · 第 2 版，共 2 版');
      expect(page, query).not.toContain('as-of-banner');
      expect(page, query).toContain('<form class="filters" method="get" action="/records/');
      expect(page, query).toContain('查看某日状态');
    }
  });

  it('a day before the delivery: says the record was not in the warehouse then (200), nothing of it shown', async () => {
    const page = await pageOf(`/records/${id}?asOf=${daysFrom(-4)}`);
    expect(page).toContain(`记录 ${id}（`);
    expect(page).toContain(`在 ${daysFrom(-4)} 日终（北京时间）尚未入库：其首个版本写入于 `);
    expect(page).toContain('不公示：当日尚无此记录');
    expect(page).toContain(`<a href="/records/${id}" id="as-of-today">查看当前状态</a>`);
    expect(page).not.toMatch(/张某|data-field=|current-version|id="lineage"|已撤回/);
  });

  it('a day that is not one: a 400 in Chinese naming the value, an ID number typed there masked', async () => {
    for (const [typed, named] of [
      ['2026-02-30', '2026-02-30'],
      ['yesterday', 'yesterday'],
      ['%3Cb%3E', '&lt;b&gt;'],
      [PERSON_ID, '3711**********4048'],
    ]) {
      const page = await pageOf(`/records/${id}?asOf=${typed}`, 400);
      expect(page, typed).toContain(
        `查看日期 ${named} 不是有效日期（请填写实际存在的日期，格式 YYYY-MM-DD）`,
      );
      expect(page, typed).not.toContain('<b>');
    }
  });

  it('an auditor unmasks a past day’s page: the form posts to it with the day, the view is that day’s', async () => {
    const auditor = await cx.http('auditor');
    const target = `/records/${id}?asOf=${daysFrom(-3)}`;
    const masked = await (await auditor.get(target)).text();
    expect(masked).not.toContain(PERSON_ID);
    expect(masked).toContain(`<form method="post" action="${target}" id="unmask-form"`);
    const unmasked = await (await auditor.post(target, { unmask: '1', reason: '复核异议申请' })).text();
    expect(unmasked).toContain(PERSON_ID);
    expect(unmasked).toContain('<span class="value" data-field="CF_NR_FK">1.5</span>');
    expect(unmasked).toContain('id="as-of-banner"');
    const [view] = await cx.fx.owner('unmask_views').orderBy('id', 'desc').limit(1).select('what');
    expect(view.what).toBe(`记录 ${id}（${daysFrom(-3)} 日终状态）`);
  });

  it('an unmask posted for a day before the delivery: the not-yet page, nothing personal, no unmasked view logged', async () => {
    const auditor = await cx.http('auditor');
    const target = `/records/${id}?asOf=${daysFrom(-4)}`;
    const views = async () => Number((await cx.fx.owner('unmask_views').count({ n: '*' }))[0]!.n);
    const before = await views();
    const response = await auditor.post(target, { unmask: '1', reason: '复核异议申请' });
    const page = await response.text();
    expect(response.status).toBe(200);
    expect(page).toContain(`在 ${daysFrom(-4)} 日终（北京时间）尚未入库`);
    expect(page).not.toContain(PERSON_ID);
    expect(page).not.toMatch(/张某|data-field=|正在显示完整证件号码|本次查看已记录/);
    expect(await views()).toBe(before);
    // The same form on a day the record was there is logged, as before.
    await auditor.post(`/records/${id}?asOf=${daysFrom(-3)}`, { unmask: '1', reason: '复核异议申请' });
    expect(await views()).toBe(before + 1);
  });
});
