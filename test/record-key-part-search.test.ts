import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRecordRows } from '../src/warehouse/records-repository.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const USCC_COLUMN = '行政相对人代码_1(统一社会信用代码)';
const REG_NUMBER_COLUMN = '行政相对人代码_2(工商注册号)';
const PLACEHOLDER_USCC = '00000000000000000X';
const SOLE_TRADER_REG_NUMBER = '440301103448669';

/**
 * A record found by one part of its key (`credit-etl record`, the console's search) through the GIN index of
 * 029, which leaves out each record's subject code and its empty parts: every part finds exactly the records
 * whose key holds it, as a scan of every key would.
 */
describe('a record found by one part of its key (029)', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(60, 29);
  const cases: PenaltyRow[] = [
    ...rows,
    // A sole trader filed under its 工商注册号, which is no part of its key.
    edit(rows[1]!, {
      行政相对人类别: '个体工商户',
      [USCC_COLUMN]: PLACEHOLDER_USCC,
      [REG_NUMBER_COLUMN]: SOLE_TRADER_REG_NUMBER,
      行政处罚决定书文号: '济市监罚〔2026〕乙-1号',
    }),
  ];

  beforeAll(async () => {
    fx = await openWarehouseFixture('key_part_search');
    const summary = await fx.ingest([writeRows(fx.scratch, 'parts.csv', cases)]);
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([]);
    expect(summary.counts).toMatchObject({ read: cases.length, inserted: cases.length });
  });
  afterAll(async () => fx?.close());

  /** What a scan of every stored key finds for a part: the records whose key holds it, first 50 by id. */
  const scanned = async (part: string): Promise<number[]> => {
    const { rows: found } = await fx.owner.raw<{ rows: { id: string }[] }>(
      `SELECT id FROM records WHERE ? = ANY (string_to_array(business_key, E'\\x1f')) ORDER BY id LIMIT 50`,
      [part],
    );
    return found.map((row) => Number(row.id));
  };
  const searched = async (part: string): Promise<number[]> =>
    (await findRecordRows(fx.warehouse, { keyPart: part })).map((record) => Number(record.id));

  it('finds by every part of every key what a scan of the keys finds', async () => {
    const { rows: keys } = await fx.owner.raw<{ rows: { part: string }[] }>(
      `SELECT DISTINCT part FROM records, unnest(string_to_array(business_key, E'\\x1f')) AS part WHERE part <> ''`,
    );
    // The deciding authorities, decision numbers, USCCs and ID numbers: over a hundred parts.
    expect(keys.length).toBeGreaterThan(120);
    for (const { part } of keys) expect([part, await searched(part)]).toEqual([part, await scanned(part)]);
  });

  it('finds a subject code that is a key part, and not one that is not', async () => {
    // Every tenth generated row from the eighth is a natural person: the ID number is the subject and a key part.
    const person = rows[7]!.证件号码!;
    const { rows: subjects } = await fx.owner.raw<{ rows: { id: string; subject_code: string }[] }>(
      `SELECT id, subject_code FROM records WHERE subject_code IN (?, ?) ORDER BY subject_code`,
      [person, SOLE_TRADER_REG_NUMBER],
    );
    const [ofPerson, ofSoleTrader] = [person, SOLE_TRADER_REG_NUMBER].map((code) =>
      Number(subjects.find((record) => record.subject_code === code)?.id),
    );
    expect(await searched(person)).toEqual([ofPerson]);
    // The sole trader's key holds the placeholder in its USCC column, a part that is not its subject code.
    expect(await searched(PLACEHOLDER_USCC)).toEqual([ofSoleTrader]);
    // Its subject code, the 工商注册号, is no part of its key: a key part search does not find it.
    expect(await searched(SOLE_TRADER_REG_NUMBER)).toEqual([]);
    expect(await scanned(SOLE_TRADER_REG_NUMBER)).toEqual([]);
  });

  it('finds nothing for an empty part, which every company key holds', async () => {
    expect((await scanned('')).length).toBeGreaterThan(0);
    expect(await searched('')).toEqual([]);
  });

  it('is answered by the GIN index and the subject index, not a scan', async () => {
    // The search's own statement as the repository sends it (placeholders `$1`… in order), explained with scans made the planner's last resort.
    const sent: { sql: string; bindings: (string | number)[] }[] = [];
    const listen = (query: { sql: string; bindings: (string | number)[] }) => sent.push(query);
    fx.warehouse.on('query', listen);
    await searched(rows[7]!.证件号码!).finally(() => fx.warehouse.off('query', listen));
    const [search] = sent;
    const plan = await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL enable_seqscan = off');
      const { rows: lines } = await trx.raw(
        `EXPLAIN ${search!.sql.replace(/\$\d+/g, '?')}`,
        search!.bindings,
      );
      return lines.map((line: { 'QUERY PLAN': string }) => line['QUERY PLAN']).join('\n');
    });
    expect(sent).toHaveLength(1);
    expect(plan).toContain('Bitmap Index Scan on records_key_parts');
    expect(plan).toContain('Bitmap Index Scan on records_subject');
  });
});
