import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPersonalField } from '../src/log/mask-personal-data.ts';
import { type Grounds, supersedeRecord } from '../src/procedures/legal-procedures.ts';
import { findRecords } from '../src/records/record-history.ts';
import { asOfficer } from '../src/warehouse/objection-log-repository.ts';
import { fromSourceCli } from './support/fixture-cli.ts';
import { whileMigrationDown } from './support/migration-source.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const MIGRATION = '056-supersede-same-information';
const DECISION = '行政处罚决定书文号';
const USCC_COLUMN = '行政相对人代码_1(统一社会信用代码)';
const ID_COLUMN = '证件号码';
const GROUNDS: Grounds = { basis: '鲁信用办函〔2026〕56号', reason: '重复报送', operator: '王科员' };
const GROUNDS_ARGS = ['--basis', GROUNDS.basis, '--reason', GROUNDS.reason, '--operator', GROUNDS.operator];
/** Every column that says who the penalty is against (the subject), as penalty-rows.ts fills them. */
const SUBJECT_COLUMNS = [
  '行政相对人名称',
  '行政相对人类别',
  USCC_COLUMN,
  '行政相对人代码_2(工商注册号)',
  '行政相对人代码_3(组织机构代码)',
  '行政相对人代码_4(税务登记号)',
  '行政相对人代码_5(事业单位证书号)',
  '行政相对人代码_6(社会组织登记证号)',
  '法定代表人',
  '法定代表人证件类型',
  '法定代表人证件号码',
  '证件类型',
  ID_COLUMN,
] as const;
/** Who decided it: with the decision number, the key's parts beside the subject. */
const AUTHORITY_COLUMNS = ['处罚机关', '处罚机关统一社会信用代码'] as const;

const pick = (row: PenaltyRow, columns: readonly string[]) =>
  Object.fromEntries(columns.map((column) => [column, row[column] ?? '']));
const decision = (i: number) => `鲁济市监罚〔2026〕56${String(i).padStart(2, '0')}号`;

/**
 * 056-supersede-same-information: `supersede` joins two deliveries of one piece of information (docs/warehouse.md,
 * legal procedures): the same subject with a corrected decision number, or the same decision (authority and
 * number) with a corrected subject. A person's penalty superseded by another company's penalty with another decision
 * number is refused by the database function, whichever command calls it, nothing changed, and the message names
 * the two records, never a subject code.
 */
