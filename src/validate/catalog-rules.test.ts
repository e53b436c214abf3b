import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_AUTHORITY, modelPenalty } from '../../test/support/model-penalty.ts';
import { type Catalog, loadCatalog } from '../catalog/load-catalog.ts';
import { PROJECT_ROOT } from '../config/config.ts';
import { valueNormalizer } from '../normalize/normalize-value.ts';
import {
  compileValidator,
  type NormalizedRow,
  type RowValidator,
  type ValidatorOptions,
} from './compile-validator.ts';

// Every rule of the real catalog entries, through the same normalize → validate path the runner uses.
let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog(path.join(PROJECT_ROOT, 'catalog'));
});

const TODAY = '2026-11-20';
const AUTHORITY = MODEL_AUTHORITY;

const validators = new Map<string, RowValidator>();

/** Validates cells keyed by field code; returns `[field, code]` pairs, warnings marked `:warning`. */
function check(code: string, cells: Record<string, string>, options: ValidatorOptions = {}) {
  const entry = catalog.resolve(code, TODAY);
  const key = `${code}:${JSON.stringify(options)}`;
  const validate = validators.get(key) ?? compileValidator(entry, { today: () => TODAY, ...options });
  validators.set(key, validate);
  const row: NormalizedRow = {};
  for (const [field, raw] of Object.entries(cells)) {
    const schema = entry.schema.properties[field];
    if (!schema) throw new Error(`${code} has no field ${field}`);
    const value = valueNormalizer(schema)(raw);
    if (value !== undefined) row[field] = value;
  }
  return validate(row).map((error) => [error.field, error.severity ? `${error.code}:warning` : error.code]);
}

const penalty = modelPenalty;

it('the authority code used in these tests is itself valid', () => {
  expect(check('xzcf', penalty())).toEqual([]);
});

describe('USCC in a row', () => {
  it.each([
    '91350100M000100Y43',
    '91110000600037341L',
    '91310000631696382C',
    '9144030071526726XG',
    '91320105780688132K',
  ])('official sample %s is accepted', (uscc) =>
    expect(check('xzcf', penalty({ CF_XDR_SHDM: uscc }))).toEqual([]),
  );
  it.each([
    ['91110000600037341N', 'uscc-check-digit'],
    ['9111000060003IOZSV', 'uscc-charset'],
    ['91350100M000100Y4', 'uscc-length'],
    ['E1350100M000100Y43', 'uscc-category'],
    ['95350100M000100Y43', 'uscc-category'],
    ['91350100M000200Y43', 'uscc-org-code-check'],
  ])('%s is rejected as %s', (uscc, code) => {
    expect(check('xzcf', penalty({ CF_XDR_SHDM: uscc }))).toEqual([['CF_XDR_SHDM', code]]);
  });
  it.each(['000000000000000000', '无', '/', '-'])('placeholder %j is rejected as a placeholder', (value) => {
    expect(check('xzcf', penalty({ CF_XDR_SHDM: value }))).toEqual([['CF_XDR_SHDM', 'placeholder']]);
  });
  it('a pilot-era code failing only the 18th character is loaded with a warning', () => {
    expect(check('xzcf', penalty({ CF_XDR_SHDM: '91350100M0001TGQXM' }))).toEqual([
      ['CF_XDR_SHDM', 'uscc-pilot-check-digit:warning'],
    ]);
  });
  it('with allowPilotCodes the pilot-era code is accepted without a warning', () => {
    expect(check('xzcf', penalty({ CF_XDR_SHDM: '91350100M0001TGQXM' }), { allowPilotCodes: true })).toEqual(
      [],
    );
  });
  it('a pilot-looking code that is not on the list is an error', () => {
    expect(check('xzcf', penalty({ CF_XDR_SHDM: '91350100M0001TGQXA' }))).toEqual([
      ['CF_XDR_SHDM', 'uscc-check-digit'],
    ]);
  });
});

