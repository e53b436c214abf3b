import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../config/config.ts';
import { lintCatalog } from '../validate/lint-catalog.ts';
import { catalogMarkdown } from './catalog-docs.ts';
import type { CatalogEntry } from './catalog-entry.ts';
import { catalogEntryHash } from './catalog-entry-hash.ts';
import { catalogHtml } from './catalog-html.ts';
import { createCatalog, loadCatalog } from './load-catalog.ts';
import { matchHeaders } from './match-headers.ts';

const CATALOG_DIR = path.join(PROJECT_ROOT, 'catalog');
let entries: readonly CatalogEntry[];
beforeAll(async () => {
  entries = (await loadCatalog(CATALOG_DIR)).entries;
});
/** The current version (v1) of an entry; v0 of xzcf and xzxk is the 2016 layout. */
const entry = (code: string) =>
  entries.find((candidate) => candidate.code === code && candidate.version === 1)!;

describe('catalog lint', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'catalog-lint-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const copy = (name: string) => {
    const dir = mkdtempSync(path.join(scratch, `${name}-`));
    cpSync(CATALOG_DIR, dir, { recursive: true });
    return dir;
  };
  const edit = (dir: string, file: string, change: (entry: Record<string, unknown>) => void) => {
    const json = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    change(json);
    writeFileSync(path.join(dir, file), JSON.stringify(json));
  };

  it('the shipped catalog has six entries, two with their 2016 layout, and no problems', async () => {
    const report = await lintCatalog(CATALOG_DIR);
    expect(report.problems).toEqual([]);
    expect(report.entries.map((e) => `${e.code}.v${e.version}`).sort()).toEqual([
      'frdj.v1',
      'xzcf.v0',
      'xzcf.v1',
      'xzcf.v2',
      'xzcf.v3',
      'xzqz.v1',
      'xzxk.v0',
      'xzxk.v1',
      'yzsxmd.v1',
      'yzsxmd.v2',
      'zyzg.v1',
    ]);
  });

  it('reports a missing Art. 7 attribute and a wrong sharing method through the meta-schema', async () => {
    const dir = copy('attributes');
    edit(dir, 'xzxk.v1.json', (json) => {
      const attributes = json.attributes as Record<string, string>;
      delete attributes.retentionPeriod;
      attributes.sharingMethod = '共享';
    });
    const messages = (await lintCatalog(dir)).problems.map(
      (problem) => `${problem.file}: ${problem.message}`,
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^xzxk\.v1\.json: \/attributes must have required property 'retentionPeriod'/),
        expect.stringMatching(
          /^xzxk\.v1\.json: \/attributes\/sharingMethod must be equal to one of the allowed values/,
        ),
      ]),
    );
  });

  it('reports references to fields that do not exist, colliding header names and bad aliases', async () => {
    const dir = copy('references');
    edit(dir, 'zyzg.v1.json', (json) => {
      json.businessKey = ['ZG_NOPE'];
      const schema = json.schema as { properties: Record<string, Record<string, unknown>> };
      schema.properties.ZG_XM!['x-aliases'] = ['证书编号'];
      (schema.properties.ZG_ZT!['x-codeList'] as { aliases: Record<string, string> }).aliases.作废 = '废止';
    });
    const messages = (await lintCatalog(dir)).problems.map((problem) => problem.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'businessKey names field ZG_NOPE, which is not in schema.properties',
        'header name "证书编号" is used by both ZG_XM and ZG_ZSBH',
        'ZG_ZT: code-list alias "作废" maps to 废止, not in its values',
      ]),
    );
  });

  it('requires the subject code per subject type where the subject can sit in several fields (Art. 8)', async () => {
    const dir = copy('subject-by-type');
    edit(dir, 'xzxk.v1.json', (json) => {
      delete json.subjectCodeByType;
    });
    edit(dir, 'xzcf.v1.json', (json) => {
      const byType = json.subjectCodeByType as { fields: Record<string, string[]> };
      delete byType.fields.个体工商户;
      byType.fields.自然人 = ['CF_XDR_SHDM'];
      byType.fields.企业 = ['CF_XDR_ZZJG'];
    });
    const messages = (await lintCatalog(dir)).problems.map(
      (problem) => `${problem.file}: ${problem.message}`,
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^xzxk\.v1\.json: subjectCodeField lists several fields but subjectCodeByType is missing/,
        ),
        'xzcf.v1.json: subjectCodeByType.fields has no entry for type "个体工商户"',
        'xzcf.v1.json: CF_XDR_SHDM is the subject code of "自然人" and also required empty for it (empty-for-type)',
        'xzcf.v1.json: subjectCodeByType.fields names type "企业", not in CF_XDR_LB\'s code list',
        'xzcf.v1.json: subjectCodeByType.fields["企业"] names CF_XDR_ZZJG, which is not in subjectCodeField',
      ]),
    );
  });

  it('checks an empty-for-type rule through the meta-schema and against the type code list', async () => {
    const dir = copy('empty-for-type');
    edit(dir, 'xzcf.v1.json', (json) => {
      const rules = json.rules as Record<string, unknown>[];
      rules.push({ rule: 'empty-for-type', fields: ['CF_NOPE'], typeField: 'CF_XDR_LB', types: ['个人'] });
    });
    edit(dir, 'xzxk.v1.json', (json) => {
      (json.rules as Record<string, unknown>[]).push({ rule: 'empty-for-type', typeField: 'XK_XDR_LB' });
    });
    const messages = (await lintCatalog(dir)).problems.map(
      (problem) => `${problem.file}: ${problem.message}`,
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        'xzcf.v1.json: rules[8] (empty-for-type) names field CF_NOPE, which is not in schema.properties',
        'xzcf.v1.json: rules[8] (empty-for-type) names type "个人", not in CF_XDR_LB\'s code list',
        expect.stringMatching(/^xzxk\.v1\.json: \/rules\/\d+ must have required property 'fields'/),
      ]),
    );
  });

  it('checks the disclosure block: required, its fields and dates, its severity map, min not above max', async () => {
    const dir = copy('disclosure');
    edit(dir, 'xzcf.v1.json', (json) => {
      const disclosure = json.disclosure as {
        from: string;
        until: string;
        severity: { values: Record<string, string> };
        periods: Record<string, unknown>;
      };
      disclosure.from = 'CF_NOPE';
      disclosure.until = 'CF_NR';
      disclosure.severity.values.罚金 = '严重';
      disclosure.periods.一般 = { minMonths: 13, maxMonths: 12 };
    });
    edit(dir, 'xzxk.v1.json', (json) => {
      delete json.disclosure;
    });
    edit(dir, 'frdj.v1.json', (json) => {
      (json.disclosure as Record<string, unknown>).period = 'forever';
    });
    const messages = (await lintCatalog(dir)).problems.map(
      (problem) => `${problem.file}: ${problem.message}`,
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        'xzcf.v1.json: disclosure (by-severity) names field CF_NOPE, which is not in schema.properties',
        'xzcf.v1.json: disclosure: CF_NR must have format cn-date',
        'xzcf.v1.json: disclosure.severity.values names "罚金", not in CF_CFLB\'s code list',
        'xzcf.v1.json: disclosure.periods.一般: minMonths 13 is above maxMonths 12',
        "xzxk.v1.json: / must have required property 'disclosure' (missingProperty: disclosure)",
        expect.stringMatching(
          /^frdj\.v1\.json: \/disclosure\/period must be equal to one of the allowed values/,
        ),
      ]),
    );
  });

  it('checks fromText: values of the code list, not also in values, read from a free-text field', async () => {
    const dir = copy('from-text');
    edit(dir, 'xzcf.v3.json', (json) => {
      const severity = (json.disclosure as { severity: Record<string, Record<string, unknown>> }).severity;
      severity.fromText = {
        ...severity.fromText,
        暂扣或者吊销: { field: 'CF_NR', terms: { 吊销: '严重' } },
        吊销许可证件: { field: 'CF_JDRQ', terms: { 吊销: '严重' } },
      };
    });
    const messages = (await lintCatalog(dir)).problems.map(
      (problem) => `${problem.file}: ${problem.message}`,
    );
    expect(messages).toEqual([
      'xzcf.v3.json: disclosure.severity.fromText names "暂扣或者吊销", not in CF_CFLB\'s code list',
      'xzcf.v3.json: disclosure.severity: "吊销许可证件" is in both values and fromText',
      'xzcf.v3.json: disclosure.severity.fromText["吊销许可证件"]: CF_JDRQ must be a free-text field',
    ]);
  });

  it('a 2016-layout version may take effect the day the version after it does; two current layouts may not', async () => {
    const shipped = (await lintCatalog(CATALOG_DIR)).entries.filter((e) => e.code === 'xzcf');
    expect(shipped.map((e) => [e.version, e.effectiveFrom, e.legacyLayout !== undefined])).toEqual([
      [0, '2016-01-01', true],
      [1, '2021-07-15', false],
      [2, '2026-12-05', true],
      [3, '2026-12-05', false],
    ]);
    const dir = copy('same-day');
    cpSync(path.join(dir, 'xzcf.v3.json'), path.join(dir, 'xzcf.v4.json'));
    edit(dir, 'xzcf.v4.json', (json) => {
      json.version = 4;
    });
    expect((await lintCatalog(dir)).problems).toEqual([
      { file: 'xzcf.v4.json', message: "effectiveFrom 2026-12-05 is not after v3's 2026-12-05" },
    ]);
  });

  it('reports versions out of order and a file named for another version', async () => {
    const dir = copy('versions');
    edit(dir, 'xzcf.v1.json', (json) => {
      json.version = 2;
      json.effectiveFrom = '2020-01-01';
    });
    cpSync(path.join(dir, 'xzcf.v1.json'), path.join(dir, 'xzcf.v2.json'));
    edit(dir, 'xzcf.v1.json', (json) => {
      json.version = 1;
      json.effectiveFrom = '2021-07-15';
    });
    const problems = (await lintCatalog(dir)).problems;
    expect(problems).toContainEqual({
      file: 'xzcf.v2.json',
      message: "effectiveFrom 2020-01-01 is not after v1's 2021-07-15",
    });
  });
});

