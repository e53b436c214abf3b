import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayInShanghai } from '../connectors/shanghai-time.ts';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { AS_OF } from '../src/warehouse/as-of-bound.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { fixtureCli, recordIdOf } from './support/fixture-cli.ts';
import { naturalPersonCells } from './support/natural-person.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const RECEIVED = new Date('2026-11-20T10:00:00+08:00');
const CITY = { level: 'city', provider: '11370100MB1234567X', receivedAt: RECEIVED } as const;
const PROVINCE = { level: 'province', provider: '113700000000000000', receivedAt: RECEIVED } as const;
const SOFT_DELETE = { softDelete: { column: 'del_flag', values: ['1'] } };
const PERSON_ID = '371102197906124048';

/**
 * A company's and a person's penalty, delivered by the city and by the province; then the city asks to withdraw
 * both (del_flag=1, rows 2 and 3 of city-withdraws.csv), and is refused. The rows, company first.
 */
async function cityAsksToWithdrawWhatTheProvinceDelivers(fx: WarehouseFixture): Promise<PenaltyRow[]> {
  const [company, person] = basePenalties(2, 17);
  const rows = [company!, edit(person!, naturalPersonCells('张某', PERSON_ID))];
  await fx.ingest([writeRows(fx.scratch, 'city.csv', rows)], CITY);
  await fx.ingest([writeRows(fx.scratch, 'province.csv', rows)], PROVINCE);
  const flagged = writeRows(
    fx.scratch,
    'city-withdraws.csv',
    rows.map((row) => ({ ...row, del_flag: '1' })),
    [...PENALTY_HEADER, 'del_flag'],
  );
  const refused = await fx.ingest([flagged], { ...CITY, withdrawals: SOFT_DELETE });
  expect(refused.errorsByCode).toEqual({ 'withdrawal-not-provider-record': 2 });
  return rows;
}

/*
 * 省市互补: the province delivers what the city delivers too, so the city may not withdraw it. Its request is
 * refused (`withdrawal-not-provider-record`), the record stays current, and `credit-etl record` (text and --json,
 * through the real CLI on real PostgreSQL) lists the refused request with its provider, level, file, row, signal
 * and code: what an officer must see, since the decision may have been revoked at the city.
 */
