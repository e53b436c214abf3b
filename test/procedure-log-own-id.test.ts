import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResidentId } from '../src/identifiers/resident-id.ts';
import { labelledCli } from './support/fixture-cli.ts';
import { naturalPersonCells } from './support/natural-person.ts';
import { basePenalties, edit, type PenaltyRow } from './support/penalty-variants.ts';
import type { CliResult } from './support/run-cli.ts';
import type { WarehouseFixture } from './support/warehouse-fixture.ts';
import { openWarehouseWithRecord } from './support/warehouse-with-record.ts';

/*
 * A natural person's 处罚内容 quoted their own ID with its last character mistyped: no valid ID, so free-text
 * masking leaves it, and only the row's own 证件号码 tells it is theirs. An upheld objection corrected 处罚内容; the
 * procedure log keeps only the changed fields, and `procedure log --json` showed the old text in clear while
 * `record` and `objection show` masked it.
 */

const OWN_ID = '11010519491231002X';
/** The same number with its last character mistyped: not a valid ID. */
const MISTYPED = '110105194912310029';
const MISTYPED_SHOWN = '1101**********0029';

describe("the procedure log masks a changed field quoting the person's own ID, one character off", () => {
  let fx: WarehouseFixture;
  let recordId: number;
  const outputs = new Map<string, CliResult>();
  const person = edit(basePenalties(1, 5301)[0] as PenaltyRow, {
    ...naturalPersonCells('张某', OWN_ID),
    行政处罚决定书文号: '济市监罚〔2026〕5301号',
    处罚内容: `罚款人民币5000元 身份证 ${MISTYPED}`,
    处罚类别: '罚款',
    处罚决定日期: '2026-11-02',
    公示截止期: '',
  });
  const cli = labelledCli(
    () => fx,
    (label, result) => outputs.set(label, result),
  );

  beforeAll(async () => {
    ({ fx, recordId } = await openWarehouseWithRecord('procedure_log_own_id', person));
    const id = String(recordId);
    await cli(
      'objection open',
      ...['objection', 'open', id, '--applicant', '张某', '--reason', '号码错误'],
      ...['--received-at', '2026-12-04', '--operator', '李科员'],
    );
    await cli(
      'objection close',
      ...['objection', 'close', '1', '--result', 'upheld', '--set', '处罚内容=罚款人民币3000元'],
      ...['--basis', '鲁信用办函〔2026〕1号', '--note', '经核查异议成立', '--operator', '李科员'],
    );
    await cli('procedure log --json', 'procedure', 'log', '--json');
    await cli('procedure log --record --json', 'procedure', 'log', '--record', id, '--json');
    await cli('procedure log', 'procedure', 'log');
    await cli('record --json', 'record', id, '--json');
    await cli('objection show --json', 'objection', 'show', '1', '--json');
    // A procedure's own output: the corrected text quotes the number again.
    await cli(
      'procedure correct --json',
      ...['procedure', 'correct', id, '--set', `处罚内容=罚款人民币3000元（原录 ${MISTYPED}）`],
      ...['--basis', '鲁信用办函〔2026〕2号', '--reason', '补记原录号码', '--operator', '李科员', '--json'],
    );
  }, 600_000);
  afterAll(async () => fx?.close());

  it('is a mistyped ID, one character off the own one (the premise)', () => {
    expect(checkResidentId(OWN_ID)).toBeNull();
    expect(checkResidentId(MISTYPED)).not.toBeNull();
  });

  it('shows the number nowhere in clear', () => {
    expect([...outputs.keys()]).toHaveLength(8);
    for (const [label, output] of outputs) {
      expect(output.stdout + output.stderr, label).not.toContain(MISTYPED);
      expect(output.stdout + output.stderr, label).not.toContain(OWN_ID);
    }
  });

  it('`procedure log --json` shows the corrected text masked, as `record` does', () => {
    for (const label of ['procedure log --json', 'procedure log --record --json']) {
      const [upheld] = JSON.parse(outputs.get(label)!.stdout);
      expect(upheld, label).toMatchObject({
        kind: 'correct',
        recordId,
        before: { fields: { CF_NR: `罚款人民币5000元 身份证 ${MISTYPED_SHOWN}` } },
        after: { fields: { CF_NR: '罚款人民币3000元' } },
      });
    }
    const record = JSON.parse(outputs.get('record --json')!.stdout);
    expect(record.versions[0].data.CF_NR).toBe(`罚款人民币5000元 身份证 ${MISTYPED_SHOWN}`);
    const corrected = JSON.parse(outputs.get('procedure correct --json')!.stdout);
    expect(corrected.after.fields.CF_NR).toBe(`罚款人民币3000元（原录 ${MISTYPED_SHOWN}）`);
  });
});