describe('个体工商户 placeholder 00000000000000000X', () => {
  const business = (overrides: Record<string, string>) =>
    penalty({ CF_XDR_LB: '个体工商户', CF_XDR_SHDM: '00000000000000000X', ...overrides });
  it('is accepted for 个体工商户 with a valid 工商注册号 (lowercase x too)', () => {
    expect(check('xzcf', business({ CF_XDR_GSZC: '440301103448669' }))).toEqual([]);
    expect(
      check('xzcf', business({ CF_XDR_SHDM: '00000000000000000x', CF_XDR_GSZC: '440301103448669' })),
    ).toEqual([]);
  });
  it('then requires 工商注册号', () => {
    expect(check('xzcf', business({}))).toEqual([['CF_XDR_GSZC', 'missing-value']]);
  });
  it('then checks 工商注册号 (MOD 11,10)', () => {
    expect(check('xzcf', business({ CF_XDR_GSZC: '110108000000017' }))).toEqual([
      ['CF_XDR_GSZC', 'business-reg-number-check-digit'],
    ]);
  });
  it('is rejected with its own code for any other subject type', () => {
    expect(
      check('xzcf', business({ CF_XDR_LB: '法人及非法人组织', CF_XDR_GSZC: '440301103448669' })),
    ).toEqual([['CF_XDR_SHDM', 'placeholder-not-allowed']]);
  });
  it('names the subject type and the fix in its message', () => {
    const entry = catalog.resolve('xzcf', TODAY);
    const errors = compileValidator(entry, { today: () => TODAY })({
      ...penalty(),
      CF_XDR_SHDM: '00000000000000000X',
    });
    expect(errors[0]?.message).toContain('个体工商户专用的占位代码');
    expect(errors[0]?.message).toContain('本行为"法人及非法人组织"');
  });
  it('works the same in the other entries with a 行政相对人类别', () => {
    expect(
      check('xzxk', {
        ...license(),
        XK_XDR_LB: '个体工商户',
        XK_XDR_SHDM: '00000000000000000X',
      }),
    ).toEqual([['XK_XDR_GSZC', 'missing-value']]);
  });
});

describe('subject type against the USCC category', () => {
  it('a 92 code is an individual business, not a legal person', () => {
    expect(check('xzcf', penalty({ CF_XDR_SHDM: '92340602MA2PBMEM24' }))).toEqual([
      ['CF_XDR_SHDM', 'subject-type-mismatch'],
    ]);
    expect(check('xzcf', penalty({ CF_XDR_LB: '个体工商户', CF_XDR_SHDM: '92340602MA2PBMEM24' }))).toEqual(
      [],
    );
  });
  it('a 91 code is not an individual business', () => {
    expect(check('xzcf', penalty({ CF_XDR_LB: '个体工商户' }))).toEqual([
      ['CF_XDR_SHDM', 'subject-type-mismatch'],
    ]);
  });
  it('registration: 91 enterprise, 12 事业单位, 93 cooperative', () => {
    expect(check('frdj', registration())).toEqual([]);
    expect(check('frdj', registration({ DJ_TYSHXYDM: '121200004013590816', DJ_ZTLX: '事业单位' }))).toEqual(
      [],
    );
    expect(check('frdj', registration({ DJ_ZTLX: '农民专业合作社' }))).toEqual([
      ['DJ_TYSHXYDM', 'subject-type-mismatch'],
    ]);
    expect(check('frdj', registration({ DJ_TYSHXYDM: '121200004013590816' }))).toEqual([
      ['DJ_TYSHXYDM', 'subject-type-mismatch'],
    ]);
  });
});

