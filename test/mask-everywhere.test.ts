import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { PENALTY_HEADER } from '../fixtures/generate/penalty-rows.ts';
import { checkResidentId } from '../src/identifiers/resident-id.ts';
import { checkUscc } from '../src/identifiers/uscc.ts';
import { decidedAMonthAgo, disclosureReportArgs } from './support/disclosed-today.ts';
import { type CliResult, runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const DECIDED = decidedAMonthAgo();

/*
 * Issue #15 (3): IDs fed in every column and position come out masked in every output of the real CLI, and
 * valid all-digit USCCs come out in clear. The counts are made with the identifier checks, not the masker.
 */

/** Valid resident IDs, each fed once in its own place. */
const ID = {
  naturalPerson: '371102197906124048', // 证件号码 of an accepted 自然人 row: record, subject
  fullWidth: '440524188001010014', // full-width in 违法事实
  spaced: '360426199101010071', // spaced in 备注
  inUsccColumn: '11010519491231002X', // typed into the USCC column: rejected
  headerless: '610104196209276908', // the first line of a file without a header
  fileName: '810000199408230021', // in a delivered file's name
  legacy: '610104620927690', // 15 digits, in 违法事实
  wrapped: '320106198506150028', // in 违法事实, its groups parted by a thin space and a line break
} as const;
/** ID-shaped, wrong check digit: personal data all the same where typed into a declared or code column. */
const MISTYPED = {
  personalField: '370102199001011234', // 证件号码 (x-personal)
  usccColumn: '370102199001011235', // 统一社会信用代码
  fullWidthPersonal: '370102199001011236', // 证件号码, full-width: messages quote it as the validator read it
  spacedUsccColumn: '370102199001011237', // 统一社会信用代码, spaced
  lookedUp: '370102199912310011', // typed to `record`, which finds nothing
} as const;
/** Real, public all-digit USCCs (domain-notes, fixtures). */
const USCC = {
  subject: '121200004013590816', // 事业单位 subject of an accepted row
  authority: '913701020000050122', // 处罚机关 of the accepted rows, and in 备注 text
  rejected: '913701020000090800', // subject of a rejected row: in the reports
} as const;

const toFullWidth = (text: string) =>
  text.replace(/[0-9X]/g, (char) => String.fromCharCode(char.charCodeAt(0) + 0xfee0));
const spaced = (id: string) => `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`;

/** Wrapped in a cell: a thin space, then a line break (as JSON writes it, too). */
const wrapped = (id: string, newline = '\n') =>
  `${id.slice(0, 6)}\u2009${id.slice(6, 14)}${newline}${id.slice(14)}`;

/** Every form an ID was fed in, or may come back in (half-width, full-width, spaced, wrapped). */
const idForms = (id: string) => [
  id,
  toFullWidth(id),
  spaced(id),
  toFullWidth(spaced(id)),
  wrapped(id),
  wrapped(id, '\\n'),
];

/** Unmasked IDs in a text: the fed ones in any form, and any other 18-character run that checks as an ID. */
function unmaskedIds(text: string): string[] {
  const fed = [...Object.values(ID), ...Object.values(MISTYPED)].flatMap((id) =>
    idForms(id).filter((form) => text.includes(form)),
  );
  const other = [...text.matchAll(/(?<!\d)\d{17}[\dXx](?!\d)/g)]
    .map((match) => match[0].toUpperCase())
    .filter((code) => checkResidentId(code) === null && checkUscc(code, { allowPilotCodes: true }) !== null);
  return [...new Set([...fed, ...other])];
}

/** The fed USCCs shown masked (first 4, stars, last 4), in a text. */
function maskedUsccs(text: string): string[] {
  return Object.values(USCC).filter(
    (code) => text.includes(`${code.slice(0, 4)}**`) || text.includes(`**${code.slice(-4)}`),
  );
}

function row(fields: Record<string, string>): string[] {
  const base: Record<string, string> = {
    行政相对人名称: '济南示例商贸有限公司',
    行政相对人类别: '法人及非法人组织',
    '行政相对人代码_1(统一社会信用代码)': '91370102001000010X',
    法定代表人: '李一',
    违法行为类型: '违反《中华人民共和国食品安全法》第三十四条',
    违法事实: '该单位未按规定公示年度报告。',
    处罚依据: '《中华人民共和国食品安全法》第一百二十四条',
    处罚类别: '罚款',
    处罚内容: '罚款人民币1万元',
    '罚款金额（万元）': '1',
    处罚决定日期: DECIDED,
    处罚有效期: '2099-12-31',
    公示截止期: '2029-12-31',
    处罚机关: '济南市市场监督管理局',
    处罚机关统一社会信用代码: USCC.authority,
    数据来源单位: '济南市市场监督管理局',
    数据来源单位统一社会信用代码: USCC.authority,
  };
  const all = { ...base, ...fields };
  return PENALTY_HEADER.map((title) => all[title] ?? '');
}

const csv = (rows: string[][]) =>
  `${rows.map((cells) => cells.map((cell) => `"${cell.replaceAll('"', '""')}"`).join(',')).join('\r\n')}\r\n`;

const naturalPerson = {
  行政相对人名称: '张某',
  行政相对人类别: '自然人',
  '行政相对人代码_1(统一社会信用代码)': '',
  法定代表人: '',
  证件类型: '身份证',
};

/** The delivery: IDs in every column and position, all-digit USCCs where USCCs go. */
function delivery(): string[][] {
  return [
    [...PENALTY_HEADER],
    // accepted: a natural person, IDs in free text (full-width, spaced, 15-digit), a USCC in free text
    row({
      ...naturalPerson,
      证件号码: ID.naturalPerson,
      行政处罚决定书文号: '济市监罚〔2026〕901号',
      违法事实: `当事人（身份证${toFullWidth(ID.fullWidth)}）伙同${ID.legacy}销售过期食品；另${wrapped(ID.wrapped)}。`,
      备注: `同案人证件 ${spaced(ID.spaced)}；处罚机关代码${USCC.authority}`,
    }),
    // accepted: an all-digit USCC as the subject
    row({
      行政相对人名称: '山东省某某事业单位',
      '行政相对人代码_1(统一社会信用代码)': USCC.subject,
      行政处罚决定书文号: '济市监罚〔2026〕902号',
    }),
    // rejected: an ID typed into the USCC column
    row({
      '行政相对人代码_1(统一社会信用代码)': ID.inUsccColumn,
      行政处罚决定书文号: '济市监罚〔2026〕903号',
    }),
    // rejected: a mistyped ID in the declared personal field
    row({ ...naturalPerson, 证件号码: MISTYPED.personalField, 行政处罚决定书文号: '济市监罚〔2026〕904号' }),
    // rejected: a mistyped ID in the USCC column
    row({
      '行政相对人代码_1(统一社会信用代码)': MISTYPED.usccColumn,
      行政处罚决定书文号: '济市监罚〔2026〕905号',
    }),
    // rejected: a mistyped ID typed full-width in the declared personal field, one spaced in the USCC column
    row({
      ...naturalPerson,
      证件号码: toFullWidth(MISTYPED.fullWidthPersonal),
      行政处罚决定书文号: '济市监罚〔2026〕907号',
    }),
    row({
      '行政相对人代码_1(统一社会信用代码)': spaced(MISTYPED.spacedUsccColumn),
      行政处罚决定书文号: '济市监罚〔2026〕908号',
    }),
    // rejected (impossible date): an all-digit USCC subject, shown in the reports
    row({
      '行政相对人代码_1(统一社会信用代码)': USCC.rejected,
      处罚决定日期: '2026-02-30',
      行政处罚决定书文号: '济市监罚〔2026〕906号',
    }),
  ];
}

async function xlsxText(file: string): Promise<string> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  let text = '';
  try {
    for await (const entry of zip.eachEntry()) {
      const stream = await zip.openReadStreamPromise(entry);
      for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString('utf8');
      text += '\n';
    }
  } finally {
    zip.close();
  }
  return text;
}