describe('supersede takes only a record of the same information (real PostgreSQL)', {
  timeout: 300_000,
}, () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(10, 5601).map((row, i) => edit(row, { [DECISION]: decision(i) }));
  // Row 7 is a natural person (penalty-rows.ts), the others companies, each with a decision number of its own.
  const PERSON = 7;
  // Row 2: another company's delivery of row 1's decision (the subject corrected).
  rows[2] = edit(rows[2]!, { [DECISION]: decision(1), ...pick(rows[1]!, AUTHORITY_COLUMNS) });
  // Row 8: the person's penalty again, under a corrected decision number (the same subject).
  rows[8] = edit(rows[8]!, pick(rows[PERSON]!, SUBJECT_COLUMNS));
  const PERSON_ID = rows[PERSON]![ID_COLUMN]!;
  /** The records by row: each row's decision number and subject make one record. */
  let ids: number[];

  const cli = fromSourceCli(() => fx);
  /** What a refused supersede must leave as it was: every record, the procedure log, the objections. */
  const state = async () => ({
    records: await fx.owner('records').orderBy('id').select('id', 'status', 'superseded_by', 'subject_code'),
    procedures: Number((await fx.owner('procedure_log').count<{ count: string }[]>('* as count'))[0]!.count),
    objections: await fx.owner('objection_log').orderBy('id').pluck('id'),
  });
  const statusOf = async (id: number) =>
    fx.owner('records').where({ id }).first('status', 'superseded_by', 'subject_code');
  /** The procedure function itself, as an officer calls it (the CLI's `supersedeRecord` does the same). */
  const supersedeInDatabase = (oldId: number, newId: number) =>
    asOfficer(fx.warehouse, (trx) =>
      trx.raw('SELECT procedure_supersede(?, ?, ?, ?, ?) AS id', [
        oldId,
        newId,
        GROUNDS.basis,
        GROUNDS.reason,
        GROUNDS.operator,
      ]),
    );
  const refusal = (oldId: number, newId: number) =>
    `记录 ${oldId} 不能被记录 ${newId} 取代：两条记录的主体不同，业务主键中主体以外的部分（处罚机关、决定书文号等）也不同，不是同一信息，未办理`;
  /** No subject code of either record, whole or masked. */
  const namesNoSubject = (text: string, ...rowIndexes: number[]) => {
    for (const i of rowIndexes) {
      for (const code of [rows[i]![USCC_COLUMN]!, rows[i]![ID_COLUMN]!].filter(Boolean)) {
        expect(text).not.toContain(code);
        expect(text).not.toContain(maskPersonalField(code));
      }
    }
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('supersede_same_information');
    const summary = await fx.ingest([writeRows(fx.scratch, 'd1.csv', rows)]);
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([]);
    expect(summary.counts).toMatchObject({ read: rows.length, inserted: rows.length });
    ids = [];
    for (const row of rows) {
      const found = (await findRecords(fx.warehouse, row[DECISION]!)).filter(
        (r) => r.subjectCode === (row[USCC_COLUMN] || row[ID_COLUMN]),
      );
      expect(found).toHaveLength(1);
      ids.push(found[0]!.id);
    }
    expect(new Set(ids).size).toBe(rows.length);
  });
  afterAll(async () => fx?.close());

  it("refuses a person's penalty superseded by another company's other decision: the function, nothing changed", async () => {
    const [oldId, newId] = [ids[PERSON]!, ids[0]!];
    const before = await state();
    const error: { message: string; code?: string } = await supersedeInDatabase(oldId, newId).then(
      () => expect.unreachable('the supersede was refused'),
      (caught) => caught,
    );
    expect(error.code).toBe('23514'); // check_violation: the CLI's "procedure refused"
    expect(error.message).toContain(refusal(oldId, newId));
    expect(error.message).toContain(`credit-etl procedure reattribute ${oldId} --subject`);
    expect(error.message).toContain(`credit-etl procedure withdraw ${oldId}`);
    namesNoSubject(error.message, PERSON, 0);
    // The other way round too: a company's penalty does not go into the person's archive either.
    await expect(supersedeInDatabase(newId, oldId)).rejects.toThrow(refusal(newId, oldId));
    // And through the procedures module, as every command runs it.
    await expect(supersedeRecord(fx.warehouse, oldId, newId, GROUNDS)).rejects.toThrow(refusal(oldId, newId));
    expect(await state()).toEqual(before);
  });

  it('refuses it by `procedure supersede`: exit 2, the reason, no subject code, nothing changed', async () => {
    const [oldId, newId] = [ids[PERSON]!, ids[0]!];
    const before = await state();
    const refused = await cli([
      'procedure',
      'supersede',
      String(oldId),
      '--by',
      String(newId),
      ...GROUNDS_ARGS,
    ]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(
      `credit-etl: procedure refused, nothing changed: ${refusal(oldId, newId)}`,
    );
    namesNoSubject(refused.stdout + refused.stderr, PERSON, 0);
    expect(await state()).toEqual(before);
  });

  it('refuses it by `objection close --superseded-by`: exit 2, the objection still open, nothing changed', async () => {
    const [oldId, newId] = [ids[3]!, ids[4]!];
    const opened = await cli([
      'objection',
      'open',
      String(oldId),
      '--applicant',
      '济南示例商贸有限公司',
      '--reason',
      '处罚对象有误',
      '--operator',
      '王科员',
      '--json',
    ]);
    expect(opened.code, opened.stderr).toBe(0);
    const objection = JSON.parse(opened.stdout).id as number;
    const before = await state();
    const refused = await cli([
      'objection',
      'close',
      String(objection),
      '--result',
      'upheld',
      '--note',
      '经核查，异议成立',
      '--basis',
      GROUNDS.basis,
      '--superseded-by',
      String(newId),
      '--operator',
      '王科员',
    ]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('nothing changed');
    expect(refused.stderr).toContain(refusal(oldId, newId));
    namesNoSubject(refused.stdout + refused.stderr, 3, 4);
    expect(await state()).toEqual(before);
    expect(await fx.owner('objections').where({ id: objection }).first('record_id')).toEqual({
      record_id: oldId,
    });
  });

  it('accepts the same decision delivered again against the right company (the subject corrected)', async () => {
    const [oldId, newId] = [ids[1]!, ids[2]!];
    const done = await supersedeRecord(fx.warehouse, oldId, newId, GROUNDS);
    expect(done.newRecordId).toBe(newId);
    expect(await statusOf(oldId)).toEqual({
      status: 'superseded',
      superseded_by: newId,
      subject_code: rows[1]![USCC_COLUMN],
    });
    expect(await statusOf(newId)).toMatchObject({ status: 'current', subject_code: rows[2]![USCC_COLUMN] });
  });

  it("accepts the person's penalty under a corrected decision number (the same subject), by the CLI", async () => {
    const [oldId, newId] = [ids[PERSON]!, ids[8]!];
    const done = await cli(['procedure', 'supersede', String(oldId), '--by', String(newId), ...GROUNDS_ARGS]);
    expect(done.code, done.stderr).toBe(0);
    expect(await statusOf(oldId)).toEqual({
      status: 'superseded',
      superseded_by: newId,
      subject_code: PERSON_ID,
    });
    expect(await statusOf(newId)).toMatchObject({ status: 'current', subject_code: PERSON_ID });
  });

  it('goes down and up again: down puts back the function that took any record, up the check', async () => {
    const definition = async () => {
      const { rows: found } = await fx.owner.raw<{
        rows: { def: string; owner: string; officer: boolean; loader: boolean; publicly: boolean }[];
      }>(
        `SELECT pg_get_functiondef(p.oid) AS def, pg_get_userbyid(p.proowner) AS owner,
                has_function_privilege('credit_etl_officer', p.oid, 'EXECUTE') AS officer,
                has_function_privilege('credit_etl_loader', p.oid, 'EXECUTE') AS loader,
                EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0) AS publicly
         FROM pg_proc p
         WHERE p.oid = 'procedure_supersede(bigint, bigint, text, text, text)'::regprocedure`,
      );
      return found[0]!;
    };
    const checked = await definition();
    expect(checked).toMatchObject({
      owner: 'credit_etl_procedure',
      officer: true,
      loader: false,
      publicly: false,
    });
    expect(checked.def).toContain('SECURITY DEFINER');
    expect(checked.def).toMatch(/SET search_path TO '?[a-z_0-9]+'?, 'pg_temp'/);
    const [oldId, newId] = [ids[5]!, ids[6]!];
    await whileMigrationDown(fx.owner, MIGRATION, async () => {
      const unchecked = await definition();
      expect(unchecked).toMatchObject({ owner: 'credit_etl_procedure', officer: true, loader: false });
      expect(unchecked.def).not.toContain('不是同一信息');
      // 012's function: another company's other decision supersedes the record (rolled back).
      await expect(
        fx.warehouse.transaction(async (trx) => {
          await trx.raw('SET LOCAL ROLE credit_etl_officer');
          await trx.raw('SELECT procedure_supersede(?, ?, ?, ?, ?)', [
            oldId,
            newId,
            GROUNDS.basis,
            GROUNDS.reason,
            GROUNDS.operator,
          ]);
          expect(await trx('records').where({ id: oldId }).first('status')).toEqual({ status: 'superseded' });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
    });
    expect(await definition()).toEqual(checked);
    await expect(supersedeInDatabase(oldId, newId)).rejects.toThrow(refusal(oldId, newId));
    expect(await statusOf(oldId)).toMatchObject({ status: 'current' });
  });
});