describe('subject codes follow the subject type (national 双公示 layout, Art. 8)', () => {
  const USCC = '91370112MA9A37366E';
  const ID = '37160219680525249X';
  const person = (overrides: Record<string, string> = {}) =>
    penalty({
      CF_XDR_LB: '自然人',
      CF_XDR_SHDM: '',
      CF_FRDB: '',
      CF_XDR_ZJLX: '身份证',
      CF_XDR_ZJHM: ID,
      ...overrides,
    });
  const messageOf = (code: string, cells: Record<string, string>, field: string) => {
    const entry = catalog.resolve(code, TODAY);
    const row: NormalizedRow = {};
    for (const [key, raw] of Object.entries(cells)) {
      const value = valueNormalizer(entry.schema.properties[key]!)(raw);
      if (value !== undefined) row[key] = value;
    }
    return compileValidator(entry, { today: () => TODAY })(row).find((error) => error.field === field)
      ?.message;
  };

  it('a natural person with only the ID is valid', () => {
    expect(check('xzcf', person())).toEqual([]);
  });
  it.each([
    ['CF_XDR_SHDM', USCC],
    ['CF_XDR_GSZC', '110108000000016'],
    ['CF_XDR_ZZJG', 'D2143569-X'],
    ['CF_XDR_SWDJ', '370102123456789'],
    ['CF_XDR_SYDW', '事证第123号'],
    ['CF_XDR_SHZZ', '51370000MJD000001X'],
  ])('a natural person with %s filled is rejected: clear it', (field, value) => {
    expect(check('xzcf', person({ [field]: value }))).toEqual([[field, 'subject-code-not-allowed']]);
  });
  it('the message names the type, the field to clear, the value and where the subject code goes', () => {
    expect(messageOf('xzcf', person({ CF_XDR_SHDM: USCC }), 'CF_XDR_SHDM')).toBe(
      `"行政相对人类别"为"自然人"时，"行政相对人代码_1(统一社会信用代码)"应为空：请清空该列（本行填写了"${USCC}"）；` +
        '自然人的主体代码填在"证件号码"',
    );
  });
  it('whatever else is wrong with such a value, the fix is to clear it', () => {
    expect(check('xzcf', person({ CF_XDR_SHDM: '91370112MA9A37366F' }))).toEqual([
      ['CF_XDR_SHDM', 'subject-code-not-allowed'],
    ]);
    expect(check('xzcf', person({ CF_XDR_SHDM: '00000000000000000X' }))).toEqual([
      ['CF_XDR_SHDM', 'subject-code-not-allowed'],
    ]);
    expect(check('xzcf', person({ CF_XDR_SHDM: '92340602MA2PBMEM24' }))).toEqual([
      ['CF_XDR_SHDM', 'subject-code-not-allowed'],
    ]);
  });
  it('a natural person with only a USCC lacks the 证件类型/证件号码 and must clear the USCC', () => {
    expect(check('xzcf', person({ CF_XDR_SHDM: USCC, CF_XDR_ZJLX: '', CF_XDR_ZJHM: '' }))).toEqual([
      ['CF_XDR_ZJLX', 'missing-value'],
      ['CF_XDR_ZJHM', 'missing-value'],
      ['CF_XDR_SHDM', 'subject-code-not-allowed'],
    ]);
  });
  it('an ID typed into the USCC column is named as an ID, masked', () => {
    const cells = person({ CF_XDR_SHDM: ID, CF_XDR_ZJLX: '', CF_XDR_ZJHM: '' });
    expect(check('xzcf', cells)).toEqual([
      ['CF_XDR_ZJLX', 'missing-value'],
      ['CF_XDR_ZJHM', 'missing-value'],
      ['CF_XDR_SHDM', 'uscc-resident-id'],
    ]);
    const message = messageOf('xzcf', cells, 'CF_XDR_SHDM');
    expect(message).toContain('"3716**********249X"');
    expect(message).not.toContain(ID);
    // The same for a legal person whose provider typed the representative's ID into the USCC column.
    expect(check('xzcf', penalty({ CF_XDR_SHDM: ID }))).toEqual([['CF_XDR_SHDM', 'uscc-resident-id']]);
  });
  it('an ID typed into another code column of a natural person is shown masked', () => {
    const message = messageOf('xzcf', person({ CF_XDR_SWDJ: ID }), 'CF_XDR_SWDJ');
    expect(message).toContain('3716**********249X');
    expect(message).not.toContain(ID);
  });
  it('a personal number on a company row is named masked, a passport number too', () => {
    const message = messageOf(
      'xzcf',
      penalty({ CF_XDR_ZJLX: '护照号', CF_XDR_ZJHM: 'E12345678' }),
      'CF_XDR_ZJHM',
    );
    expect(message).toContain('（本行填写了"E12***678"）');
    expect(message).not.toContain('E12345678');
    expect(messageOf('xzcf', penalty({ CF_XDR_ZJLX: '护照号' }), 'CF_XDR_ZJLX')).toContain(
      '（本行填写了"护照号"）',
    );
  });
  it('a legal person or individual business leaves 证件类型 and 证件号码 empty', () => {
    expect(check('xzcf', penalty({ CF_XDR_ZJLX: '身份证', CF_XDR_ZJHM: ID }))).toEqual([
      ['CF_XDR_ZJLX', 'subject-code-not-allowed'],
      ['CF_XDR_ZJHM', 'subject-code-not-allowed'],
    ]);
    expect(
      check('xzcf', penalty({ CF_XDR_LB: '个体工商户', CF_XDR_SHDM: '92340602MA2PBMEM24', CF_XDR_ZJHM: ID })),
    ).toEqual([['CF_XDR_ZJHM', 'subject-code-not-allowed']]);
  });
  it('a required cell that shows nothing (a Hangul filler, a Braille blank) is missing, as an empty one is', () => {
    expect(check('xzcf', penalty({ CF_XDR_SHDM: '\u3164' }))).toEqual([['CF_XDR_SHDM', 'missing-value']]);
    expect(check('xzcf', penalty({ CF_XDR_SHDM: '\u2800\uFFA0' }))).toEqual([
      ['CF_XDR_SHDM', 'missing-value'],
    ]);
  });
  it('a legal person with only an ID is rejected: the USCC is required and the ID does not belong', () => {
    expect(check('xzcf', penalty({ CF_XDR_SHDM: '', CF_XDR_ZJLX: '身份证', CF_XDR_ZJHM: ID }))).toEqual([
      ['CF_XDR_SHDM', 'missing-value'],
      ['CF_XDR_ZJLX', 'subject-code-not-allowed'],
      ['CF_XDR_ZJHM', 'subject-code-not-allowed'],
    ]);
  });
  it('the same in 行政许可 and in 严重失信主体名单', () => {
    expect(
      check(
        'xzxk',
        license({ XK_XDR_LB: '自然人', XK_XDR_SHDM: USCC, XK_XDR_ZJLX: '身份证', XK_XDR_ZJHM: ID }),
      ),
    ).toEqual([['XK_XDR_SHDM', 'subject-code-not-allowed']]);
    expect(
      check('yzsxmd', listing({ SX_ZTLB: '自然人', SX_TYSHXYDM: USCC, SX_ZJLX: '身份证', SX_ZJHM: ID })),
    ).toEqual([['SX_TYSHXYDM', 'subject-code-not-allowed']]);
    expect(
      check('yzsxmd', listing({ SX_ZTLB: '自然人', SX_TYSHXYDM: '', SX_ZJLX: '身份证', SX_ZJHM: ID })),
    ).toEqual([]);
  });
  it("a natural person's 证件号码 that is a valid USCC and no resident ID is refused, in every entry", () => {
    const refused = (zjlx: string, zjhm: string) =>
      check('xzcf', person({ CF_XDR_ZJLX: zjlx, CF_XDR_ZJHM: zjhm }));
    expect(refused('护照号', USCC)).toEqual([['CF_XDR_ZJHM', 'person-id-is-uscc']]);
    expect(refused('港澳居民来往内地通行证', '９１３７０１１２ＭＡ９Ａ３７３６６ｅ')).toEqual([
      ['CF_XDR_ZJHM', 'person-id-is-uscc'],
    ]);
    // A pilot-era code is a legally issued USCC too.
    expect(refused('护照号', '91350100M0001TGQXM')).toEqual([['CF_XDR_ZJHM', 'person-id-is-uscc']]);
    expect(
      check(
        'xzxk',
        license({ XK_XDR_LB: '自然人', XK_XDR_SHDM: '', XK_XDR_ZJLX: '护照号', XK_XDR_ZJHM: USCC }),
      ),
    ).toEqual([['XK_XDR_ZJHM', 'person-id-is-uscc']]);
    expect(
      check('yzsxmd', listing({ SX_ZTLB: '自然人', SX_TYSHXYDM: '', SX_ZJLX: '护照号', SX_ZJHM: USCC })),
    ).toEqual([['SX_ZJHM', 'person-id-is-uscc']]);
    // As 身份证 the ID rule judges it, and says what is wrong with it as an ID.
    expect(refused('身份证', USCC)).toEqual([['CF_XDR_ZJHM', 'resident-id-charset']]);
    // A valid resident ID that also checks as a USCC is the person's, whatever the 证件类型 says.
    expect(refused('身份证', '110105198504120014')).toEqual([]);
    expect(refused('外国人永久居留身份证', '911840199005170211')).toEqual([]);
    // Not a valid USCC (a wrong 18th character): a number of the person's own kind, not refused by this rule.
    expect(refused('护照号', '91370112MA9A37366F')).toEqual([]);
    // A company's USCC is no personal number: shown as sent, not masked.
    expect(messageOf('xzcf', person({ CF_XDR_ZJLX: '护照号', CF_XDR_ZJHM: USCC }), 'CF_XDR_ZJHM')).toContain(
      `"证件号码"的值"${USCC}"是统一社会信用代码，不是个人的证件号码`,
    );
  });
});

