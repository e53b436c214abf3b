import type { Warehouse } from './connect-warehouse.ts';

/**
 * The provider's verification (核实) of an objection is kept in the objection's own append-only log
 * (013-objections.ts), as `note` steps whose `detail.verification` says which: `sent` (the notice, with its
 * provider and deadline) or `answered` (the provider's answer). Steps are never changed: a later answer
 * supersedes an earlier one by coming after it.
 */
export const VERIFICATION_STEP_KINDS = ['sent', 'answered'] as const;
export type VerificationStepKind = (typeof VERIFICATION_STEP_KINDS)[number];

export interface VerificationStep {
  id: number;
  objectionId: number;
  kind: VerificationStepKind;
  performedAt: Date;
  operator: string;
  basis: string | null;
  note: string | null;
  detail: Record<string, unknown>;
}

/** Every verification step of the given objections, oldest first, in one query. */
export async function verificationSteps(
  db: Warehouse,
  objectionIds: readonly number[],
): Promise<VerificationStep[]> {
  if (objectionIds.length === 0) return [];
  const { rows } = await db.raw<{ rows: VerificationStep[] }>(
    `SELECT id, objection_id AS "objectionId", detail->>'verification' AS kind, performed_at AS "performedAt",
            operator, basis, note, detail
     FROM objection_log
     WHERE objection_id = ANY (?::bigint[]) AND action = 'note' AND detail->>'verification' = ANY (?::text[])
     ORDER BY id`,
    [[...objectionIds], [...VERIFICATION_STEP_KINDS]],
  );
  return rows;
}
