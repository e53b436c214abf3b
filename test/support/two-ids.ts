import { expect, it } from 'vitest';
import { makeUscc } from '../../fixtures/generate/penalty-rows.ts';
import { checkResidentId } from '../../src/identifiers/resident-id.ts';
import { decidedAMonthAgo } from './disclosed-today.ts';
import { naturalPersonCells } from './natural-person.ts';
import { basePenalties, edit, type PenaltyRow } from './penalty-variants.ts';
import type { WarehouseFixture } from './warehouse-fixture.ts';
import { openWarehouseWithRecord } from './warehouse-with-record.ts';

/*
 * The privacy review's cases through the real CLI (mask-ids-*-cli tests): a natural person's penalty whose free text
 * quotes the person's own ID and an accomplice's beside a company's USCC, one record in a fresh warehouse, and what
 * every output printed, looked through for an ID in clear.
 */

/** The person's own resident ID (born 1975-03-09). */
export const OWN = '370102197503090014';
/** An accomplice's (同伙), the same but for its sequence and check digit. */
export const OTHER = '370102197503090022';
/** A company quoted beside them: a USCC, never masked. */
export const COMPANY = makeUscc('91', '370102', 4_402);

/**
 * A fresh warehouse holding one record: `name`'s (OWN) 罚款, decided a month ago (still disclosed, no 公示截止期),
 * with `cells` (its 文号, 违法事实, …) over it; and the record's id.
 */
export function openPersonWithTwoIds(
  label: string,
  name: string,
  cells: Partial<PenaltyRow>,
): Promise<{ fx: WarehouseFixture; recordId: number }> {
  return openPersonWithId(label, name, OWN, cells);
}

/** openPersonWithTwoIds for a person whose own resident ID is `id`. */
export function openPersonWithId(
  label: string,
  name: string,
  id: string,
  cells: Partial<PenaltyRow>,
): Promise<{ fx: WarehouseFixture; recordId: number }> {
  const person = edit(basePenalties(1, 2027)[0] as PenaltyRow, {
    ...naturalPersonCells(name, id),
    处罚类别: '罚款',
    处罚决定日期: decidedAMonthAgo(),
    公示截止期: '',
    ...cells,
  });
  return openWarehouseWithRecord(label, person);
}

/** Each of `forms` found in an output, as `<label>: <form>`: none when every ID was masked. */
export function leaksIn(outputs: ReadonlyMap<string, string>, forms: readonly string[]): string[] {
  return [...outputs].flatMap(([label, text]) =>
    forms.filter((form) => text.includes(form)).map((form) => `${label}: ${form}`),
  );
}

/** The test of the premise: OWN and OTHER are valid resident IDs (else masking them proves nothing). */
export function itHoldsValidIds(): void {
  it('holds valid IDs (the premise)', () => {
    expect(checkResidentId(OWN)).toBeNull();
    expect(checkResidentId(OTHER)).toBeNull();
  });
}
