import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotice } from '../src/report/notices.ts';
import { noticeRowStates, noticeTallies } from '../src/warehouse/notices-repository.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const PROVIDER = '113700000000000000';
const DOC_NO = '行政处罚决定书文号';

/*
 * A notice row is corrected by a later delivery of its key, whichever path loaded it: a re-delivery of a standing
 * record, unchanged, is counted in its file's summary (017-compact-lineage, and the fast path by fingerprint)
 * instead of a lineage row, and the notice must read it as delivered all the same (delivered_records).
 */
describe('a notice row corrected by a compacted re-delivery', () => {
  let fx: WarehouseFixture;
  let n = 0;
  const file = (rows: PenaltyRow[]) => writeRows(fx.scratch, `delivery-${++n}.csv`, rows);
  beforeAll(async () => {
    fx = await openWarehouseFixture('notice_corrected_compact');
  });
  afterAll(async () => fx?.close());

  it('reads the row corrected when the corrected file re-delivers its record through the fast path', async () => {
    const rows = basePenalties(20);
    await fx.ingest([file(rows)]);
    // The night's file repeats record 3 with other content (rejected: duplicate-key-in-batch, full key) and sends
    // record 5 once more without its decision number (rejected: no full key, matched on its usable key fields).
    // Records 3 and 5 are still delivered by their own rows, so they stand in the channel's run.
    const faulty = await fx.ingest([
      file([...rows, edit(rows[3]!, { 备注: '重复行' }), edit(rows[5]!, { [DOC_NO]: '' })]),
    ]);
    expect(faulty.counts).toMatchObject({ rejected: 2 });
    const notice = await createNotice(fx.warehouse, fx.catalog, {
      providerCode: PROVIDER,
      scope: { kind: 'run', runId: faulty.runId },
      issuedOn: '2026-11-21',
    });
    expect(notice.rows).toBe(2);
    const kinds = await fx.warehouse('notice_rows').orderBy('id').select('business_key', 'key_parts');
    expect(kinds.map((row) => [row.business_key !== null, row.key_parts !== null]).sort()).toEqual([
      [false, true],
      [true, false],
    ]);
    expect([...(await noticeRowStates(fx.warehouse, notice.id)).values()]).toEqual([false, false]);

    // The corrected file: every record once, as it stands. The fast path takes the rows, every one is counted in
    // the file's summary, none gets a lineage row.
    const corrected = await fx.ingest([file(rows)]);
    expect(corrected.counts).toMatchObject({ unchanged: 20, rejected: 0 });
    expect(corrected.files[0]!.fastRows).toBeGreaterThan(0);
    const fileId = corrected.files[0]!.sourceFileId;
    expect(await fx.warehouse('record_sources').where({ source_file_id: fileId }).first()).toBeUndefined();
    expect(
      await fx.warehouse('unchanged_deliveries').where({ source_file_id: fileId }).first(),
    ).toMatchObject({
      rows: 20,
    });

    expect([...(await noticeRowStates(fx.warehouse, notice.id)).values()]).toEqual([true, true]);
    const [tally] = await noticeTallies(fx.warehouse, { noticeId: notice.id });
    expect(tally).toMatchObject({ rows: 2, corrected: 2 });
  });
});
