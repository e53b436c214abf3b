import { visibleLength } from '../identifiers/invisible-characters.ts';

/**
 * The reason (查询事由) anyone must give to see resident ID numbers in clear, in the console or from the CLI
 * (`--reason`): trimmed, at least UNMASK_REASON_MIN characters that show (spaces, control characters and
 * invisible ones — SHOWS_NOTHING, the rule of a legal procedure's grounds — do not count), at most
 * UNMASK_REASON_MAX characters (code points) in all, no control character (a NUL, which PostgreSQL refuses in
 * text; a line break, which forges a log line). The console's form (src/console/unmask.ts) and the CLI
 * (src/cli/cli-unmask.ts) both ask this rule; the database refuses a reason that shows nothing (migration 051).
 */
export const UNMASK_REASON_MIN = 4;
export const UNMASK_REASON_MAX = 200;

export type UnmaskReasonProblem = 'short' | 'long' | 'control';

/** Why a reason will not do, or undefined when it will (`reason` as typed: it is trimmed here). */
export function unmaskReasonProblem(reason: string): UnmaskReasonProblem | undefined {
  const trimmed = reason.trim();
  if (visibleLength(trimmed) < UNMASK_REASON_MIN) return 'short';
  if ([...trimmed].length > UNMASK_REASON_MAX) return 'long';
  if (/\p{Cc}/u.test(trimmed)) return 'control';
  return undefined;
}