describe('resident ID numbers', () => {
  const person = (id: string) =>
    penalty({ CF_XDR_LB: '自然人', CF_XDR_SHDM: '', CF_FRDB: '', CF_XDR_ZJLX: '身份证', CF_XDR_ZJHM: id });
  it.each(['11010519491231002X', '11010519491231002x', '440524188001010014', '810000199408230021'])(
    '%s is accepted',
    (id) => expect(check('xzcf', person(id))).toEqual([]),
  );
  it.each([
    ['610104620927690', 'resident-id-legacy-15'],
    ['110105194912310021', 'resident-id-check-digit'],
    ['110105194902300020', 'resident-id-birth-date'],
    ['11010519491231002', 'resident-id-length'],
  ])('%s is rejected as %s', (id, code) => {
    expect(check('xzcf', person(id))).toEqual([['CF_XDR_ZJHM', code]]);
  });
  it('the 15-digit message says how to convert', () => {
    const entry = catalog.resolve('xzcf', TODAY);
    const row = { ...penalty(), CF_XDR_LB: '自然人', CF_XDR_ZJLX: '身份证', CF_XDR_ZJHM: '610104620927690' };
    delete (row as Record<string, string>).CF_XDR_SHDM;
    const [error] = compileValidator(entry, { today: () => TODAY })(row);
    expect(error?.message).toContain('610104196209276908');
  });
  it('other document types are not checked as resident IDs', () => {
    expect(check('xzcf', { ...person('E12345678'), CF_XDR_ZJLX: '护照号' })).toEqual([]);
  });
  it('the natural-person entry is keyed on a checked resident ID', () => {
    expect(check('zyzg', qualification())).toEqual([]);
    expect(check('zyzg', qualification({ ZG_SFZH: '11010519491231002x' }))).toEqual([]);
    expect(check('zyzg', qualification({ ZG_SFZH: '610104620927690' }))).toEqual([
      ['ZG_SFZH', 'resident-id-legacy-15'],
    ]);
  });
});

