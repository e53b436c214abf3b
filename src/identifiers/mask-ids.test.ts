import { describe, expect, it } from 'vitest';
import { foldDigits } from './id-digits.ts';
import { checkIdentifier } from './index.ts';
import { maskPersonalText, maskTypedLookup } from './mask-ids.ts';
import { normalizeCode } from './normalize-code.ts';
import { computeResidentIdCheckChar } from './resident-id.ts';

const withCheck = (first17: string) => first17 + computeResidentIdCheckChar(first17);

/** The digits (and X) a masked text still shows, as the validator would read them. */
const shown = (text: string) => foldDigits(normalizeCode(text));

/**
 * Every character of Unicode by what the validator makes of it between two digits (normalize-code.ts: NFKC, then
 * spaces, invisible characters and dashes between code characters removed): nothing, one or more digits, or X.
 */
function* validatorReadings(): Generator<{ char: string; reads: string }> {
  for (let codePoint = 0; codePoint < 0x110000; codePoint++) {
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
    if ((codePoint >= 0x30 && codePoint <= 0x39) || codePoint === 0x58) continue;
    const char = String.fromCodePoint(codePoint);
    const read = normalizeCode(`1${char}1`);
    if (!read.startsWith('1') || !read.endsWith('1')) continue;
    const reads = read.slice(1, -1);
    if (/^[0-9X]*$/.test(reads)) yield { char, reads };
  }
}

describe('every ID the validator accepts is masked, whatever characters it is written in', () => {
  it('masks an ID holding any character NFKC folds to digits or X, or that the validator removes', () => {
    const leaks: string[] = [];
    const kinds = new Set<string>();
    for (const { char, reads } of validatorReadings()) {
      let typed: string;
      let birth: string;
      if (reads === '') {
        // A separator the validator drops: between the region and the birth date, and inside the birth date.
        typed = `370102${char}1982${char}04010015`;
        birth = '19820401';
        kinds.add('removed');
      } else if (reads === 'X') {
        typed = `11010519491231002${char}`;
        birth = '19491231';
        kinds.add('X');
      } else {
        // One digit (superscript, circled, mathematical …) or several (⑩ … ㊿), just before the check character.
        const head = '37010219820401000'.slice(0, 17 - reads.length);
        typed = `${head}${char}${withCheck(head + reads).slice(17)}`;
        birth = '19820401';
        kinds.add(`${reads.length} digit(s)`);
      }
      if (checkIdentifier('resident-id', typed).problem !== null) {
        leaks.push(`${char.codePointAt(0)!.toString(16)}: the validator refuses ${JSON.stringify(typed)}`);
        continue;
      }
      for (const [name, masked] of [
        ['text', maskPersonalText(`号码${typed}。`)],
        ['lookup', maskTypedLookup(typed)],
      ] as const) {
        if (shown(masked).includes(birth))
          leaks.push(`${char.codePointAt(0)!.toString(16)} ${name}: ${JSON.stringify(masked)}`);
      }
    }
    expect(leaks).toEqual([]);
    expect([...kinds].sort()).toEqual(['1 digit(s)', '2 digit(s)', 'X', 'removed']);
  });
});

describe('gaps the privacy review found', () => {
  it('masks an ID whose X is the modifier letter small x (ˣ, NFKC: x)', () => {
    expect(maskPersonalText('11010519491231002ˣ')).toBe('1101**********002ˣ');
    expect(maskPersonalText('号码11010519491231002ˣ。')).toBe('号码1101**********002ˣ。');
    expect(maskTypedLookup('11010519491231002ˣ')).toBe('1101**********002ˣ');
  });

  it('masks an ID parted by a dash NFKC folds to a minus or dash (⁻ ₋ ﹘ ︱ ︲)', () => {
    for (const dash of ['\u207B', '\u208B', '\uFE58', '\uFE31', '\uFE32']) {
      expect(maskPersonalText(`370102198${dash}204010015`), dash).toBe(`3701*****${dash}*****0015`);
      expect(maskTypedLookup(`370102198${dash}204010015`), dash).toBe(`3701*****${dash}*****0015`);
    }
  });

  it('masks an ID holding a character that stands for two digits (⑩, ㉑, ㊿), a star for each digit', () => {
    expect(maskPersonalText('370⑩2198204010015')).toBe('370***********0015');
    expect(maskTypedLookup('370⑩2198204010015')).toBe('370***********0015');
    // Kept where it stands among the last four: ⑮ as the 16th and 17th digits.
    const check = withCheck('37010219820401015').slice(17);
    expect(maskPersonalText(`备注370102198204010⑮${check}`)).toBe(`备注3701**********0⑮${check}`);
    const fifty = withCheck('37010219500101050').slice(17);
    expect(maskPersonalText(`37010219㊿0101050${fifty}`)).toBe(`3701**********050${fifty}`);
  });

  it('masks an ID whose check character X stands apart, as the validator joins it (`…002 X`, `…002-X`)', () => {
    expect(maskPersonalText('号码11010519491231002 X。')).toBe('号码1101**********002 X。');
    expect(maskPersonalText('11010519491231002-X')).toBe('1101**********002-X');
    expect(maskTypedLookup('11010519491231002 x')).toBe('1101**********002 x');
  });

  it('masks a lookup typed a digit short whose birth year is before 1900, as the validator allows (1800 on)', () => {
    expect(maskTypedLookup('44052418800101001')).toBe('4405*********1001');
    expect(maskTypedLookup('440524188001010011')).toBe('4405**********0011');
  });
});
