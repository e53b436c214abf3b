import { visibleLength } from './invisible-characters.ts';

/** The refusal a workflow throws (ObjectionRefused, NoticeRefused, VerificationRefused…): its caller maps it to exit 2. */
export type Refusal = new (message: string) => Error;

/**
 * A text a person must give (an applicant, a reason, an operator; migration 053, as a legal procedure's grounds
 * since 051) shows something: spaces, control characters and invisible ones (SHOWS_NOTHING: U+0085, U+200E,
 * U+3164, U+2800…) do not count. Refused with `Refused`, naming the field, its flag and the code points typed
 * (they show nothing and so hold no personal data). Checked by the workflow, before anything is read or written,
 * for every caller (the CLI, the console).
 */
export function requireShown(
  value: string | null | undefined,
  flag: string,
  title: string,
  Refused: Refusal,
): asserts value is string {
  if (value === undefined || value === null)
    throw new Refused(`${title}不能为空：请用 ${flag} 填写 (${flag} is required and may not be blank)`);
  const why = notShown(value, flag, title);
  if (why !== undefined) throw new Refused(why);
}

/** An optional text (a note, a basis): left out (undefined or null) it is fine; given, it must show something. */
export function shownIfGiven(
  value: string | null | undefined,
  flag: string,
  title: string,
  Refused: Refusal,
): void {
  if (value === undefined || value === null) return;
  const why = notShown(value, flag, title);
  if (why !== undefined) throw new Refused(why);
}

/** Why `value` cannot stand for the field (it shows nothing), or undefined when it shows something. */
export function notShown(value: string, flag: string, title: string): string | undefined {
  if (visibleLength(value) > 0) return undefined;
  return (
    `${title}不能为空：请用 ${flag} 填写（空格、控制字符和不可见字符不算；所填为 ${typed(value)}） ` +
    `(${flag} shows nothing: spaces, control and invisible characters do not count)`
  );
}

/** What was typed, as code points: `U+3164 U+200E`, the first 8 of them; `空` when nothing was. */
function typed(value: string): string {
  const points = [...value].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  if (points.length === 0) return '空';
  return points.length > 8
    ? `${points.slice(0, 8).join(' ')} …（共 ${points.length} 个字符）`
    : points.join(' ');
}
