import type { MergeContext } from './merge-staged.ts';
import type { UnitSession } from './unit-session.ts';

export interface WithdrawalCounts {
  /** Rows that withdrew their record, or asked again for a record no longer current: outcome `withdrawn`. */
  withdrawn: number;
  /** Withdrawals that cannot be applied (unknown record, another provider's, data for the key in the same unit). */
  rejected: number;
  /** Procedure-log entries written: records that stopped being current now. */
  procedures: number;
}

/**
 * The unit's withdrawal requests (rows whose source signal says 撤销; stage.withdrawal), in the caller's
 * transaction, after its data rows are merged. Each row ends in one outcome:
 *  - `withdrawn`: the record exists and this provider holds it at its level, the first to deliver its current
 *    content there (039), or it is no longer current already. A lineage row records the request; `provider_withdraw_delivered` (015) then withdraws
 *    each current record as a legal procedure whose basis is this file and row.
 *  - rejected `withdrawal-unknown-record`: the warehouse holds no record for the key. Nothing was published, so
 *    nothing is withdrawn; the provider is told in case the key is mistyped. Not kept as a pending withdrawal:
 *    a row for that key delivered later is newer than this request and must load.
 *  - rejected `withdrawal-not-provider-record`: another provider's content is current, or a higher channel
 *    delivered the same content (省市互补: the province's word stands); only it, or an officer, may withdraw it.
 *    A record at the provider's level that a legal procedure corrected is the procedure's until the provider
 *    delivers the corrected content: its message names the procedure, not "another channel".
 *  - rejected `withdrawal-with-data`: the same unit also delivers the key as data (an integrator re-inserted
 *    the row it soft-deleted): the data row is applied, the contradicting withdrawal is not. A record already
 *    withdrawn or superseded is not brought back: the data row is a conflict, and the message says so.
 * A rejection whose message names a record (`记录 <id>`) also carries its id (`record`, a number) and the signal
 * (`signal`) in its error object: the request stays tied to the record it asked about, and `record` shows it.
 */