describe('versions by effective date', () => {
  it('a row is validated by the version in force on its received date', () => {
    const v1 = entry('xzcf');
    const v2 = { ...v1, version: 2, effectiveFrom: '2026-12-01' };
    const catalog = createCatalog([v1, v2]);
    expect(catalog.resolve('xzcf', '2026-11-30').version).toBe(1);
    expect(catalog.resolve('行政处罚', '2026-12-01').version).toBe(2);
    expect(() => catalog.resolve('xzcf', '2020-01-01')).toThrow(
      /no version of catalog entry "xzcf" is in force/,
    );
  });
  it('the content hash ignores key order and changes with any rule', () => {
    const xzcf = entry('xzcf');
    const reordered = Object.fromEntries(Object.entries(xzcf).reverse()) as unknown as CatalogEntry;
    expect(catalogEntryHash(reordered)).toBe(catalogEntryHash(xzcf));
    expect(catalogEntryHash({ ...xzcf, rules: [] })).not.toBe(catalogEntryHash(xzcf));
  });
});

describe('header aliases', () => {
  it('2016-era and 2021 names, with or without 行政, full-width brackets', () => {
    const match = matchHeaders(entry('xzxk'), [
      '相对人名称',
      '行政相对人类别',
      '行政相对人代码_1（统一社会信用代码）',
      '许可决定文书名称',
      '许可决定书文号',
      '审批类别',
      '许可内容',
      '许可决定日期',
      '有效期自',
      '许可截止期',
      '许可机关',
      '许可机关统一社会信用代码',
      '当前状态',
      '数据来源单位',
      '数据来源单位统一社会信用代码',
    ]);
    expect(match.problems).toEqual([]);
    expect(match.columns).toEqual([
      'XK_XDR_MC',
      'XK_XDR_LB',
      'XK_XDR_SHDM',
      'XK_XKWS',
      'XK_XKWSH',
      'XK_XKLB',
      'XK_NR',
      'XK_JDRQ',
      'XK_YXQZ',
      'XK_YXQZI',
      'XK_XKJG',
      'XK_XKJGDM',
      'XK_ZT',
      'XK_SJLY',
      'XK_SJLYDM',
    ]);
  });
  it('missing and unknown columns are listed together as file-level problems', () => {
    const match = matchHeaders(entry('zyzg'), ['姓名', '身份证号码', '籍贯', '民族']);
    expect(match.problems.map((problem) => problem.code)).toEqual(['unknown-columns', 'missing-columns']);
    expect(match.problems[0]?.columns).toEqual(['籍贯', '民族']);
    expect(match.problems[1]?.columns).toContain('发证机关统一社会信用代码');
  });
});