describe('legacy codes', () => {
  it.each(['D2143569-X', 'D2143569X', 'Ｄ２１４３５６９－Ｘ'])('组织机构代码 %s is accepted', (code) => {
    expect(check('xzcf', penalty({ CF_XDR_ZZJG: code }))).toEqual([]);
  });
  it('a wrong 组织机构代码 check character is rejected', () => {
    expect(check('xzcf', penalty({ CF_XDR_ZZJG: 'D2143569-1' }))).toEqual([
      ['CF_XDR_ZZJG', 'org-code-check-digit'],
    ]);
  });
  it('工商注册号: valid and wrong check digit', () => {
    expect(check('xzcf', penalty({ CF_XDR_GSZC: '110108000000016' }))).toEqual([]);
    expect(check('xzcf', penalty({ CF_XDR_GSZC: '110108000000017' }))).toEqual([
      ['CF_XDR_GSZC', 'business-reg-number-check-digit'],
    ]);
  });
});

describe('code lists', () => {
  it('行政相对人类别 and 证件类型, including 其他-…', () => {
    expect(check('xzcf', penalty({ CF_XDR_LB: '法人' }))).toEqual([]);
    expect(check('xzcf', penalty({ CF_XDR_LB: '企业' }))).toEqual([['CF_XDR_LB', 'not-in-code-list']]);
    expect(check('xzcf', penalty({ CF_FR_ZJLX: '其他-军官证', CF_FR_ZJHM: '军字第123号' }))).toEqual([]);
    expect(check('xzcf', penalty({ CF_FR_ZJLX: '其他-' }))).toEqual([['CF_FR_ZJLX', 'not-in-code-list']]);
    expect(check('xzcf', penalty({ CF_FR_ZJLX: '军官证' }))).toEqual([['CF_FR_ZJLX', 'not-in-code-list']]);
  });
  it.each([
    '暂扣或者吊销许可证、暂扣或者吊销执照',
    '没收违法所得、没收非法财物',
    '法律、行政法规规定的其他行政处罚',
    '警告；通报批评',
  ])('处罚类别: pre-2021 or combined name %s is mapped to the 2021 types', (name) => {
    expect(check('xzcf', penalty({ CF_CFLB: name }))).toEqual([]);
  });
  it('处罚类别: an unknown type is rejected', () => {
    expect(check('xzcf', penalty({ CF_CFLB: '罚款；罚金' }))).toEqual([['CF_CFLB', 'not-in-code-list']]);
    // One value alone (no separator) is checked the same way.
    expect(check('xzcf', penalty({ CF_CFLB: '罚金' }))).toEqual([['CF_CFLB', 'not-in-code-list']]);
    expect(check('xzcf', penalty({ CF_CFLB: '罚款' }))).toEqual([]);
  });
  it('许可类别 and 当前状态 (1 = 有效)', () => {
    expect(check('xzxk', license({ XK_XKLB: '普通许可', XK_ZT: '1' }))).toEqual([]);
    expect(check('xzxk', license({ XK_XKLB: '其他-备案' }))).toEqual([]);
    expect(check('xzxk', license({ XK_XKLB: '审批', XK_ZT: '3' }))).toEqual([
      ['XK_XKLB', 'not-in-code-list'],
      ['XK_ZT', 'not-in-code-list'],
    ]);
  });
});

