/**
 * The reason (查询事由) anyone must give to see resident ID numbers in clear, in the console or from the CLI
 * (`--reason`): trimmed, at least UNMASK_REASON_MIN characters (code points), at most UNMASK_REASON_MAX, no control
 * character (a NUL, which PostgreSQL refuses in text; a line break, which forges a log line). The console's form
 * (src/console/unmask.ts) and the CLI (src/cli/cli-unmask.ts) both ask this rule.
 */
export const UNMASK_REASON_MIN = 4;
export const UNMASK_REASON_MAX = 200;

export type UnmaskReasonProblem = 'short' | 'long' | 'control';

/** Why a reason will not do, or undefined when it will (`reason` as typed: it is trimmed here). */
export function unmaskReasonProblem(reason: string): UnmaskReasonProblem | undefined {
  const trimmed = reason.trim();
  const length = [...trimmed].length;
  if (length < UNMASK_REASON_MIN) return 'short';
  if (length > UNMASK_REASON_MAX) return 'long';
  if (/\p{Cc}/u.test(trimmed)) return 'control';
  return undefined;
}