describe('published catalog', () => {
  it('Markdown lists every entry with its fields, required flags, code lists and periods', () => {
    const markdown = catalogMarkdown(entries, '2026-11-27');
    for (const title of [
      '行政处罚',
      '行政许可',
      '法人和非法人组织登记注册基本信息',
      '严重失信主体名单',
      '行政强制',
      '职业资格',
    ]) {
      expect(markdown).toContain(`## ${title}（`);
    }
    expect(markdown).toContain(
      '| `XK_XKLB` | 许可类别 | 文本 | 必填 | 代码表：普通、特许、认可、核准、登记、其他',
    );
    expect(markdown).toContain('条件必填：行政相对人类别为"自然人"时');
    expect(markdown).toContain(
      '| 主体代码字段 | 按"行政相对人类别"确定——法人及非法人组织：行政相对人代码_1(统一社会信用代码)（CF_XDR_SHDM）；' +
        '自然人：证件号码（CF_XDR_ZJHM）；个体工商户：行政相对人代码_1(统一社会信用代码)（CF_XDR_SHDM），' +
        '行政相对人代码_2(工商注册号)（CF_XDR_GSZC）（依次取第一个有效值，占位代码除外） |',
    );
    expect(markdown).toContain(
      '- "行政相对人类别"为"自然人"时，"行政相对人代码_1(统一社会信用代码)"、"行政相对人代码_2(工商注册号)"、' +
        '"行政相对人代码_3(组织机构代码)"、"行政相对人代码_4(税务登记号)"、"行政相对人代码_5(事业单位证书号)"、' +
        '"行政相对人代码_6(社会组织登记证号)"应为空（填写了即退回，错误代码 subject-code-not-allowed）',
    );
    expect(markdown).toContain('| 使用（公示）期限 |');
    expect(markdown).toContain('| 公示期计算 | 自处罚决定日期（CF_JDRQ）起算');
  });
  it('HTML is one self-contained page: no scripts, no external resources, text escaped', () => {
    const html = catalogHtml(entries, '2026-11-27');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
    expect(html).toContain('<section id="xzcf-v1">');
    expect(catalogHtml([{ ...entry('zyzg'), title: '<b>职业资格</b>' }], 'x')).toContain(
      '&lt;b&gt;职业资格&lt;/b&gt;',
    );
  });
});