describe('record: withdrawal requests refused (real CLI, real PostgreSQL)', () => {
  let fx: WarehouseFixture;
  const { cli, json } = fixtureCli(() => fx);
  let rows: PenaltyRow[];

  beforeAll(async () => {
    fx = await openWarehouseFixture('record_refused_withdrawals');
    rows = await cityAsksToWithdrawWhatTheProvinceDelivers(fx);
  });
  afterAll(async () => fx?.close());

  it('lists the refused request of a province-delivered record: provider, level, file, row, signal, code', async () => {
    const id = await recordIdOf(fx, rows[0]!.行政处罚决定书文号!);
    const text = await cli(['record', String(id)]);
    expect(text.code, text.stderr).toBe(0);
    const section = text.stdout.slice(text.stdout.indexOf('withdrawal requests refused'));
    expect(section).toMatch(/^withdrawal requests refused \(a provider asked/);
    const line = section.split('\n').find((one) => one.includes('city-withdraws.csv'));
    expect(line).toBeDefined();
    for (const shown of [CITY.provider, 'city', 'del_flag=1', 'withdrawal-not-provider-record'])
      expect(line).toContain(shown);
    expect(line).toMatch(/city-withdraws\.csv\s*│?\s*2\b/);
    const view = await json(['record', String(id)]);
    expect(view.status).toBe('current');
    expect(view.refusedWithdrawals).toEqual([
      expect.objectContaining({
        providerCode: CITY.provider,
        level: 'city',
        fileName: 'city-withdraws.csv',
        rowNumber: 2,
        signal: 'del_flag=1',
        code: 'withdrawal-not-provider-record',
        message: expect.stringContaining(`记录 ${id}`),
      }),
    ]);
    expect(new Date(view.refusedWithdrawals[0].refusedAt).getTime()).not.toBeNaN();
  });

  it("a person's record: the request is listed, the resident ID never shown in clear", async () => {
    const id = await recordIdOf(fx, rows[1]!.行政处罚决定书文号!);
    const text = await cli(['record', String(id)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/city-withdraws\.csv.*\b3\b.*del_flag=1.*withdrawal-not-provider-record/);
    const view = await json(['record', String(id)]);
    expect(view.refusedWithdrawals).toEqual([
      expect.objectContaining({ rowNumber: 3, code: 'withdrawal-not-provider-record' }),
    ]);
    expect(text.stdout + JSON.stringify(view)).not.toContain(PERSON_ID);
  });

  it('a record nobody asked to withdraw says none', async () => {
    const other = edit(basePenalties(1, 29)[0]!, { 行政处罚决定书文号: '济市监罚〔2026〕901号' });
    await fx.ingest([writeRows(fx.scratch, 'city-more.csv', [other])], CITY);
    const id = await recordIdOf(fx, other.行政处罚决定书文号!);
    expect((await cli(['record', String(id)])).stdout).toContain('withdrawal requests refused: none');
    expect((await json(['record', String(id)])).refusedWithdrawals).toEqual([]);
  });

  it('finds the requests through the partial index, not by scanning rejections, for a past day too', async () => {
    // The repository's WHERE (refused-withdrawals-repository.ts); a table this small is scanned unless told not to.
    for (const day of [null, '2026-11-20']) {
      const plan = await fx.owner.transaction(async (trx) => {
        await trx.raw('SET LOCAL enable_seqscan = off');
        const explained = await trx.raw<{ rows: Array<{ 'QUERY PLAN': string }> }>(
          `EXPLAIN ${AS_OF}
           SELECT j.id FROM rejections j CROSS JOIN as_of
           WHERE j.errors -> 0 ->> 'code' IN ('withdrawal-not-provider-record', 'withdrawal-with-data')
             AND j.errors -> 0 -> 'record' = to_jsonb(CAST(1 AS bigint))
             AND (as_of.bound IS NULL OR j.created_at < as_of.bound)`,
          [day],
        );
        return explained.rows;
      });
      expect(plan.map((row) => row['QUERY PLAN']).join('\n'), String(day)).toContain(
        'rejections_withdrawal_record',
      );
    }
  });

  it('--as-of a past day lists only the requests refused by its end (Asia/Shanghai), in text and --json', async () => {
    const [company, person] = await Promise.all(rows.map((row) => recordIdOf(fx, row.行政处罚决定书文号!)));
    // The person's request refused in the last second of 20 November in Shanghai; the company's today. Both
    // records were in the warehouse from 19 November on (a past day shows a record only once it was).
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica'); // triggers off: rejections are append-only
      await trx('record_versions')
        .whereIn('record_id', [company!, person!])
        .update({ created_at: new Date('2026-11-19T12:00:00+08:00') });
      await trx('rejections')
        .whereRaw(`errors -> 0 -> 'record' = to_jsonb(CAST(? AS bigint))`, [person!])
        .update({ created_at: new Date('2026-11-20T23:59:59+08:00') });
    });
    const listed = async (id: number, ...asOf: string[]) => {
      const text = await cli(['record', String(id), ...asOf]);
      expect(text.code, text.stderr).toBe(0);
      const view = await json(['record', String(id), ...asOf]);
      const none = text.stdout.includes('withdrawal requests refused: none');
      expect(none, `${id} ${asOf}: text and --json agree`).toBe(view.refusedWithdrawals.length === 0);
      return view.refusedWithdrawals.map((refused: { rowNumber: number }) => refused.rowNumber);
    };
    expect(await listed(person!, '--as-of', '2026-11-20')).toEqual([3]);
    expect(await listed(person!, '--as-of', '2026-11-19')).toEqual([]);
    expect(await listed(person!)).toEqual([3]);
    expect(await listed(company!, '--as-of', '2026-11-20')).toEqual([]);
    expect(await listed(company!, '--as-of', todayInShanghai())).toEqual([2]);
    expect(await listed(company!)).toEqual([2]);
  });
});

describe("the console's record page: withdrawal requests refused (real PostgreSQL)", () => {
  let site: ConsoleFixture;
  let rows: PenaltyRow[];
  beforeAll(async () => {
    site = await openConsoleFixture('console_refused_withdrawals', { browser: false });
    rows = await cityAsksToWithdrawWhatTheProvinceDelivers(site.fx);
  });
  afterAll(async () => site?.close());

  it("lists the person's record's refused request, the resident ID masked", async () => {
    const id = await recordIdOf(site.fx, rows[1]!.行政处罚决定书文号!);
    const page = await (await site.http('viewer')).get(`/records/${id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const table = html.slice(html.indexOf('id="refused-withdrawals"'));
    expect(table).toMatch(/city-withdraws\.csv 第 3 行/);
    expect(table).toContain('del_flag=1');
    expect(table).toContain('withdrawal-not-provider-record');
    expect(html).not.toContain(PERSON_ID);
  });
});
