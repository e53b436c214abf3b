import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENALTY_HEADER, toCsv } from '../fixtures/generate/penalty-rows.ts';
import packageJson from '../package.json' with { type: 'json' };
import { checkResidentId, computeResidentIdCheckChar } from '../src/identifiers/resident-id.ts';
import { checkUscc } from '../src/identifiers/uscc.ts';
import { decidedAMonthAgo, disclosureReportArgs } from './support/disclosed-today.ts';
import { type CliResult, runCli } from './support/run-cli.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const DECIDED = decidedAMonthAgo();

/*
 * The privacy audit's findings (beside mask-everywhere.test.ts, which feeds IDs in every column and position):
 * IDs written in other digit forms, IDs Excel stored as numbers, a headerless file, and what the CLI echoes of
 * what was typed (Commander's own errors, ids not found, values refused), verify's keys and a pipeline shown.
 * Every output goes through the real CLI; unmasked IDs are found with the identifier checks, not the masker.
 */

const valid = (first17: string) => first17 + computeResidentIdCheckChar(first17);
/** ID-shaped (a real birth date), the check character wrong: a person's number mistyped. */
const mistyped = (first17: string) => first17 + (computeResidentIdCheckChar(first17) === '1' ? '2' : '1');

const ID = {
  person: valid('37010219850101001'), // 证件号码 of the accepted natural person
  bold: valid('37010219800202002'), // mathematical bold, in 违法事实
  superscript: valid('37010219800303003'), // superscripts, in 备注
  arabic: valid('37010219800404004'), // Arabic-Indic, in 备注
  circled: valid('37010219800505005'), // circled digits, as 行政相对人名称
  rejected: valid('37010219800606006'), // mathematical bold, in 违法事实 of a row rejected for its date
  nameNumber: valid('37010219820401001'), // an Excel number in 行政相对人名称
  noteNumber: valid('37010219820402002'), // an Excel number in 备注
  keyNumber: valid('37010219820403003'), // an Excel number as 行政处罚决定书文号, a business-key part
  pipeline: valid('37010219830505001'), // a drop folder named for a person
} as const;
const MISTYPED = {
  headerless: mistyped('37010219800707007'), // the first line of a file without a header
  passport: mistyped('37010219800808008'), // 证件号码 of a 护照 holder: not checked as an ID, loaded
  typed: mistyped('37010219800101001'), // typed to the CLI where it does not belong
} as const;
/** 15 digits with a real birth date (1980-05-05): typed as a run, notice or objection id. */
const LEGACY_TYPED = '370102800505005';
const AUTHORITY = '11370100MB28174284';

const inDigits = (text: string, zero: number) =>
  text.replace(/[0-9]/g, (c) => String.fromCodePoint(zero + Number(c)));
const BOLD = 0x1d7ce;
const ARABIC = 0x660;
const inTable = (text: string, digits: string) =>
  text.replace(/[0-9]/g, (c) => Array.from(digits)[Number(c)]!);
const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';
const CIRCLED = '⓪①②③④⑤⑥⑦⑧⑨';
/** Masked as the masker shows an ID: its first 4 and last 4 characters, in their own form. */
const masked = (typed: string) => {
  const chars = Array.from(typed);
  return `${chars.slice(0, 4).join('')}${'*'.repeat(chars.length - 8)}${chars.slice(-4).join('')}`;
};

/** Digits of every form as ASCII: NFKC (mathematical, superscripts, circled), then Arabic-Indic by hand. */
const folded = (text: string) =>
  text.normalize('NFKC').replace(/[\u0660-\u0669]/g, (c) => String(c.charCodeAt(0) - 0x660));

/**
 * Unmasked IDs in a text, in any digit form: 18-character runs shaped like an ID (a real birth date, any check
 * character: an ID Excel cut to …000 is one) that are no valid USCC, and the 15-digit number typed as an id.
 */
function unmaskedIds(text: string): string[] {
  const plain = folded(text);
  const shaped = [...plain.matchAll(/(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])/g)]
    .map((match) => match[0].toUpperCase())
    .filter((code) => {
      if (checkUscc(code, { allowPilotCodes: true }) === null) return false;
      const problem = checkResidentId(code);
      return problem === null || problem.code === 'resident-id-check-digit';
    });
  return [...new Set([...shaped, ...(plain.includes(LEGACY_TYPED) ? [LEGACY_TYPED] : [])])];
}

