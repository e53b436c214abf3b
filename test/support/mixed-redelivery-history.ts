import { PENALTY_HEADER } from '../../fixtures/generate/penalty-rows.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './penalty-variants.ts';
import type { WarehouseFixture } from './warehouse-fixture.ts';

export const PROVINCE = { level: 'province', provider: '113700000000000000' } as const;
export const CITY = { level: 'city', provider: '113701000000000000' } as const;
export const day = (n: number) => new Date(`2026-11-${String(10 + n).padStart(2, '0')}T10:00:00+08:00`);

/** The column whose 撤销 withdraws a record in `withdrawalDeliveries`. */
const STATUS = '当前状态';
const WITHDRAWALS = { status: { column: STATUS, values: ['撤销'] } };

/**
 * Two channels' history of 30 penalties, every way a compacted run starts and ends (p1 to c3, files 0-9): nightly
 * dumps counted in summaries (compact and fast path), a row dropped (an absence) and back, a corrected row, a
 * small file written out whole (it ends every run), another channel re-delivering and conflicting in between.
 * Ten loaded files; p5 has no summary, p3 the only absence.
 */
export async function deliverMixedHistory(fx: WarehouseFixture): Promise<void> {
  const rows = basePenalties(30);
  const corrected = correctedRows(rows);
  const cityRows = [rows[0]!, edit(rows[1]!, { 处罚内容: '罚款人民币9万元（市级）' }), rows[2]!];
  const deliveries: { name: string; channel: typeof PROVINCE | typeof CITY; rows: PenaltyRow[] }[] = [
    { name: 'p1.csv', channel: PROVINCE, rows },
    { name: 'p2.csv', channel: PROVINCE, rows: [...rows].reverse() },
    { name: 'c1.csv', channel: CITY, rows: cityRows },
    { name: 'c2.csv', channel: CITY, rows: [...cityRows].reverse() },
    { name: 'p3.csv', channel: PROVINCE, rows: corrected.filter((_, i) => i !== 7) },
    { name: 'p4.csv', channel: PROVINCE, rows: corrected },
    { name: 'p5.csv', channel: PROVINCE, rows: corrected.slice(0, 2) },
    // Without row 9, whose run p5 ended: not standing, so not absent either; back in p7 by a lineage row.
    { name: 'p6.csv', channel: PROVINCE, rows: corrected.filter((_, i) => i !== 9) },
    { name: 'p7.csv', channel: PROVINCE, rows: [...corrected].reverse() },
    { name: 'c3.csv', channel: CITY, rows: [cityRows[1]!, cityRows[0]!, cityRows[2]!] },
  ];
  for (const [n, delivery] of deliveries.entries()) {
    await fx.ingest([writeRows(fx.scratch, delivery.name, delivery.rows)], {
      ...delivery.channel,
      receivedAt: day(n),
    });
  }
}

/**
 * After `deliverMixedHistory`, two more province dumps with a 当前状态 column: p8 withdraws row 5 (撤销) among
 * the others' re-deliveries, p9 re-delivers all 30 again, row 5 included though its record is withdrawn.
 */
export async function deliverWithdrawal(fx: WarehouseFixture): Promise<void> {
  const corrected = correctedRows(basePenalties(30));
  const columns = [...PENALTY_HEADER, STATUS];
  const p8 = corrected.map((row, i) => edit(row, { [STATUS]: i === 5 ? '撤销' : '0' }));
  const p9 = corrected.map((row) => edit(row, { [STATUS]: '0' }));
  const files: [string, PenaltyRow[]][] = [
    ['p8.csv', p8],
    ['p9.csv', p9],
  ];
  for (const [n, [name, list]] of files.entries()) {
    await fx.ingest([writeRows(fx.scratch, name, list, columns)], {
      ...PROVINCE,
      receivedAt: day(10 + n),
      withdrawals: WITHDRAWALS,
    });
  }
}

function correctedRows(rows: PenaltyRow[]): PenaltyRow[] {
  return rows.map((row, i) => (i === 3 ? edit(row, { 处罚内容: '罚款人民币2万元（更正）' }) : row));
}
