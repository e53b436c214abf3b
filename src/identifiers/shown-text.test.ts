import { describe, expect, it } from 'vitest';
import { notShown, requireShown, shownIfGiven } from './shown-text.ts';

/** The workflow's check of a text a person gives (053); the CLI cases are in test/objection-text-visible.test.ts. */
const NOT_SHOWN = '（空格、控制字符和不可见字符不算；所填为 ';

class Refused extends Error {}

type Check = (value: string | undefined, flag: string, title: string, refused: typeof Refused) => void;

/** The message `check` refuses `value` with, undefined when it passes; always the caller's refusal type. */
function refusal(value: string | undefined, check: Check = requireShown): string | undefined {
  try {
    check(value, '--note', '说明', Refused);
  } catch (error) {
    expect(error).toBeInstanceOf(Refused);
    return (error as Error).message;
  }
  return undefined;
}

describe('requireShown and shownIfGiven', () => {
  it('names the field, its flag and the code points typed, the first 8 of a longer text', () => {
    expect(refusal('\u200e\u3164')).toBe(
      `说明不能为空：请用 --note 填写${NOT_SHOWN}U+200E U+3164） ` +
        '(--note shows nothing: spaces, control and invisible characters do not count)',
    );
    expect(refusal('')).toContain(`${NOT_SHOWN}空）`);
    expect(refusal('  \u0085\u2800')).toContain(`${NOT_SHOWN}U+0020 U+0020 U+0085 U+2800）`);
    expect(refusal('\u3164'.repeat(10))).toContain(`${NOT_SHOWN}${'U+3164 '.repeat(8)}…（共 10 个字符））`);
    expect(refusal('\u{e0020}')).toContain(`${NOT_SHOWN}U+E0020）`);
  });

  it('lets a text that shows something pass, invisibles around it or not', () => {
    expect(refusal('说明')).toBeUndefined();
    expect(refusal('\u200e说明\u3164')).toBeUndefined();
    expect(notShown(' a ', '--note', '说明')).toBeUndefined();
  });

  it('refuses a required text left out, and lets an optional one left out pass (given, it must show)', () => {
    expect(refusal(undefined)).toBe(
      '说明不能为空：请用 --note 填写 (--note is required and may not be blank)',
    );
    expect(refusal(undefined, shownIfGiven)).toBeUndefined();
    expect(refusal('\u3164', shownIfGiven)).toContain(`说明不能为空：请用 --note 填写${NOT_SHOWN}U+3164）`);
    expect(refusal('依据', shownIfGiven)).toBeUndefined();
  });
});