function row(fields: Record<string, string | number>): (string | number)[] {
  const base: Record<string, string | number> = {
    行政相对人名称: '济南示例商贸有限公司',
    行政相对人类别: '法人及非法人组织',
    '行政相对人代码_1(统一社会信用代码)': '91370102001000010X',
    法定代表人: '李一',
    违法行为类型: '违反《中华人民共和国食品安全法》第三十四条',
    违法事实: '经营超过保质期的食品。',
    处罚依据: '《中华人民共和国食品安全法》第一百二十四条',
    处罚类别: '罚款',
    处罚内容: '罚款人民币1万元',
    '罚款金额（万元）': '1',
    处罚决定日期: DECIDED,
    处罚有效期: '2099-12-31',
    公示截止期: '2029-12-31',
    处罚机关: '济南市市场监督管理局',
    处罚机关统一社会信用代码: AUTHORITY,
    数据来源单位: '济南市市场监督管理局',
    数据来源单位统一社会信用代码: AUTHORITY,
  };
  const all = { ...base, ...fields };
  return PENALTY_HEADER.map((title) => all[title] ?? '');
}

const naturalPerson = {
  行政相对人类别: '自然人',
  '行政相对人代码_1(统一社会信用代码)': '',
  法定代表人: '',
};

/** IDs in other digit forms where free text goes and as a name; a passport holder; a row rejected. */
function unicodeDelivery(): string[][] {
  return [
    row({
      ...naturalPerson,
      行政相对人名称: inTable(ID.circled, CIRCLED),
      证件类型: '身份证',
      证件号码: ID.person,
      行政处罚决定书文号: '济市监罚〔2026〕701号',
      违法事实: `当事人伙同${inDigits(ID.bold, BOLD)}经营`,
      备注: `上标${inTable(ID.superscript, SUPERSCRIPT)} 阿拉伯${inDigits(ID.arabic, ARABIC)}`,
    }),
    row({
      ...naturalPerson,
      行政相对人名称: '赵某',
      证件类型: '护照',
      证件号码: MISTYPED.passport,
      行政处罚决定书文号: '济市监罚〔2026〕702号',
    }),
    row({
      行政处罚决定书文号: '济市监罚〔2026〕703号',
      处罚决定日期: '2026-02-30',
      违法事实: `当事人${inDigits(ID.rejected, BOLD)}经营`,
    }),
  ].map((cells) => cells.map(String));
}

/** IDs stored as Excel numbers in columns that are no code column; a long number that is no ID. */
async function numberWorkbook(file: string): Promise<void> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('处罚信息');
  sheet.addRow([...PENALTY_HEADER]);
  sheet.addRow(row({ 行政相对人名称: Number(ID.nameNumber), 行政处罚决定书文号: '济市监罚〔2026〕711号' }));
  sheet.addRow(row({ 备注: Number(ID.noteNumber), 行政处罚决定书文号: '济市监罚〔2026〕712号' }));
  sheet.addRow(row({ 行政处罚决定书文号: Number(ID.keyNumber) }));
  // A 19-digit bank card number in 备注, no birth date where an ID has one: loaded as the number Excel kept.
  sheet.addRow(row({ 备注: Number('6222021234567890123'), 行政处罚决定书文号: '济市监罚〔2026〕714号' }));
  await book.xlsx.writeFile(file);
}

