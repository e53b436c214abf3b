import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../fixtures/generate/seeded-random.ts';
import type { CatalogEntry } from '../catalog/catalog-entry.ts';
import { computeResidentIdCheckChar } from '../identifiers/resident-id.ts';
import { checkUscc } from '../identifiers/uscc.ts';
import {
  clearFieldMaskerOf,
  fieldMaskerOf,
  maskPersonalField,
  maskPersonalText,
  maskTypedLookup,
} from './mask-personal-data.ts';

/** Real, public all-digit USCCs (domain-notes, fixtures): every one passes uscc.ts. */
const ALL_DIGIT_USCCS = ['121200004013590816', '913701020000050122', '913701020000090800'];
/** Valid as a USCC and as a resident ID at once (built to be): the USCC wins, as the issue requires. */
const BOTH = '123701198001010106';

describe('maskPersonalText', () => {
  it('keeps the first 4 and last 4 characters of an 18-character ID', () => {
    expect(maskPersonalText('370102199001011231')).toBe('3701**********1231');
    expect(maskPersonalText('11010519491231002X')).toBe('1101**********002X');
    expect(maskPersonalText('11010519491231002x')).toBe('1101**********002x');
  });

  it('masks a legacy 15-digit ID with a real birth date', () => {
    expect(maskPersonalText('610104620927690')).toBe('6101*******7690');
  });

  it('masks every ID inside free text, Chinese punctuation and JSON included', () => {
    expect(maskPersonalText('身份证号370102199001011231与11010519491231002X不一致')).toBe(
      '身份证号3701**********1231与1101**********002X不一致',
    );
    expect(maskPersonalText('{"zjhm":"370102199001011231"}')).toBe('{"zjhm":"3701**********1231"}');
  });

  it('masks full-width and spaced IDs, leaving the characters around them as typed', () => {
    expect(maskPersonalText('当事人３７１１０２１９７９０６１２４０４８')).toBe(
      '当事人３７１１**********４０４８',
    );
    expect(maskPersonalText('证件 371102 19790612 4048 号')).toBe('证件 3711** ******** 4048 号');
    expect(maskPersonalText('371102-1979-0612-4048')).toBe('3711**-****-****-4048');
    expect(maskPersonalText('３７１１０２　１９７９０６１２　４０４８')).toBe(
      '３７１１**　********　４０４８',
    );
    expect(maskPersonalText('11010519491231002Ｘ')).toBe('1101**********002Ｘ');
  });

  it('masks an ID whose groups invisible characters or a minus sign part, as a reader sees it whole', () => {
    expect(maskPersonalText('号码371102\u200B19790612\u200B4048。')).toBe(
      '号码3711**\u200B********\u200B4048。',
    );
    expect(maskPersonalText('371102\uFEFF19790612\u00AD4048')).toBe('3711**\uFEFF********\u00AD4048');
    expect(maskPersonalText('371102 \u2212 19790612\u22124048')).toBe('3711** \u2212 ********\u22124048');
  });

  it('masks an ID parted by thin or figure spaces, line breaks in a cell, direction marks or doubled dashes', () => {
    for (const separator of [
      '\u2009',
      '\u2007',
      '\u202F',
      '\n',
      '\r\n',
      '\u200E',
      '\u200F',
      '\u2066',
      '--',
      '- -',
    ]) {
      const typed = `当事人370102${separator}19900307${separator}0016。`;
      expect(maskPersonalText(typed), JSON.stringify(typed)).toBe(
        `当事人3701**${separator}********${separator}0016。`,
      );
    }
  });

  it('leaves no ID readable among 20,000 typed as people type them, in text around them', () => {
    const next = seededRandom(11);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const fullWidth = (text: string) =>
      text.replace(/[0-9X]/g, (c) => (c === 'X' ? 'Ｘ' : String.fromCharCode(c.charCodeAt(0) - 48 + 0xff10)));
    const around = [
      '',
      '身份证号',
      '：',
      ' ',
      '（',
      '）',
      '"',
      '\n',
      'abc',
      '，',
      '。',
      '\t',
      '#',
      '-',
      '/',
      '\u3000',
    ];
    const separators = [
      ' ',
      '  ',
      '-',
      ' - ',
      '\u3000',
      '\u00A0',
      '－',
      '—',
      '\t',
      '\u2010',
      '\u2212',
      '\u200B',
      '\uFEFF',
      '\u2007',
      '\u2009',
      '\u202F',
      '\n',
      '\r\n',
      '\u200E',
      '\u2062',
      '--',
      '- -',
    ];
    const groupings = [[], [], [6, 14], [6, 10, 14], [3, 6, 14], [4, 8, 12, 16], [6]];
    let checked = 0;
    for (let n = 0; n < 20_000; n++) {
      const birth = `${1950 + Math.floor(next() * 60)}${String(1 + Math.floor(next() * 12)).padStart(2, '0')}${String(1 + Math.floor(next() * 28)).padStart(2, '0')}`;
      const first17 = `${pick(['370102', '440305', '510104', '110101', '320106'])}${birth}${String(Math.floor(next() * 1000)).padStart(3, '0')}`;
      const id = first17 + computeResidentIdCheckChar(first17);
      // A string valid as a USCC too is shown (the USCC wins): not this test's concern.
      if (checkUscc(id, { allowPilotCodes: true }) === null) continue;
      const cuts = pick(groupings);
      let typed = '';
      for (let i = 0; i < 18; i++) typed += (cuts.includes(i) ? pick(separators) : '') + id[i];
      if (next() < 0.3) typed = fullWidth(typed);
      const masked = maskPersonalText(pick(around) + typed + pick(around));
      const digits = masked.replace(/[\uFF10-\uFF19]/g, (c) =>
        String.fromCharCode(c.charCodeAt(0) - 0xff10 + 48),
      );
      expect(digits.replace(/[^0-9*]/g, ''), masked).not.toContain(id.slice(4, 14));
      checked++;
    }
    expect(checked).toBeGreaterThan(19_000);
  });

  it('finds an ID among other numbers of a spaced run', () => {
    expect(maskPersonalText('第12 371102197906124048 5行')).toBe('第12 3711**********4048 5行');
  });

  it('never masks a valid USCC, all-digit ones included', () => {
    for (const uscc of [...ALL_DIGIT_USCCS, BOTH, '91370112MA9A37366E']) {
      expect(maskPersonalText(`代码${uscc}。`)).toBe(`代码${uscc}。`);
    }
  });

  it('leaves mistyped IDs, longer digit runs and short numbers in free text as they are', () => {
    for (const text of [
      '370102199001011234', // wrong check digit
      '370102199013011231', // month 13
      '6222021234567890123', // 19-digit bank card
      '62220212345678901234', // 20 digits
      '3701021990010112', // 16 digits
      '37010219900101123', // 17 digits
      '37110219790612404X5', // an X followed by a digit ends nothing
      'row 1234, 200000 rows, 2026-11-27 10:00:00',
    ]) {
      expect(maskPersonalText(text)).toBe(text);
    }
  });
});