describe('dates and amounts', () => {
  it.each(['2026-03-05', '2026/3/5', '2026年3月5日', '20260305', '２０２６年３月５日'])(
    '%s is a date',
    (date) => {
      expect(check('xzcf', penalty({ CF_JDRQ: date }))).toEqual([]);
    },
  );
  it.each(['2025-02-30', '2026-13-01', '2026.3', '去年'])('%s is not a date', (date) => {
    expect(check('xzcf', penalty({ CF_JDRQ: date }))).toEqual([['CF_JDRQ', 'invalid-date']]);
  });
  it('decision and formation dates may not be in the future; end dates may', () => {
    expect(check('xzcf', penalty({ CF_JDRQ: '2026-11-21' }))).toEqual([['CF_JDRQ', 'date-in-future']]);
    expect(check('xzxk', license({ XK_YXQZI: '2099-12-31' }))).toEqual([]);
    expect(check('frdj', registration({ DJ_CLRQ: '2027-01-01', DJ_HZRQ: '2027-01-01' }))).toEqual([
      ['DJ_CLRQ', 'date-in-future'],
      ['DJ_HZRQ', 'date-in-future'],
    ]);
  });
  it('expiry not before decision', () => {
    expect(check('xzcf', penalty({ CF_YXQ: '2026-10-11' }))).toEqual([['CF_YXQ', 'date-before-reference']]);
    expect(check('xzxk', license({ XK_YXQZI: '2026-01-01' }))).toEqual([
      ['XK_YXQZI', 'date-before-reference'],
      ['XK_YXQZI', 'date-before-reference'],
    ]);
    expect(check('yzsxmd', listing({ SX_YCRQ: '2025-01-01' }))).toEqual([
      ['SX_YCRQ', 'date-before-reference'],
    ]);
  });
  it('amounts: non-negative, at most 6 decimals', () => {
    expect(check('xzcf', penalty({ CF_NR_FK: '0.123456' }))).toEqual([]);
    expect(check('xzcf', penalty({ CF_NR_FK: '1,234.5' }))).toEqual([]);
    expect(check('xzcf', penalty({ CF_NR_FK: '0.1234567' }))).toEqual([['CF_NR_FK', 'too-many-decimals']]);
    expect(check('xzcf', penalty({ CF_NR_FK: '-1' }))).toEqual([['CF_NR_FK', 'negative-amount']]);
    expect(check('frdj', registration({ DJ_ZCZB: '五十万' }))).toEqual([['DJ_ZCZB', 'not-a-number']]);
  });
});

