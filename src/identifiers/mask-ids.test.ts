import { describe, expect, it } from 'vitest';
import { foldDigits } from './id-digits.ts';
import { checkIdentifier } from './index.ts';
import { maskOwnIds, maskPersonalText, maskQuotedIds, maskTypedLookup } from './mask-ids.ts';
import { normalizeCode } from './normalize-code.ts';
import { computeResidentIdCheckChar } from './resident-id.ts';
import { checkUscc } from './uscc.ts';

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
      // Two digits written on (an individual business's 税务登记号: its owner's ID and a sequence number), in the
      // same form: the character twice, once for ⑩–㊿; plain ones after an X or a removed character.
      const suffix = reads === '' || reads === 'X' ? '01' : reads.length === 1 ? char + char : char;
      const own = new Set([shown(typed)]);
      for (const [name, masked] of [
        ['text', maskPersonalText(`号码${typed}。`)],
        ['lookup', maskTypedLookup(typed)],
        ['text + 2 digits', maskPersonalText(`税务登记号${typed}${suffix}。`)],
        ['lookup + 2 digits', maskTypedLookup(`${typed}${suffix}`)],
        ['own + 2 digits', maskOwnIds(`税务登记号${typed}${suffix}。`, own)],
        ['quoted + 2 digits', maskQuotedIds(`税务登记号${typed}${suffix}。`)],
      ] as const) {
        if (shown(masked).includes(birth))
          leaks.push(`${char.codePointAt(0)!.toString(16)} ${name}: ${JSON.stringify(masked)}`);
      }
    }
    expect(leaks).toEqual([]);
    expect([...kinds].sort()).toEqual(['1 digit(s)', '2 digit(s)', 'X', 'removed']);
  });
});

