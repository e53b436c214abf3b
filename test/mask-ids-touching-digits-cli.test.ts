import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disclosureReportArgs } from './support/disclosed-today.ts';
import { outputsCli } from './support/fixture-cli.ts';
import { COMPANY, itHoldsValidIds, leaksIn, OTHER, OWN, openPersonWithTwoIds } from './support/two-ids.ts';
import type { WarehouseFixture } from './support/warehouse-fixture.ts';

/*
 * The privacy review of December 2026, through the real CLI: an ID touching other digits (a phone number before it,
 * another ID right after it) came out in clear, even the row's own; and one split by a line break in a cell came out
 * in clear in `--json`, where JSON writes the break as `\n`. A USCC beside them stays shown.
 */

describe('an ID touching other digits, or wrapped in its cell, is masked in every output', () => {
  let fx: WarehouseFixture;
  const { outputs, cli } = outputsCli(() => fx);

  beforeAll(async () => {
    let recordId: number;
    ({ fx, recordId } = await openPersonWithTwoIds('mask_touching_digits', '孙八', {
      行政处罚决定书文号: '济市监罚〔2026〕14号',
      违法事实: `当事人13800138000${OWN}销售过期食品，同伙${OWN}${OTHER}；经营场所登记于${COMPANY}名下`,
      备注: `文号370102\n197503090022`,
    }));
    for (const extension of ['json', 'csv']) {
      const out = path.join(fx.scratch, `disclosure.${extension}`);
      await cli(`report disclosure ${extension}`, ...disclosureReportArgs(out));
      outputs.set(`disclosure.${extension}`, readFileSync(out, 'utf8'));
    }
    await cli('record', 'record', String(recordId));
    await cli('record --json', 'record', String(recordId), '--json');
    // An objection's reason holding an ID wrapped onto a second line: `--json` masks it after JSON.stringify.
    await cli(
      'objection open',
      'objection',
      'open',
      String(recordId),
      '--applicant',
      '孙八',
      '--reason',
      '同伙证件号370102\n197503090022不属实',
      '--operator',
      '王科员',
    );
    await cli('objection show --json', 'objection', 'show', '1', '--json');
    outputs.set('log file', readFileSync(path.join(fx.scratch, 'cli.log'), 'utf8'));
  }, 600_000);
  afterAll(async () => fx?.close());

  itHoldsValidIds();

  it('shows neither ID in clear, nor the middle of the wrapped one', () => {
    expect(outputs.size).toBe(9);
    const leaks = leaksIn(outputs, [OWN, OTHER, OWN.slice(4, 14), OTHER.slice(4, 14), '197503090022']);
    expect(leaks).toEqual([]);
  });

  it('masks them where they stand, the phone number and the USCC shown', () => {
    for (const label of ['record', 'record --json', 'disclosure.json', 'disclosure.csv']) {
      const text = outputs.get(label) ?? '';
      expect(text, label).toContain('当事人138001380003701**********0014');
      expect(text, label).toContain('3701**********00143701**********0022');
      expect(text, label).toContain(COMPANY);
    }
    expect(outputs.get('record --json')).toContain('3701**\\n********0022');
    expect(outputs.get('objection show --json')).toContain('同伙证件号3701**\\n********0022不属实');
  });
});