function license(overrides: Record<string, string> = {}) {
  return {
    XK_XDR_MC: '济南示例餐饮有限公司',
    XK_XDR_LB: '法人及非法人组织',
    XK_XDR_SHDM: '91350100M000100Y43',
    XK_FRDB: '王五',
    XK_XKWS: '食品经营许可决定书',
    XK_XKWSH: '济市监许〔2026〕1号',
    XK_XKLB: '普通',
    XK_NR: '预包装食品销售',
    XK_JDRQ: '2026-10-12',
    XK_YXQZ: '2026-10-12',
    XK_YXQZI: '2031-10-11',
    XK_XKJG: '济南市市场监督管理局',
    XK_XKJGDM: AUTHORITY,
    XK_ZT: '有效',
    XK_SJLY: '济南市市场监督管理局',
    XK_SJLYDM: AUTHORITY,
    ...overrides,
  };
}

function registration(overrides: Record<string, string> = {}) {
  return {
    DJ_TYSHXYDM: '91350100M000100Y43',
    DJ_MC: '福建示例有限公司',
    DJ_ZTLX: '企业',
    DJ_FDDBR: '王五',
    DJ_CLRQ: '2015-06-01',
    DJ_DJJG: '福州市市场监督管理局',
    DJ_HZRQ: '2026-10-12',
    DJ_DJZT: '存续',
    DJ_SJLY: '福州市市场监督管理局',
    DJ_SJLYDM: AUTHORITY,
    ...overrides,
  };
}

function listing(overrides: Record<string, string> = {}) {
  return {
    SX_ZTMC: '济南示例餐饮有限公司',
    SX_ZTLB: '法人及非法人组织',
    SX_TYSHXYDM: '91350100M000100Y43',
    SX_MDLX: '失信被执行人',
    SX_WSH: '（2026）鲁01执123号',
    SX_SY: '有履行能力而拒不履行生效法律文书确定的义务',
    SX_YJ: '最高人民法院关于公布失信被执行人名单信息的若干规定',
    SX_LRRQ: '2026-03-05',
    SX_RDJG: '济南市中级人民法院',
    SX_RDJGDM: AUTHORITY,
    SX_SJLY: '济南市中级人民法院',
    SX_SJLYDM: AUTHORITY,
    ...overrides,
  };
}

function qualification(overrides: Record<string, string> = {}) {
  return {
    ZG_XM: '张三',
    ZG_SFZH: '11010519491231002X',
    ZG_ZGMC: '一级注册建造师',
    ZG_ZGLB: '准入类',
    ZG_ZSBH: '鲁1372026000001',
    ZG_FZRQ: '2026-05-01',
    ZG_ZT: '有效',
    ZG_FZJG: '山东省住房和城乡建设厅',
    ZG_FZJGDM: AUTHORITY,
    ZG_SJLY: '山东省住房和城乡建设厅',
    ZG_SJLYDM: AUTHORITY,
    ...overrides,
  };
}