/** An ASCII text with its digits (and X) written in another form: `0` maps to `zero`, the rest follow it. */
const inDigits = (text: string, zero: number, x = 'X') =>
  text.replace(/[0-9X]/g, (c) => (c === 'X' ? x : String.fromCodePoint(zero + Number(c))));
const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';
const CIRCLED = '⓪①②③④⑤⑥⑦⑧⑨';
const inTable = (text: string, digits: string) =>
  text.replace(/[0-9]/g, (c) => Array.from(digits)[Number(c)]!);

describe('IDs written in other digit forms (the validator reads them through NFKC)', () => {
  const id = '370102198002020020'; // valid
  const forms: [string, string][] = [
    ['mathematical bold', inDigits(id, 0x1d7ce)],
    ['mathematical monospace', inDigits(id, 0x1d7f6)],
    ['superscript', inTable(id, SUPERSCRIPT)],
    ['subscript', inDigits(id, 0x2080)],
    ['circled', inTable(id, CIRCLED)],
    ['Arabic-Indic', inDigits(id, 0x660)],
    ['Extended Arabic-Indic', inDigits(id, 0x6f0)],
    ['Devanagari', inDigits(id, 0x966)],
    ['mixed', `370102${inDigits('19800202', 0x1d7ce)}${inTable('0020', SUPERSCRIPT)}`],
  ];

  it('masks them in free text, each character where it stands, its first and last 4 kept', () => {
    for (const [name, typed] of forms) {
      const chars = Array.from(typed);
      const masked = `${chars.slice(0, 4).join('')}${'*'.repeat(10)}${chars.slice(-4).join('')}`;
      expect(maskPersonalText(`同案${typed}经营`), name).toBe(`同案${masked}经营`);
      expect(maskTypedLookup(typed), name).toBe(masked);
    }
  });

  it('masks them spaced, and an X check character in any form (𝐗, Ⅹ, ⓧ, full-width)', () => {
    const withX = '11010519491231002X';
    for (const x of ['𝐗', '\u2169', '\u24e7', 'Ｘ', 'x']) {
      const typed = inDigits(withX, 0x1d7ce, x);
      expect(maskPersonalText(typed), x).toBe(
        `${Array.from(typed).slice(0, 4).join('')}${'*'.repeat(10)}𝟎𝟎𝟐${x}`,
      );
    }
    const spaced = `${inDigits('370102', 0x660)} ${inDigits('19800202', 0x660)} ${inDigits('0020', 0x660)}`;
    expect(maskPersonalText(spaced)).toBe('٣٧٠١** ******** ٠٠٢٠');
  });

  it('masks a mistyped one echoed as a lookup, and one typed a digit short', () => {
    expect(maskTypedLookup(inDigits('370102198002020021', 0x1d7ce))).toBe(
      `${inDigits('3701', 0x1d7ce)}${'*'.repeat(10)}${inDigits('0021', 0x1d7ce)}`,
    );
    expect(maskTypedLookup(inDigits('37010219800202002', 0x660))).toBe('٣٧٠١*********٢٠٠٢');
    expect(maskPersonalText(inDigits('370102198002020021', 0x1d7ce))).toBe(
      inDigits('370102198002020021', 0x1d7ce),
    );
  });

  it('never masks a valid USCC written so, nor other numbers', () => {
    for (const uscc of ALL_DIGIT_USCCS) {
      for (const typed of [inDigits(uscc, 0x1d7ce), inDigits(uscc, 0x660), inTable(uscc, SUPERSCRIPT)]) {
        expect(maskPersonalText(typed)).toBe(typed);
        expect(maskTypedLookup(typed)).toBe(typed);
      }
    }
    for (const other of ['³⁷⁰¹⁰²', inDigits('6222021234567890123', 0x660), '①②③④⑤⑥⑦⑧⑨⓪①②③④⑤⑥⑦⑧']) {
      expect(maskPersonalText(other)).toBe(other);
    }
  });
});

