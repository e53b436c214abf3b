import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureCli } from './support/fixture-cli.ts';
import { COMPANY, itHoldsValidIds, leaksIn, OTHER, OWN, openPersonWithTwoIds } from './support/two-ids.ts';
import type { WarehouseFixture } from './support/warehouse-fixture.ts';

/*
 * The privacy review of December 2026, through the real CLI: an ID whose groups were parted by punctuation
 * (`370102.19750309.0014`, `370102/197503090014`, `370102_197503090014`) came out in clear, in a record's text and
 * in `record`'s echo of what was typed; one parted by spaces or dashes was masked. A date, an amount and a USCC
 * beside them stay shown.
 */

describe('an ID parted by punctuation is masked in every output', () => {
  let fx: WarehouseFixture;
  const outputs = new Map<string, string>();

  beforeAll(async () => {
    let recordId: number;
    ({ fx, recordId } = await openPersonWithTwoIds('mask_ids_punctuation', '周九', {
      行政处罚决定书文号: '济市监罚〔2026〕15号',
      违法事实: `同伙370102/197503090022与370102.19750309.0022于2024.01.01销售过期食品，货值12345.67元，登记于${COMPANY}名下`,
    }));
    const { cli } = fixtureCli(() => fx);
    const run = async (label: string, args: string[], exitCode: number) => {
      const result = await cli(args);
      expect(result.code, `${label}: ${result.stderr}`).toBe(exitCode);
      outputs.set(label, result.stdout + result.stderr);
    };
    await run('record <id>', ['record', String(recordId)], 0);
    await run('record <id> --json', ['record', String(recordId), '--json'], 0);
    for (const typed of ['370102_197503090014', '370102.19750309.0014', '370102/197503090014']) {
      await run(`record ${typed}`, ['record', typed], 2);
      await run(`record ${typed} --json`, ['record', typed, '--json'], 2);
    }
    outputs.set('log file', readFileSync(path.join(fx.scratch, 'cli.log'), 'utf8'));
  }, 600_000);
  afterAll(async () => fx?.close());

  itHoldsValidIds();

  it('shows no ID in clear, nor its birth date and sequence', () => {
    expect(outputs.size).toBe(9);
    const leaks = leaksIn(outputs, [
      OWN,
      OTHER,
      '197503090014',
      '197503090022',
      '19750309.00',
      '370102_1',
      '370102.1',
      '370102/1',
    ]);
    expect(leaks).toEqual([]);
  });

  it('echoes what was typed masked where it stands', () => {
    expect(outputs.get('record 370102_197503090014')).toContain('no record matches 3701**_********0014');
    expect(outputs.get('record 370102.19750309.0014')).toContain('no record matches 3701**.********.0014');
    expect(outputs.get('record 370102/197503090014')).toContain('no record matches 3701**/********0014');
  });

  it("masks the record's text where it stands, the date, the amount and the USCC shown", () => {
    for (const label of ['record <id>', 'record <id> --json']) {
      const text = outputs.get(label) ?? '';
      expect(text, label).toContain('同伙3701**/********0022与3701**.********.0022于2024.01.01');
      expect(text, label).toContain('货值12345.67元');
      expect(text, label).toContain(COMPANY);
    }
  });
});