describe("a person's own ID typed one character wrong, short or long, in any digit form", () => {
  it('masks it for every character the validator reads as one digit', () => {
    const leaks: string[] = [];
    let checked = 0;
    for (const { char, reads } of validatorReadings()) {
      if (reads.length !== 1 || reads === 'X') continue;
      // The person's ID holds the digit at its 17th place; the text has it with the check character wrong,
      // the 16th digit lost, or a digit added.
      const id = withCheck(`3701021982040100${reads}`);
      const wrong = String((Number(id.slice(17).replace('X', '0')) + 1) % 10);
      const own = new Set([id]);
      for (const typed of [
        `3701021982040100${char}${wrong}`,
        `370102198204010${char}${id.slice(17)}`,
        `3701021982040100${char}5${id.slice(17)}`,
      ]) {
        const masked = maskOwnIds(`违法事实：误写${typed}。`, own);
        if (shown(masked).includes('19820401'))
          leaks.push(`${char.codePointAt(0)!.toString(16)}: ${JSON.stringify(masked)}`);
        checked++;
      }
    }
    expect(leaks).toEqual([]);
    expect(checked).toBeGreaterThan(300);
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

  it('masks a 税务登记号 that is a resident ID and two digits (`…3273` + `01`), the two digits kept', () => {
    for (const masker of [maskPersonalText, maskTypedLookup]) {
      expect(masker('37010219881120327301')).toBe('3701**********327301');
      expect(masker('３７０１０２１９８８１１２０３２７３０１')).toBe('３７０１**********３２７３０１');
      expect(masker('37010219830401091X01')).toBe('3701**********091X01');
      expect(masker('370102198811203273０１')).toBe('3701**********3273０１');
      expect(masker('370102 19881120 327301')).toBe('3701** ******** 327301');
      expect(masker('370102198811203273-01')).toBe('3701**********3273-01');
    }
    // Not an ID and two digits: a bank account, an X with one digit after it (no valid ID inside either).
    for (const text of ['62220212345678901234', '37110219790612404X5']) {
      expect(maskPersonalText(text)).toBe(text);
    }
    // Three digits on: no 税务登记号, but an ID touching other digits all the same (maskInside), masked.
    expect(maskPersonalText('370102198811203273012')).toBe('3701**********3273012');
  });

  it("masks a row's own ID typed one character wrong, short or long, never a valid USCC near it", () => {
    const own = new Set(['370102197906124047']);
    expect(maskOwnIds('误写370102197906124048', own)).toBe('误写3701**********4048');
    expect(maskOwnIds('误写３７０１０２１９７９０６１２４０４８', own)).toBe(
      '误写３７０１**********４０４８',
    );
    expect(maskOwnIds('号码370102 19790612 4147', own)).toBe('号码3701** ******** 4147');
    expect(maskOwnIds('漏录37010219790612404', own)).toBe('漏录3701*********2404');
    expect(maskOwnIds('多录3701021979061244047', own)).toBe('多录3701***********4047');
    expect(maskOwnIds('X错为数字11010519491231002 1', new Set(['11010519491231002X']))).toBe(
      'X错为数字1101**********002 1',
    );
    // Two characters off, another number: shown.
    for (const text of ['370102197906124158', '3701021979061240']) {
      expect(maskOwnIds(text, own)).toBe(text);
    }
    // The own ID itself with digits written on: found inside the longer run.
    expect(maskOwnIds('370102197906124047777', own)).toBe('3701**********4047777');
    // A valid USCC one character from a person's number stays a company's code.
    expect(maskOwnIds('913701020000050122', new Set(['913701020000050123']))).toBe('913701020000050122');
  });

  it("masks a row's own 15-digit legacy ID one digit off, and its 18-character form mistyped; never a USCC", () => {
    // 370102880412001 converts to 370102198804120015 (GB 11643: 19 before the year, check character 5).
    const legacy = new Set(['370102880412001']);
    expect(maskOwnIds('误写370102880412002', legacy)).toBe('误写3701*******2002');
    expect(maskOwnIds('误写３７０１０２８８０４１３００１', legacy)).toBe('误写３７０１*******３００１');
    expect(maskOwnIds('号码370102 880412 011', legacy)).toBe('号码3701** *****2 011');
    // Its 18-character form: as converted, with a wrong check character, a digit changed, lost or added.
    expect(maskOwnIds('换算为370102198804120015', legacy)).toBe('换算为3701**********0015');
    expect(maskOwnIds('换算为370102198804120016', legacy)).toBe('换算为3701**********0016');
    expect(maskOwnIds('换算为370102198804130015', legacy)).toBe('换算为3701**********0015');
    expect(maskOwnIds('漏录37010219880412015', legacy)).toBe('漏录3701*********2015');
    expect(maskOwnIds('多录3701021988041200015', legacy)).toBe('多录3701***********0015');
    // A row's 18-character own ID quoted in its 15-digit form one digit off.
    expect(maskOwnIds('旧号370102880412002', new Set(['370102198804120015']))).toBe('旧号3701*******2002');
    // Two digits off, another number: shown.
    for (const text of ['370102880412099', '370102198804120099', '370102880512101']) {
      expect(maskOwnIds(text, legacy)).toBe(text);
    }
    // A valid USCC one character from a 15-digit number's 18-character form (110101198503120199) stays shown.
    expect(checkUscc('11010119850312019N', { allowPilotCodes: true })).toBeNull();
    for (const own of ['110101850312019', '110101198503120199']) {
      expect(maskOwnIds('11010119850312019N', new Set([own]))).toBe('11010119850312019N');
      expect(maskOwnIds('代码：１１０１０１１９８５０３１２０１９Ｎ。', new Set([own]))).toBe(
        '代码：１１０１０１１９８５０３１２０１９Ｎ。',
      );
    }
    // Its 17 digits with no USCC beside them: the 18-character form with a digit lost.
    expect(maskOwnIds('11010119850312019N5', new Set(['110101850312019']))).toBe('1101*********2019N5');
    expect(maskQuotedIds('备注11010119850312019N。')).toBe('备注11010119850312019N。');
  });

  it("masks another organisation's quoted ID-shaped runs even mistyped; never a USCC or a case number", () => {
    expect(maskQuotedIds('当事人身份证号370102199207156622')).toBe('当事人身份证号3701**********6622');
    expect(maskQuotedIds('联系人证件 370102-1988-1120-3274')).toBe('联系人证件 3701**-****-****-3274');
    expect(maskQuotedIds('漏录37010219920715662，多录3701021992071566222')).toBe(
      '漏录3701*********5662，多录3701***********6222',
    );
    expect(maskQuotedIds('３７０１０２１９９２０７１５６６２２')).toBe('３７０１**********６６２２');
    for (const text of [
      '91370102000005012X',
      '913701020000050122',
      '案号2023001234567',
      '990102199207156622', // no province 99
      '370102199213156622', // month 13
      '账号6222021234567890123',
    ]) {
      expect(maskQuotedIds(text)).toBe(text);
    }
  });

  it('masks an ID right after a JSON escape, as output masked after JSON.stringify holds it', () => {
    const id = '370102197503090030';
    for (const value of [`ab\u0001${id}.csv`, `ab\ud800${id}`, `济南\u001f${id}示例`]) {
      const json = JSON.stringify({ name: value });
      expect(json).toMatch(/\\u[0-9a-f]{4}370102/);
      const masked = maskPersonalText(json);
      expect(masked).not.toContain(id);
      expect(masked).toContain('3701**********0030');
      expect(maskOwnIds(json, new Set([id]))).not.toContain(id);
    }
    // The escape is kept as it is, and a USCC after one is shown.
    expect(maskPersonalText(JSON.stringify('a\u000191350100M000100Y43'))).toBe(
      '"a\\u000191350100M000100Y43"',
    );
  });
});

describe('IDs touching other digits, split by JSON line-break escapes, USCC letters set apart (review of Dec 2026)', () => {
  const id = '370102197503090014';
  const other = '370102197503090022';

  it('masks an ID inside a longer digit run: after a phone number, two back to back, after an ID ending in X', () => {
    for (const masker of [maskPersonalText, maskTypedLookup, maskQuotedIds]) {
      expect(masker(`当事人13800138000${id}`)).toBe('当事人138001380003701**********0014');
      expect(masker(`${id}${other}`)).toBe('3701**********00143701**********0022');
      expect(masker(`11010519491231002X${id}`)).toMatch(/^1101\*{9,10}\d{0,1}002X3701\*{10}0014$/);
      expect(masker(`３７０１０２１９７５０３０９００１４１２３`)).toBe('３７０１**********００１４１２３');
    }
    expect(maskPersonalText(`11010519491231002X${id}`)).toBe('1101**********002X3701**********0014');
    // In JSON output as well, and a row's own ID anywhere in a run (maskOwnIds: the other one is not its own).
    expect(maskPersonalText(JSON.stringify({ facts: `电话13800138000${id}` }))).toBe(
      '{"facts":"电话138001380003701**********0014"}',
    );
    expect(maskOwnIds(`电话13800138000${id}${other}`, new Set([id]))).toBe(
      `电话138001380003701**********0014${other}`,
    );
  });

  it("masks a row's own ID inside a longer run even where it is a valid USCC, and its 15-digit form", () => {
    const both = '123701198001010106'; // a valid USCC and a valid ID
    expect(checkUscc(both)).toBeNull();
    expect(maskPersonalText(`电话13800138000${both}`)).toBe(`电话13800138000${both}`);
    expect(maskOwnIds(`电话13800138000${both}`, new Set([both]))).toBe('电话138001380001237**********0106');
    // A 15-digit legacy number inside a longer run: only a row's own (a real YYMMDD sits in most long numbers).
    expect(maskPersonalText('电话13800138000370102750309001')).toBe('电话13800138000370102750309001');
    expect(maskOwnIds('电话13800138000370102750309001', new Set([id]))).toBe(
      '电话138001380003701*******9001',
    );
    expect(maskOwnIds('号13800138000370102750309001', new Set(['370102750309001']))).toBe(
      '号138001380003701*******9001',
    );
  });

  it('never masks a character of a valid USCC in the run, nor long numbers holding no ID', () => {
    expect(maskPersonalText(`913701020000050122${id}`)).toBe('9137010200000501223701**********0014');
    // A USCC holding the ID's first 5 characters: its masked ones would be the USCC's; both left shown.
    expect(checkUscc('928842024404237010', { allowPilotCodes: true })).toBeNull();
    expect(maskPersonalText(`9288420244042${id}`)).toBe(`9288420244042${id}`);
    // A USCC holding only the ID's first character: the ID masked, the USCC whole.
    expect(checkUscc('920000060488604803', { allowPilotCodes: true })).toBeNull();
    expect(maskPersonalText(`92000006048860480${id}`)).toBe('920000060488604803701**********0014');
    for (const text of [
      '账号622202123456789012345678901234',
      '流水号20261207112025123456789012',
      '0'.repeat(60),
    ]) {
      expect(maskPersonalText(text)).toBe(text);
    }
  });

  it('masks an ID split by a line break, carriage return, tab or form feed as JSON.stringify escapes them', () => {
    for (const space of ['\n', '\r', '\t', '\f', '\r\n']) {
      const json = JSON.stringify({ v: `文号370102${space}197503090014` });
      expect(json).toContain('370102\\');
      const escaped = JSON.stringify(space).slice(1, -1);
      expect(maskPersonalText(json), escaped).toBe(`{"v":"文号3701**${escaped}********0014"}`);
      expect(maskOwnIds(json, new Set([id])), escaped).toBe(`{"v":"文号3701**${escaped}********0014"}`);
      // As the human output has it, unstringified.
      expect(maskPersonalText(`文号370102${space}197503090014`)).toBe(`文号3701**${space}********0014`);
    }
    // A USCC split so stays shown; `\b` and `\"` stand for no space.
    expect(maskPersonalText(JSON.stringify('913701020000\n050122'))).toBe('"913701020000\\n050122"');
    expect(maskPersonalText(JSON.stringify('370102\b197503090014'))).toBe('"370102\\b197503090014"');
  });

  it('leaves a USCC whose check letter is set apart by a space, dash or line break; masks one that is no USCC', () => {
    expect(checkUscc('11010119850312019N', { allowPilotCodes: true })).toBeNull();
    for (const text of [
      '代码11010119850312019 N',
      '代码11010119850312019-N。',
      '代码11010119850312019\nN',
      '代码11010119850312019\r\nN',
      '代码１１０１０１１９８５０３１２０１９　Ｎ',
      JSON.stringify('代码11010119850312019\nN'),
    ]) {
      expect(maskQuotedIds(text), text).toBe(text);
      expect(maskPersonalText(text), text).toBe(text);
      expect(maskTypedLookup(text), text).toBe(text);
    }
    // Not a USCC together (another letter, or more code characters after it): masked as an ID typed a digit short.
    expect(maskQuotedIds('代码11010119850312019 M')).toBe('代码1101*********2019 M');
    expect(maskQuotedIds('代码11010119850312019 NA')).toBe('代码1101*********2019 NA');
  });
});

describe('IDs parted by punctuation (review of Dec 2026)', () => {
  const id = '370102197503090014';
  const separators = ['.', '/', '_', '|', '·', '、', '．', '／', '＿', '｜', '・'];

  it('masks an ID whose groups are parted by a full stop, slash, low line, vertical line, middle dot or 、', () => {
    for (const sep of separators) {
      const masked = `3701**${sep}********${sep}0014`;
      expect(maskPersonalText(`号码370102${sep}19750309${sep}0014。`), sep).toBe(`号码${masked}。`);
      expect(maskPersonalText(`370102${sep}197503090014`), sep).toBe(`3701**${sep}********0014`);
      expect(maskQuotedIds(`号码370102${sep}19750309${sep}0014`), sep).toBe(`号码${masked}`);
      expect(maskTypedLookup(`370102${sep}19750309${sep}0014`), sep).toBe(masked);
      expect(maskOwnIds(`号码370102${sep}19750309${sep}0014`, new Set([id])), sep).toBe(`号码${masked}`);
    }
  });

  it('masks one parted by punctuation and spaces together, ending in X, full-width, in JSON, beside other text', () => {
    expect(maskPersonalText('370102 / 19750309 / 0014')).toBe('3701** / ******** / 0014');
    expect(maskPersonalText('370102 - 19750309.0014')).toBe('3701** - ********.0014');
    expect(maskPersonalText('110105.19491231.002X')).toBe('1101**.********.002X');
    expect(maskPersonalText('１１０１０５／１９４９１２３１００２Ｘ')).toBe('１１０１**／********００２Ｘ');
    expect(maskPersonalText(JSON.stringify({ v: '370102_197503090014' }))).toBe(
      '{"v":"3701**_********0014"}',
    );
    expect(maskPersonalText('文件/data/in/370102_197503090014.csv，行12')).toBe(
      '文件/data/in/3701**_********0014.csv，行12',
    );
    // Two IDs in a list: each masked, the date after them shown.
    expect(maskPersonalText('370102/197503090014、370102/197503090022、2024.01.01')).toBe(
      '3701**/********0014、3701**/********0022、2024.01.01',
    );
    // An individual business's 税务登记号 (the owner's ID and two digits written on), parted so.
    expect(maskPersonalText('370102.19750309001401')).toBe('3701**.********001401');
  });

  it('leaves dates, decimals, amounts, paths, lists and USCCs parted by punctuation as they are', () => {
    for (const text of [
      '2024.01.01',
      '2024/01/01、2024/01/02、2024/01/03、2024/01/04',
      '日期2024.01.01至2026.12.31，金额12345678901234.5678元',
      '金额 1,234,567,890.12 / 987654321.09',
      '/data/in/2024/01/01/370102/20240101_123456.csv',
      'D:\\in\\2024\\12\\07\\penalty_20261207_001.xlsx',
      '1.2.840.113549.1.1.11',
      '192.168.100.200/24|10.0.0.1',
      '91370102MA3C0ABC1X/91370102MA3C0ABC1X',
      // 15 digits with a real YYMMDD: no check character to tell an ID from a number parted so.
      '文号370102.800101.123',
      '电话0531-88888888/13800138000',
      // 18 digits with a real birth date, its check character wrong: no ID in free text.
      '370102.19750309.0015',
      // 18 digits with a decimal point, the first with its check character right: no real birth date, no ID.
      '98765432101234567.5',
      '1234567890123456.78',
    ]) {
      expect(maskPersonalText(text), text).toBe(text);
      expect(maskQuotedIds(text), text).toBe(text);
      // Another person's own number: theirs is masked wherever it stands, one character off too.
      expect(maskOwnIds(text, new Set(['440306199001011236'])), text).toBe(text);
    }
    // A valid USCC that is also a valid ID, parted so: a company's code, unless the row says it is a person's.
    const both = '123701198001010106';
    expect(maskPersonalText('123701/198001010106')).toBe('123701/198001010106');
    expect(maskOwnIds('123701/198001010106', new Set([both]))).toBe('1237**/********0106');
    // A USCC whose 17 digits are parted by a full stop, its letter after them: never a person's mistyped number.
    const near = new Set(['110101198503120199']);
    expect(maskOwnIds('代码11010119850312019N', near)).toBe('代码11010119850312019N');
    expect(maskOwnIds('代码1101011985.0312019N', near)).toBe('代码1101011985.0312019N');
  });

  it('reads the typed and the own number a little wider: any check character, the 15-digit form', () => {
    // What a person typed to look up: shaped like an ID, perhaps mistyped; free text stays strict.
    expect(maskTypedLookup('370102_197503090015')).toBe('3701**_********0015');
    expect(maskPersonalText('370102_197503090015')).toBe('370102_197503090015');
    // A row's own number in its 15-digit form; another 15-digit number parted so is no one's.
    expect(maskOwnIds('文号370102.750309.001', new Set([id]))).toBe('文号3701**.*****9.001');
    expect(maskPersonalText('文号370102.750309.001')).toBe('文号370102.750309.001');
  });
});