describe('an ID Excel stored as a number: 15 digits kept, 000 after them', () => {
  it('is masked in free text when the 7th–14th digits are a real birth date', () => {
    expect(maskPersonalText('370102198204010000')).toBe('3701**********0000');
    expect(maskPersonalText('备注：370102198002020000。')).toBe('备注：3701**********0000。');
    expect(maskTypedLookup('370102198204010000')).toBe('3701**********0000');
  });

  it('never masks a valid USCC ending in 000 with a date-like run, nor other numbers ending in 000', () => {
    // Valid all-digit USCCs (the USCC check, pilot codes allowed) whose 7th–14th characters read as a date.
    for (const uscc of ['911101195011016000', '911101196402158000']) {
      expect(checkUscc(uscc, { allowPilotCodes: true })).toBeNull();
      expect(maskPersonalText(`代码${uscc}`)).toBe(`代码${uscc}`);
      expect(maskTypedLookup(uscc)).toBe(uscc);
    }
    for (const other of [
      '370102198213010000',
      '370102000000000000',
      '3701021982040100000',
      '370102198204010100',
    ]) {
      expect(maskPersonalText(other)).toBe(other);
    }
  });
});

describe('maskTypedLookup', () => {
  it('masks what was typed to find a person even with a wrong check character; never a USCC or a decision number', () => {
    expect(maskTypedLookup('370102199912310011')).toBe('3701**********0011');
    expect(maskTypedLookup(' 370102 19991231 0011 ')).toBe(' 3701** ******** 0011 ');
    expect(maskTypedLookup('370102199001011231')).toBe('3701**********1231');
    expect(maskTypedLookup('37010219900101123')).toBe('3701*********1123');
    for (const typed of [...ALL_DIGIT_USCCS, '91370112MA9A37366E', '鲁济市监罚〔2026〕3031号', '12345']) {
      expect(maskTypedLookup(typed)).toBe(typed);
    }
  });
});

