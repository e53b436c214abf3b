import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeResidentId, makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { keyParts } from '../src/dedupe/business-key.ts';
import { maskPersonalField } from '../src/log/mask-personal-data.ts';
import { findRecords } from '../src/records/record-history.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { runCli } from './support/run-cli.ts';
import { flatRejections, openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const DECISION = '行政处罚决定书文号';
const USCC_COLUMN = '行政相对人代码_1(统一社会信用代码)';
const AUTHORITY_COLUMN = '处罚机关统一社会信用代码';
const GROUNDS = ['--basis', '鲁信用办函〔2026〕88号', '--reason', '提供单位书面确认', '--operator', '王科员'];

/**
 * A command that changes the record names it by id, whole key or decision number (docs/warehouse.md, legal
 * procedures): a subject's code or an authority's names a subject or an authority, even one with a single record,
 * and is refused (exit 2, nothing changed); `record`, which only reads, still finds by it. A refusal by a database
 * function prints the function's message, not the statement knex puts before it.
 */
describe('a procedure names its record: id, whole key or decision number', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(10, 5170);
  // Row 7 is a natural person (penalty-rows.ts): an ID number of its own, so one record; the others companies.
  const PERSON_ID = makeResidentId('370103', '1990-05-17', 517);
  const COMPANY = makeUscc('91', '370102', 5_170_001);
  const AUTHORITY = makeUscc('11', '370100', 5_170_002);
  const decision = (i: number) => `鲁济市监罚〔2026〕517${i}号`;
  const cases: PenaltyRow[] = rows.map((row, i) => edit(row, { [DECISION]: decision(i) }));
  cases[7] = edit(cases[7]!, { 证件号码: PERSON_ID });
  cases[1] = edit(cases[1]!, { [USCC_COLUMN]: COMPANY });
  cases[2] = edit(cases[2]!, { [AUTHORITY_COLUMN]: AUTHORITY });

  const cli = (args: string[]) =>
    runCli(args, { DATABASE_URL: fx.url, CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log') });
  const recordOf = async (i: number) => {
    const [found] = await findRecords(fx.warehouse, decision(i));
    return found!;
  };
  /** What a refused command must leave as it was: every record's status, the procedure log, the objections. */
  const state = async () => ({
    statuses: (await fx.owner('records').orderBy('id').select('id', 'status')).map(
      (r) => `${r.id} ${r.status}`,
    ),
    procedures: Number((await fx.owner('procedure_log').count<{ count: string }[]>('* as count'))[0]!.count),
    objections: Number((await fx.owner('objections').count<{ count: string }[]>('* as count'))[0]!.count),
  });

  beforeAll(async () => {
    fx = await openWarehouseFixture('procedure_names_record');
    const summary = await fx.ingest([writeRows(fx.scratch, 'names.csv', cases)]);
    expect(await flatRejections(fx.warehouse, summary.runId)).toEqual([]);
    expect(summary.counts).toMatchObject({ inserted: cases.length });
  });
  afterAll(async () => fx?.close());

  it("refuses a person's ID number, masked, though it is that person's only record; `record` still finds it", async () => {
    const person = await recordOf(7);
    expect(await findRecords(fx.warehouse, PERSON_ID)).toEqual([person]);
    const before = await state();
    for (const args of [
      ['procedure', 'withdraw', PERSON_ID, ...GROUNDS],
      ['repair', PERSON_ID, ...GROUNDS],
      ['objection', 'open', PERSON_ID, '--applicant', '张七', '--reason', '处罚已撤销'],
      ['procedure', 'supersede', String((await recordOf(0)).id), '--by', PERSON_ID, ...GROUNDS],
    ]) {
      const refused = await cli(args);
      expect([args[0], refused.code]).toEqual([args[0], 2]);
      expect(refused.stderr).toContain(
        `${maskPersonalField(PERSON_ID)} is the subject's code (CF_XDR_ZJHM 证件号码) of 1 record`,
      );
      expect(refused.stderr).toContain("list that subject's records with `credit-etl subject <code>`");
      expect(refused.stderr).not.toContain(PERSON_ID);
    }
    expect(await state()).toEqual(before);
    const shown = await cli(['record', PERSON_ID]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(decision(7));
  }, 240_000);

  it("refuses a company's USCC, shown whole, and an authority's code; nothing changes", async () => {
    const before = await state();
    const byUscc = await cli(['procedure', 'withdraw', COMPANY, ...GROUNDS]);
    expect(byUscc.code).toBe(2);
    expect(byUscc.stderr).toContain(`${COMPANY} is the subject's code (CF_XDR_SHDM `);
    expect(byUscc.stderr).toContain(`\`credit-etl subject ${COMPANY}\``);
    const opened = await cli([
      'objection',
      'open',
      COMPANY,
      '--applicant',
      '某公司',
      '--reason',
      '处罚已撤销',
    ]);
    expect(opened.code).toBe(2);
    expect(opened.stderr).toContain(`${COMPANY} is the subject's code`);
    const byAuthority = await cli(['procedure', 'withdraw', AUTHORITY, ...GROUNDS]);
    expect(byAuthority.code).toBe(2);
    expect(byAuthority.stderr).toContain(
      `${AUTHORITY} is CF_CFJGDM 处罚机关统一社会信用代码 in the key of 1 record`,
    );
    expect(byAuthority.stderr).toContain(`\`credit-etl record ${AUTHORITY}\``);
    expect(await state()).toEqual(before);
    expect((await cli(['record', COMPANY])).code).toBe(0);
  }, 240_000);

  it('an id, a whole key and a decision number still name the record', async () => {
    const [byId, byKey, byDecision] = [await recordOf(3), await recordOf(4), await recordOf(5)];
    const wholeKey = keyParts(byKey.businessKey).join('|');
    for (const typed of [String(byId.id), wholeKey, decision(5)]) {
      const done = await cli(['procedure', 'withdraw', typed, ...GROUNDS]);
      expect([typed, done.code]).toEqual([typed, 0]);
      expect(done.stdout).toContain('withdraw');
    }
    const statuses = await fx
      .owner('records')
      .whereIn('id', [byId.id, byKey.id, byDecision.id])
      .pluck('status');
    expect(statuses).toEqual(['withdrawn', 'withdrawn', 'withdrawn']);
  }, 240_000);

  it("a database function's refusal says its own message, not the statement", async () => {
    const withdrawn = await recordOf(8);
    expect((await cli(['procedure', 'withdraw', String(withdrawn.id), ...GROUNDS])).code).toBe(0);
    const again = await cli(['procedure', 'withdraw', String(withdrawn.id), ...GROUNDS]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      new RegExp(
        `^credit-etl: procedure refused, nothing changed: 记录 ${withdrawn.id} 已撤销（程序 #\\d+），不能再办理程序\\n$`,
      ),
    );
    const self = await recordOf(6);
    const onItself = await cli([
      'procedure',
      'supersede',
      String(self.id),
      '--by',
      String(self.id),
      ...GROUNDS,
    ]);
    expect(onItself.code).toBe(2);
    expect(onItself.stderr).toContain(`记录 ${self.id} 不能取代它自己`);
    for (const stderr of [again.stderr, onItself.stderr]) {
      expect(stderr).not.toMatch(/select|\$1|procedure_(withdraw|supersede)\(/i);
    }
  }, 240_000);
});