describe('the privacy audit: IDs in other forms and echoes of what was typed, masked in every output', () => {
  let fx: WarehouseFixture;
  let env: NodeJS.ProcessEnv;
  const outputs = new Map<string, string>();
  const results = new Map<string, CliResult>();

  const cli = async (label: string, ...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, env);
    outputs.set(`${label} stdout`, result.stdout);
    outputs.set(`${label} stderr`, result.stderr);
    results.set(label, result);
    return result;
  };
  const recordOf = async (decision: string): Promise<number> =>
    (await fx.warehouse('records').where('business_key', 'like', `%${decision}%`).first('id')).id;

  beforeAll(async () => {
    fx = await openWarehouseFixture('mask_audit');
    const pipelines = path.join(fx.scratch, 'pipelines');
    mkdirSync(pipelines);
    env = {
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'credit-etl.log'),
      CREDIT_ETL_REPORT_DIR: path.join(fx.scratch, 'reports'),
      CREDIT_ETL_PIPELINES_DIR: pipelines,
    };
    const unicode = path.join(fx.scratch, 'unicode.csv');
    writeFileSync(unicode, `\uFEFF${toCsv([...PENALTY_HEADER], unicodeDelivery())}`);
    const numbers = path.join(fx.scratch, 'numbers.xlsx');
    await numberWorkbook(numbers);
    const headerless = path.join(fx.scratch, 'headerless.csv');
    const first = row({
      ...naturalPerson,
      行政相对人名称: '孙某',
      证件类型: '身份证',
      证件号码: MISTYPED.headerless,
    });
    writeFileSync(headerless, toCsv(first.map(String), []));
    const ingest = ['ingest', '--catalog', 'xzcf', '--provider', '11370000MB2852362M', '--level', 'province'];
    await cli('ingest', ...ingest, unicode, numbers, headerless);
    await cli('runs show', 'runs', 'show', '1');
    await cli('runs show --json', 'runs', 'show', '1', '--json');
    const rejections = path.join(fx.scratch, 'rejections.csv');
    await cli('report rejections', 'report', 'rejections', '--run', '1', '--out', rejections);
    outputs.set('rejections.csv', readFileSync(rejections, 'utf8'));
    const records: number[] = await fx.warehouse('records').orderBy('id').pluck('id');
    for (const id of records) await cli(`record ${id} --json`, 'record', String(id), '--json');
    await cli('subject --json', 'subject', ID.person, '--json');
    const disclosure = path.join(fx.scratch, 'disclosure.csv');
    await cli('report disclosure', ...disclosureReportArgs(disclosure));
    outputs.set('disclosure.csv', readFileSync(disclosure, 'utf8'));

    // Commander's own errors, and what it prints to stdout.
    await cli('bad choice', 'objection', 'open', '1', '--channel', MISTYPED.typed);
    await cli('unknown command', MISTYPED.typed);
    await cli('unknown option', 'record', `--${MISTYPED.typed}`);
    await cli('--version', '--version');
    await cli('--help', '--help');
    await cli('runs --help', 'runs', '--help');
    // Ids not found, ids that are no ids, and values refused.
    await cli('runs show legacy', 'runs', 'show', LEGACY_TYPED);
    await cli('runs show 18', 'runs', 'show', MISTYPED.typed);
    await cli('notice show legacy', 'notice', 'show', LEGACY_TYPED);
    await cli('report rejections legacy', 'report', 'rejections', '--run', LEGACY_TYPED, '--out', rejections);
    await cli('objection notify legacy', 'objection', 'notify', LEGACY_TYPED, '--out', `${rejections}.xlsx`);
    await cli('--received-at', ...ingest, '--received-at', MISTYPED.typed, unicode);
    await cli(
      '--provider',
      'ingest',
      '--catalog',
      'xzcf',
      '--provider',
      MISTYPED.typed,
      '--level',
      'city',
      unicode,
    );
    const personRecord = String(await recordOf('701号'));
    await cli(
      'procedure correct --set',
      ...['procedure', 'correct', personRecord, '--set', `处罚决定日期=${MISTYPED.typed}`],
      ...['--basis', '鲁市监更〔2026〕1号', '--reason', '更正'],
    );
    // verify: the passport holder's key altered behind the engine's back; its 证件号码 part masked as its field.
    const passportRecord = await recordOf('702号');
    await fx.owner.transaction(async (trx) => {
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw(
        `UPDATE records SET business_key = replace(business_key, '702号', '792号') WHERE id = ?`,
        [passportRecord],
      );
    });
    await cli('verify', 'verify');
    // A pipeline whose drop folder is named for a person.
    writeFileSync(
      path.join(pipelines, 'named.json'),
      JSON.stringify({
        catalog: 'xzcf',
        provider: '11370000MB2852362M',
        level: 'province',
        transport: { type: 'drop-folder', directory: path.join(fx.scratch, 'drop', ID.pipeline) },
      }),
    );
    await cli('pipelines show', 'pipelines', 'show', 'named');
    outputs.set('log file', readFileSync(path.join(fx.scratch, 'credit-etl.log'), 'utf8'));
  }, 600_000);
  afterAll(async () => fx?.close());

  it('loads the rows in other digit forms, and rejects every ID Excel stored as a number, naming row and field', async () => {
    const decisions = await fx.warehouse('records').orderBy('id').pluck('business_key');
    // 702's key was altered behind the engine's back (to 792), for verify.
    expect(decisions.map((key: string) => /〔2026〕(\d+)号/.exec(key)?.[1])).toEqual(['701', '792', '714']);
    const rejected: { name: string; row_number: number; errors: { field: string; code: string }[] }[] =
      await fx
        .warehouse('rejections')
        .join('source_files', 'source_files.id', 'rejections.source_file_id')
        .where({ 'rejections.run_id': 1 })
        .orderBy(['source_files.name', 'row_number'])
        .select('source_files.name', 'row_number', 'errors');
    const flat = rejected.flatMap((rejection) =>
      rejection.errors.map((error) => [rejection.name, rejection.row_number, error.field, error.code]),
    );
    expect(flat).toEqual([
      ['numbers.xlsx', 2, 'CF_XDR_MC', 'code-stored-as-number'],
      ['numbers.xlsx', 3, 'BZ', 'code-stored-as-number'],
      ['numbers.xlsx', 4, 'CF_WSH', 'code-stored-as-number'],
      ['unicode.csv', 4, 'CF_JDRQ', 'invalid-date'],
    ]);
    const rejectionsCsv = outputs.get('rejections.csv')!;
    expect(rejectionsCsv).toContain(
      `第2行""行政相对人名称""的值""${ID.nameNumber.slice(0, 4)}**********0000""像是居民身份证号码`,
    );
    expect(rejectionsCsv).toContain(`第3行""备注""的值""${ID.noteNumber.slice(0, 4)}**********0000""`);
    expect(rejectionsCsv).toContain(`第4行""行政处罚决定书文号""的值""3701**********0000""`);
  });

  it('prints no unmasked ID, in any digit form, in any output', () => {
    expect(outputs.size).toBeGreaterThan(40);
    const unmasked = [...outputs].flatMap(([label, text]) =>
      unmaskedIds(text).map((id) => `${label}: ${id}`),
    );
    expect(unmasked).toEqual([]);
  });

  it('shows the IDs masked in the digits they were written in', () => {
    for (const label of ['record 1 --json stdout', 'subject --json stdout', 'disclosure.csv']) {
      const text = outputs.get(label)!;
      expect(text, label).toContain(masked(inDigits(ID.bold, BOLD)));
      expect(text, label).toContain(masked(inTable(ID.superscript, SUPERSCRIPT)));
      expect(text, label).toContain(masked(inDigits(ID.arabic, ARABIC)));
    }
    expect(outputs.get('disclosure.csv')).toContain(masked(inTable(ID.circled, CIRCLED)));
    expect(outputs.get('rejections.csv')).toContain(masked(inDigits(ID.rejected, BOLD)));
    expect(outputs.get('ingest stdout')).toContain('[unknown-columns]: 第一行像是数据而不是表头');
  });

  it("masks what was typed in Commander's own errors; help and the version go to stdout as they were", () => {
    const shown = masked(MISTYPED.typed);
    expect(outputs.get('bad choice stderr')).toContain(`argument '${shown}' is invalid`);
    expect(outputs.get('unknown command stderr')).toContain(`unknown command '${shown}'`);
    expect(outputs.get('unknown option stderr')).toContain(`unknown option '--${shown}'`);
    for (const label of ['bad choice', 'unknown command', 'unknown option'])
      expect(results.get(label)?.code).toBe(2);
    expect(results.get('--version')).toEqual({ code: 0, stdout: `${packageJson.version}\n`, stderr: '' });
    expect(outputs.get('--help stdout')).toMatch(/^Usage: credit-etl \[options\] \[command\]/);
    expect(outputs.get('runs --help stdout')).toMatch(/^Usage: credit-etl runs/);
    expect(outputs.get('--help stderr')! + outputs.get('runs --help stderr')).toBe('');
  });

  it('echoes an id not found masked, and refuses one too long to be an id instead of rounding it', () => {
    const legacy = '3701*******5005';
    expect(outputs.get('runs show legacy stderr')).toContain(`run ${legacy} not found`);
    expect(outputs.get('notice show legacy stderr')).toContain(`notice ${legacy} not found`);
    expect(outputs.get('report rejections legacy stderr')).toContain(`run ${legacy} not found`);
    expect(outputs.get('objection notify legacy stderr')).toContain(`objection ${legacy} not found`);
    expect(outputs.get('runs show 18 stderr')).toContain(`run id ${masked(MISTYPED.typed)} is not an id`);
    expect(outputs.get('runs show 18 stderr')).not.toMatch(/0{3,}\b/);
    expect(results.get('runs show 18')?.code).toBe(2);
  });

  it('masks an ID-shaped value refused as a date, a provider code or a corrected value', () => {
    const shown = masked(MISTYPED.typed);
    expect(outputs.get('--received-at stderr')).toContain(`--received-at ${shown} is not a real date`);
    expect(outputs.get('--provider stderr')).toContain(
      `provider "${shown}" is not a unified social credit code`,
    );
    expect(outputs.get('procedure correct --set stderr')).toContain(`值"${shown}"`);
  });

  it("shows verify's key parts as their fields say, and a pipeline's definition masked", () => {
    const verify = outputs.get('verify stdout')! + outputs.get('verify stderr');
    expect(verify).toContain('key-differs');
    expect(verify).toContain(`〔2026〕792号||${masked(MISTYPED.passport)}`);
    const pipeline = outputs.get('pipelines show stdout')!;
    expect(pipeline).toContain(`drop/${masked(ID.pipeline)}`);
  });
});