describe('maskPersonalField', () => {
  it('masks whatever a personal field holds: first and last 4 from 12 characters, 2 from 5, all below', () => {
    expect(maskPersonalField('370102199001011234')).toBe('3701**********1234');
    expect(maskPersonalField('37010219900101')).toBe('3701******0101');
    expect(maskPersonalField('E12345678')).toBe('E1*****78');
    expect(maskPersonalField('1234')).toBe('****');
    expect(maskPersonalField('')).toBe('');
  });
});

describe('fieldMaskerOf', () => {
  const entry = {
    schema: {
      type: 'object',
      required: [],
      properties: {
        ZJHM: { title: '证件号码', type: 'string', 'x-personal': true },
        SHDM: { title: '统一社会信用代码', type: 'string', format: 'uscc' },
        GSZC: { title: '工商注册号', type: 'string', format: 'business-reg-number' },
        SY: { title: '违法事实', type: 'string' },
        FK: { title: '罚款', type: 'number' },
      },
    },
  } as unknown as CatalogEntry;
  const masker = fieldMaskerOf(entry);

  it('masks a personal field whole, even an ID that does not check', () => {
    expect(masker.cell('ZJHM', '37010219900101123')).toBe('3701*********1123');
    expect(masker.isPersonal('ZJHM')).toBe(true);
  });

  it('masks an ID typed into a code column even with a wrong check digit, never a valid USCC there', () => {
    expect(masker.cell('SHDM', '370102199001011231')).toBe('3701**********1231');
    expect(masker.cell('SHDM', '370102199001011234')).toBe('3701**********1234');
    for (const uscc of [...ALL_DIGIT_USCCS, BOTH]) expect(masker.cell('SHDM', uscc)).toBe(uscc);
  });

  it('masks an ID typed a digit short or long into a code column, full-width or spaced too', () => {
    for (const [typed, shown] of [
      ['37010219900101123', '3701*********1123'], // the last digit lost
      ['37010199001011231', '3701*********1231'], // a digit of the region lost: the birth date one to the left
      ['3701021990010112311', '3701***********2311'], // one digit too many at the end
      ['3701022199001011231', '3701***********1231'], // one too many before the birth date
      ['３７０１０２１９９００１０１１２３', '３７０１*********１１２３'],
      ['370102 19900101 123', '3701*********** 123'],
    ] as const) {
      expect(masker.cell('SHDM', typed), typed).toBe(shown);
      expect(masker.message(`"统一社会信用代码"的值"${typed}"有误`, { SHDM: typed }), typed).not.toMatch(
        /19900101|１９９００１０１/,
      );
    }
  });

  it('shows a code column value of 17 or 19 characters that holds no birth date, and leaves free text alone', () => {
    // A USCC a character short, a 19-digit bank card, 17 digits with no real birth date where an ID has one.
    for (const value of ['91370102MA3C12345', '6222021234567890123', '12345678901234567']) {
      expect(masker.cell('SHDM', value)).toBe(value);
    }
    expect(masker.cell('SY', '37010219900101123')).toBe('37010219900101123');
  });

  it('shows a valid code of the column kind even where it reads like a 15-digit ID', () => {
    // 370102 600123 45 1: a valid 工商注册号 whose 7th–12th digits read as 1960-01-23.
    expect(masker.cell('GSZC', '370102600123451')).toBe('370102600123451');
    expect(maskPersonalText('370102600123451')).toBe('3701*******3451');
    expect(masker.cell('GSZC', '610104620927690')).toBe('6101*******7690');
  });

  it('masks only what checks as an ID in free-text fields', () => {
    expect(masker.cell('SY', '当事人370102199001011231')).toBe('当事人3701**********1231');
    expect(masker.cell('SY', '编号370102199001011234')).toBe('编号370102199001011234');
  });

  it('masks a row by field, numbers as they are', () => {
    expect(masker.row({ ZJHM: 'E12345678', SY: '370102199001011231', FK: 370102199001011 })).toEqual({
      ZJHM: 'E1*****78',
      SY: '3701**********1231',
      FK: 370102199001011,
    });
  });

  it('masks a personal value wherever a message quotes it, then any ID in the text', () => {
    const quoted = { ZJHM: '37010219900101123', SHDM: '121200004013590816' };
    expect(
      masker.message(
        '"证件号码"的值"37010219900101123"应为18位；代码121200004013590816；另370102199001011231',
        quoted,
      ),
    ).toBe('"证件号码"的值"3701*********1123"应为18位；代码121200004013590816；另3701**********1231');
  });

  it('masks a mistyped ID a message quotes as the validator read it: full-width folded, spaces dropped', () => {
    const message = '"证件号码"的值"370102198001011230"有误：第18位应为"7"';
    const masked = '"证件号码"的值"3701**********1230"有误：第18位应为"7"';
    for (const typed of [
      '３７０１０２１９８００１０１１２３０',
      '370102 19800101 1230',
      '370102-19800101-1230',
    ]) {
      expect(masker.message(message, { ZJHM: typed }), typed).toBe(masked);
      expect(masker.message(message.replace('证件号码', '统一社会信用代码'), { SHDM: typed }), typed).toBe(
        masked.replace('证件号码', '统一社会信用代码'),
      );
    }
  });

  it('passes over the numbers and nulls a stored row holds among the values it quotes', () => {
    const row = { FK: 5, SY: null, ZJHM: '370102199001011236' };
    expect(masker.message('"证件号码"的值"370102199001011236"有误；罚款5万元', row)).toBe(
      '"证件号码"的值"3701**********1236"有误；罚款5万元',
    );
  });

  it('masks the personal values of every row a message quotes (a conflict quotes the current version too)', () => {
    const text = '"证件号码"与现行数据不一致：本次报送"E12345678"，现行数据"E87654321"';
    expect(masker.message(text, { ZJHM: 'E12345678' }, { ZJHM: 'E87654321' })).toBe(
      '"证件号码"与现行数据不一致：本次报送"E1*****78"，现行数据"E8*****21"',
    );
  });

  it('without an entry treats every field as free text', () => {
    expect(fieldMaskerOf(undefined).cell('ZJHM', 'E12345678')).toBe('E12345678');
  });
});