export async function mergeWithdrawals(
  session: UnitSession,
  context: Pick<
    MergeContext,
    'runId' | 'sourceFileId' | 'catalogCode' | 'providerCode' | 'level' | 'receivedAt' | 'numberField'
  >,
): Promise<WithdrawalCounts> {
  const { runId, sourceFileId, catalogCode, providerCode, level, receivedAt, numberField } = context;
  await session.query(
    `CREATE TEMP TABLE withdrawal_requests ON COMMIT DROP AS
     WITH asked AS (
       SELECT row_number, business_key, content_hash, withdrawal, received_at
       FROM stage WHERE errors IS NULL AND withdrawal IS NOT NULL
     ),
     delivered AS (
       SELECT business_key, min(row_number) AS data_row
       FROM stage WHERE errors IS NULL AND withdrawal IS NULL GROUP BY business_key
     )
     SELECT a.*, d.data_row, r.id AS record_id, r.current_version_id, r.status AS record_status,
       CASE WHEN r.level = $3 THEN cv.procedure_id END AS corrected_by,
       CASE
         WHEN d.data_row IS NOT NULL THEN 'withdrawal-with-data'
         WHEN r.id IS NULL THEN 'withdrawal-unknown-record'
         WHEN r.status <> 'current' OR provider_delivered_current(r, $1, $3) THEN 'withdrawn'
         ELSE 'withdrawal-not-provider-record'
       END AS outcome
     FROM asked a
     LEFT JOIN delivered d USING (business_key)
     LEFT JOIN records r ON r.catalog_code = $2 AND r.business_key = a.business_key
     LEFT JOIN record_versions cv ON cv.id = r.current_version_id`,
    [providerCode, catalogCode, level],
  );
  const [expected] = await session.query<{ withdrawn: number; rejected: number }>(
    `SELECT count(*) FILTER (WHERE outcome = 'withdrawn')::int AS withdrawn,
            count(*) FILTER (WHERE outcome <> 'withdrawn')::int AS rejected
     FROM withdrawal_requests`,
  );
  if (!expected) throw new Error('withdrawals: classification returned no counts');
  if (expected.withdrawn + expected.rejected === 0) return { withdrawn: 0, rejected: 0, procedures: 0 };
  const rejected = await session.execute(
    `INSERT INTO rejections (run_id, source_file_id, row_number, catalog_code, provider_code, raw, errors)
     SELECT $1, $2, w.row_number, $3, $4, s.data, jsonb_build_array(jsonb_build_object(
       -- The record is named by its key: the decision number is the value the provider looks for in its row.
       'field', COALESCE($5, '*'), 'code', w.outcome,
       'value', COALESCE(s.data ->> $5, w.withdrawal),
       'message', CASE w.outcome
         -- A record no longer current takes the data row as a conflict (merge-staged.ts: never brought back), so the
         -- provider is not told it was loaded: it is kept for the platform to review, and nothing is withdrawn again.
         WHEN 'withdrawal-with-data' THEN CASE w.record_status
           WHEN 'withdrawn' THEN '本行标记撤销（' || w.withdrawal || '），同一批数据第' || w.data_row
             || '行又以同一业务主键报送了正常数据；该记录（记录 ' || w.record_id || '）此前已撤销，第' || w.data_row
             || '行未按正常数据入库，已作为冲突数据保留，由平台核查；本行的撤销未再次办理，记录仍为已撤销。'
             || '请从报送数据中删除第' || w.data_row || '行，确有异议请与平台联系'
           WHEN 'superseded' THEN '本行标记撤销（' || w.withdrawal || '），同一批数据第' || w.data_row
             || '行又以同一业务主键报送了正常数据；该记录（记录 ' || w.record_id || '）此前已依法定程序被另一记录取代，第'
             || w.data_row || '行未按正常数据入库，已作为冲突数据保留，由平台核查；本行的撤销未办理。'
             || '请停止报送该业务主键，确有异议请与平台联系'
           ELSE '本行标记撤销（' || w.withdrawal || '），但同一批数据第' || w.data_row
             || '行以同一业务主键报送了正常数据：已按正常数据入库，撤销未办理；如确需撤销，请单独报送撤销' END
         WHEN 'withdrawal-unknown-record' THEN '本行要求撤销（' || w.withdrawal || '）业务主键为「'
           || replace(w.business_key, chr(31), '|') || '」的记录，但本单位从未报送过该记录，库中没有：'
           || '未入库的信息无需撤销；如文号或行政相对人代码填写有误，请改正后重新报送'
         WHEN 'withdrawal-not-provider-record' THEN CASE WHEN w.corrected_by IS NOT NULL
           THEN '本行标记撤销（' || w.withdrawal || '），但该记录（记录 ' || w.record_id || '）已依法更正（程序 #'
             || w.corrected_by || '），本单位尚未报送更正后的内容，不能由本单位撤销：请由主管部门按法定程序办理'
           ELSE '本行标记撤销（' || w.withdrawal || '），但该记录（记录 ' || w.record_id || '）的当前内容不是本单位首先报送的（由同级其他单位报送），'
           || '或有更高层级渠道报送了相同内容，不能由本单位撤销：请由该渠道撤销，或由主管部门按法定程序办理' END
       END)
       -- A refusal that names a record is tied to it, by id and signal, so \`record\` lists it among the record's
       -- refused withdrawal requests (062-refused-withdrawals-by-record: indexed by that id).
       || CASE WHEN w.outcome = 'withdrawal-not-provider-record'
                 OR (w.outcome = 'withdrawal-with-data' AND w.record_status IN ('withdrawn', 'superseded'))
          THEN jsonb_build_object('record', w.record_id, 'signal', w.withdrawal) ELSE '{}'::jsonb END)
     FROM withdrawal_requests w JOIN stage s USING (row_number) WHERE w.outcome <> 'withdrawn'
     ORDER BY w.row_number`,
    [runId, sourceFileId, catalogCode, providerCode, numberField ?? null],
  );
  if (rejected !== expected.rejected)
    throw new Error(`withdrawals: rejections wrote ${rejected} rows, expected ${expected.rejected}`);
  const lineage = await session.execute(
    `INSERT INTO record_sources (record_id, version_id, outcome, run_id, source_file_id, row_number, provider_code,
                                 level, content_hash, received_at, late, withdrawal_signal)
     SELECT record_id, current_version_id, 'withdrawn', $1, $2, row_number, $3, $4, content_hash,
            COALESCE(received_at, $5), false, withdrawal
     FROM withdrawal_requests WHERE outcome = 'withdrawn' ORDER BY row_number`,
    [runId, sourceFileId, providerCode, level, receivedAt],
  );
  if (lineage !== expected.withdrawn)
    throw new Error(`withdrawals: lineage wrote ${lineage} rows, expected ${expected.withdrawn}`);
  const [applied] = await session.query<{ procedures: number }>(
    'SELECT provider_withdraw_delivered($1) AS procedures',
    [sourceFileId],
  );
  return { ...expected, procedures: applied?.procedures ?? 0 };
}