/** Every part of a workbook by its name. */
async function xlsxParts(file: string): Promise<Map<string, string>> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  const parts = new Map<string, string>();
  try {
    for await (const entry of zip.eachEntry()) {
      let text = '';
      for await (const chunk of (await zip.openReadStreamPromise(entry)) as AsyncIterable<Buffer>) {
        text += chunk.toString('utf8');
      }
      parts.set(entry.fileName, text);
    }
  } finally {
    zip.close();
  }
  return parts;
}

describe('personal data is masked by meaning in every output of the CLI', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  const outputs = new Map<string, string>();

  const cli = async (label: string, ...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, env);
    outputs.set(`${label} stdout`, result.stdout);
    outputs.set(`${label} stderr`, result.stderr);
    return result;
  };

  beforeAll(async () => {
    fx = await openWarehouseFixture('mask_everywhere');
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'credit-etl.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
    };
    const named = path.join(fx.scratch, `行政处罚-${ID.fileName}.csv`);
    writeFileSync(named, `\uFEFF${csv(delivery())}`);
    const headerless = path.join(fx.scratch, 'headerless.csv');
    writeFileSync(
      headerless,
      csv(
        delivery()
          .slice(1, 2)
          .map((cells) => cells.map((cell, i) => (i === 12 ? ID.headerless : cell))),
      ),
    );
    const ingest = ['ingest', '--catalog', 'xzcf', '--provider', '11370000MB2852362M', '--level', 'province'];
    await cli('ingest', ...ingest, named, headerless);
    await cli('ingest --json', ...ingest, '--json', '--force', named, headerless);
    await cli('runs show', 'runs', 'show', '1');
    await cli('runs show --json', 'runs', 'show', '1', '--json');
    for (const extension of ['csv', 'xlsx', 'json']) {
      const out = path.join(fx.scratch, `rejections.${extension}`);
      await cli(`report ${extension}`, 'report', 'rejections', '--run', '1', '--out', out);
      outputs.set(
        `rejections.${extension}`,
        extension === 'xlsx' ? await xlsxText(out) : readFileSync(out, 'utf8'),
      );
    }
    const notice = path.join(fx.scratch, 'notice.xlsx');
    await cli(
      'report notice',
      'report',
      'notice',
      '--provider',
      '11370000MB2852362M',
      '--run',
      '1',
      '--out',
      notice,
    );
    outputs.set('notice.xlsx', await xlsxText(notice));
    await cli('notice show', 'notice', 'show', '1');
    await cli('notice show --json', 'notice', 'show', '1', '--json');
    outputs.set(
      'run-1-rejections.csv',
      readFileSync(path.join(fx.scratch, 'reports', 'run-1-rejections.csv'), 'utf8'),
    );
    const records: { id: number; subject_code: string }[] = await fx
      .warehouse('records')
      .select('id', 'subject_code');
    for (const record of records) {
      await cli(`record ${record.id}`, 'record', String(record.id));
      await cli(`record ${record.id} --json`, 'record', String(record.id), '--json');
    }
    await cli('record of an unknown ID', 'record', MISTYPED.lookedUp);
    // An objection on the natural person's record, its claim quoting the ID; the verification notice to the provider.
    await cli(
      'objection open',
      'objection',
      'open',
      '1',
      '--applicant',
      `张某（身份证${ID.naturalPerson}）`,
      '--reason',
      `证件号码${ID.naturalPerson}的处罚不属于本人`,
    );
    const verification = path.join(fx.scratch, 'verification.xlsx');
    await cli('objection notify', 'objection', 'notify', '1', '--out', verification);
    outputs.set('verification.xlsx', await xlsxText(verification));
    await cli('objection answer', 'objection', 'answer', '1', '--result', 'confirmed', '--basis', '复函1号');
    for (const subject of [ID.naturalPerson, USCC.subject]) {
      await cli(`subject ${subject}`, 'subject', subject);
      await cli(`subject ${subject} --json`, 'subject', subject, '--json');
    }
    for (const extension of ['csv', 'xlsx', 'json']) {
      const out = path.join(fx.scratch, `disclosure.${extension}`);
      await cli(`disclosure ${extension}`, ...disclosureReportArgs(out));
      outputs.set(
        `disclosure.${extension}`,
        extension === 'xlsx' ? await xlsxText(out) : readFileSync(out, 'utf8'),
      );
    }
    outputs.set('log file', readFileSync(path.join(fx.scratch, 'credit-etl.log'), 'utf8'));
  }, 600_000);
  afterAll(async () => fx?.close());

  it('loads the rows it should and rejects the rest, so that every output has something to show', async () => {
    const subjects = (await fx.warehouse('records').orderBy('id').pluck('subject_code')) as string[];
    expect(subjects).toEqual([ID.naturalPerson, USCC.subject]);
    const rejected = await fx
      .warehouse('rejections')
      .where({ run_id: 1 })
      .count<{ count: string }[]>({ count: '*' });
    expect(Number(rejected[0]?.count)).toBe(6);
    const failed = await fx.warehouse('source_files').where({ run_id: 1, status: 'failed' }).pluck('error');
    expect(failed).toHaveLength(1);
  });

  it('prints no unmasked resident ID in any output', () => {
    expect(outputs.size).toBeGreaterThan(25);
    const unmasked = [...outputs].flatMap(([label, text]) =>
      unmaskedIds(text).map((id) => `${label}: ${id}`),
    );
    expect(unmasked).toEqual([]);
  });

  it("--template-unmasked: only the re-upload template's cells hold IDs in clear, the provider's own", async () => {
    const notice = path.join(fx.scratch, 'notice-own-values.xlsx');
    // Notice 1 covers this scope already (the test above): written again as it, with the template unmasked.
    const args = [
      'report',
      'notice',
      '--id',
      '1',
      '--template-unmasked',
      '--reason',
      '重报模板回传提供单位',
      '--out',
      notice,
    ];
    const result = await runCli(args, env);
    expect(result.stdout).toContain("re-upload template holds the provider's own values in clear");
    expect(unmaskedIds(result.stdout + result.stderr)).toEqual([]);
    const parts = await xlsxParts(notice);
    const template = parts.get('xl/worksheets/sheet3.xml') ?? '';
    // The rejected rows' own values: the ID typed into the USCC column, the mistyped ones in both columns.
    expect(unmaskedIds(template).sort()).toEqual(
      [
        ID.inUsccColumn,
        MISTYPED.personalField,
        MISTYPED.usccColumn,
        toFullWidth(MISTYPED.fullWidthPersonal),
        spaced(MISTYPED.spacedUsccColumn),
      ].sort(),
    );
    const elsewhere = [...parts].filter(([name]) => name !== 'xl/worksheets/sheet3.xml');
    // Notes (comments) quote the messages: masked, as in every report.
    expect(elsewhere.flatMap(([name, text]) => unmaskedIds(text).map((id) => `${name}: ${id}`))).toEqual([]);
  });

  it('shows the IDs masked where they were fed, in the same format everywhere', () => {
    const all = [...outputs.values()].join('\n');
    expect(all).toContain('3711**********4048');
    expect(all).toContain(`４４０５**********００１４`);
    expect(all).toContain('3604** ******** 0071');
    expect(all).toContain('1101**********002X');
    expect(all).toContain('3701**********1234');
    expect(all).toContain('6101*******7690');
    // The headerless file's first line is a data row: its cells are not quoted at all.
    expect(outputs.get('ingest stdout')).toContain('[unknown-columns]: 第一行像是数据而不是表头');
    expect(outputs.get('ingest stdout')).not.toContain('6101**');
    expect(outputs.get('runs show stdout')).toContain('8100**********0021');
    expect(outputs.get('record of an unknown ID stderr')).toContain('3701**********0011');
    expect(outputs.get('rejections.csv')).toContain('３７０１**********１２３６');
    expect(outputs.get('verification.xlsx')).toContain('证件号码3711**********4048的处罚不属于本人');
  });

  it('masks no valid USCC in any output, and shows each where it belongs', () => {
    const masked = [...outputs].flatMap(([label, text]) =>
      maskedUsccs(text).map((code) => `${label}: ${code}`),
    );
    expect(masked).toEqual([]);
    expect(outputs.get(`subject ${USCC.subject} stdout`)).toContain(USCC.subject);
    expect(outputs.get('rejections.xlsx')).toContain(USCC.rejected);
    expect(outputs.get('rejections.csv')).toContain(USCC.rejected);
    expect(outputs.get('rejections.json')).toContain(USCC.authority);
    expect(outputs.get('record 2 --json stdout')).toContain(USCC.subject);
    expect(outputs.get('record 1 stdout')).toContain(USCC.authority);
    for (const extension of ['csv', 'xlsx', 'json']) {
      expect(outputs.get(`disclosure.${extension}`)).toContain(USCC.subject);
      expect(outputs.get(`disclosure.${extension}`)).toContain('3711**********4048');
    }
    expect(outputs.get('verification.xlsx')).toContain(USCC.authority);
  });
});