describe("a row's own personal values: masked wherever the row shows them, even as valid USCCs", () => {
  const entry = {
    businessKey: ['WSH', 'ZJHM'],
    subjectCodeField: ['SHDM', 'ZJHM'],
    schema: {
      type: 'object',
      required: [],
      properties: {
        ZJHM: { title: '证件号码', type: 'string', 'x-personal': true },
        SHDM: { title: '统一社会信用代码', type: 'string', format: 'uscc' },
        WSH: { title: '决定书文号', type: 'string' },
        SY: { title: '违法事实', type: 'string' },
      },
    },
  } as unknown as CatalogEntry;
  const masker = fieldMaskerOf(entry);
  const fullWidth = (text: string) =>
    text.replace(/[0-9X]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));
  const shown = '1237**********0106';
  const facts = `当事人（公民身份号码${BOTH}）；${fullWidth(BOTH)}；${BOTH.slice(0, 6)} ${BOTH.slice(6, 14)} ${BOTH.slice(14)}；机关${ALL_DIGIT_USCCS[1]}`;
  const masked = `当事人（公民身份号码${shown}）；${fullWidth(shown)}；1237** ******** 0106；机关${ALL_DIGIT_USCCS[1]}`;

  it('is valid as both (the premise): free text alone shows it', () => {
    expect(checkUscc(BOTH)).toBeNull();
    expect(masker.cell('SY', facts)).toBe(facts);
  });

  it("masks the person's own ID in the row's free text, as typed, full-width or spaced; other USCCs shown", () => {
    expect(masker.row({ ZJHM: BOTH, SY: facts })).toEqual({ ZJHM: shown, SY: masked });
    expect(masker.owning([{ ZJHM: BOTH }]).cell('SY', facts)).toBe(masked);
    // Another row's number is not this row's: the USCC rule stands.
    expect(masker.row({ ZJHM: '370102199001011231', SY: facts }).SY).toBe(facts);
  });

  it("masks it in a code column and as the subject code: the person's number is not a company's code there", () => {
    const own = masker.owning([{ ZJHM: BOTH }], BOTH);
    expect(own.cell('SHDM', BOTH)).toBe(shown);
    expect(own.cell('SHDM', ALL_DIGIT_USCCS[0]!)).toBe(ALL_DIGIT_USCCS[0]);
    expect(own.subjectCode(BOTH, {})).toBe(shown);
    expect(masker.subjectCode(BOTH, { ZJHM: BOTH })).toBe(shown);
  });

  it('takes every version given and the subject code a personal field holds, nothing a field does not declare personal', () => {
    const own = masker.owning([{ ZJHM: '370102199001011231' }, { ZJHM: BOTH }]);
    expect(own.cell('SY', facts)).toBe(masked);
    // The subject is a company (its code in the USCC column): its code is no one's personal value.
    const company = masker.owning([{ SHDM: BOTH }], BOTH);
    expect(company.cell('SY', facts)).toBe(facts);
    expect(company.cell('SHDM', BOTH)).toBe(BOTH);
  });

  it("leaves a company's USCC typed into a personal field shown elsewhere in the row", () => {
    const code = ALL_DIGIT_USCCS[0]!;
    expect(masker.row({ ZJHM: code, SHDM: code, SY: `代码${code}` })).toEqual({
      ZJHM: '1212**********0816',
      SHDM: code,
      SY: `代码${code}`,
    });
  });

  it('masks a key part quoting the personal part of the same key, and a message quoting the row in another form', () => {
    expect(masker.key([`罚${BOTH}号`, BOTH])).toEqual([`罚${shown}号`, shown]);
    expect(masker.message(`"违法事实"：${fullWidth(BOTH)}`, { ZJHM: BOTH })).toBe(
      `"违法事实"：${fullWidth(shown)}`,
    );
  });

  it('masks the own ID where it touches other digits: after a phone number, back to back with another ID', () => {
    const id = '370102199001011231';
    const facts = `当事人13800138000${BOTH}，另${BOTH}${id}`;
    expect(masker.row({ ZJHM: BOTH, SY: facts })).toEqual({
      ZJHM: shown,
      SY: `当事人13800138000${shown}，另${shown}3701**********1231`,
    });
    expect(masker.message(`"违法事实"：电话13800138000${BOTH}`, { ZJHM: BOTH })).toBe(
      `"违法事实"：电话13800138000${shown}`,
    );
    expect(masker.key([`罚13800138000${BOTH}号`, BOTH])).toEqual([`罚13800138000${shown}号`, shown]);
    // Another row's: the USCC rule stands, the ID touching the phone number is masked as any ID is.
    expect(masker.row({ ZJHM: id, SY: facts }).SY).toBe(
      `当事人13800138000${BOTH}，另${BOTH}3701**********1231`,
    );
  });

  it('an unmasked view stays unmasked', () => {
    expect(
      clearFieldMaskerOf(entry)
        .owning([{ ZJHM: BOTH }], BOTH)
        .cell('SY', facts),
    ).toBe(facts);
  });
});
