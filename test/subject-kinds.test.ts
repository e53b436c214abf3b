import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { withdrawRecord } from '../src/procedures/legal-procedures.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';
import { runCli } from './support/run-cli.ts';

/**
 * One code, two subjects (review findings 2 and 4), through the real CLI and console against real PostgreSQL.
 * 110101199003071049 is a valid resident ID number and a valid USCC (authority 1, category 1 机关): an organ's
 * penalty filed under it as its USCC, and a person's penalty and 执业资格 filed under it as their ID, are two
 * subjects' records. Neither archive may show the other's records, the code is masked in the person's and shown in
 * the organization's, and each is named by its own records.
 */
const BOTH = '110101199003071049';
const BOTH_MASKED = '1101**********1049';
const REGISTERED = '913701020000090132';
const USCC = '行政相对人代码_1(统一社会信用代码)';
const DECISION = '行政处罚决定书文号';
const ORGAN_DECISION = '济市监罚〔2026〕901号';
const PERSON_DECISION = '济市监罚〔2026〕902号';
const CERTIFICATE = '鲁1372026000901';

/** The header and first row of the xzcf template (fixtures/xzcf/utf8-bom), keyed by column. */
function templateRow(): { header: string[]; row: Record<string, string> } {
  const text = readFileSync(path.join(PROJECT_ROOT, 'fixtures/xzcf/utf8-bom/input.csv'), 'utf8').replace(
    /^\uFEFF/,
    '',
  );
  const [header = [], first = []] = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
  return { header, row: Object.fromEntries(header.map((column, i) => [column, first[i] ?? ''])) };
}

const organization = (name: string, code: string, decision: string, date: string) => ({
  行政相对人名称: name,
  行政相对人类别: '法人及非法人组织',
  [USCC]: code,
  [DECISION]: decision,
  处罚决定日期: date,
});
const person = (name: string, id: string, decision: string, date: string) => ({
  行政相对人名称: name,
  行政相对人类别: '自然人',
  [USCC]: '',
  法定代表人: '',
  法定代表人证件类型: '',
  法定代表人证件号码: '',
  证件类型: '身份证',
  证件号码: id,
  [DECISION]: decision,
  处罚决定日期: date,
});

describe('one code naming a natural person and an organization', () => {
  let cx: ConsoleFixture;
  const records = new Map<string, number>();
  const cli = (args: string[]) =>
    runCli(['subject', ...args], {
      DATABASE_URL: cx.fx.url,
      CREDIT_ETL_LOG_FILE: path.join(cx.fx.scratch, 'cli.log'),
      CREDIT_ETL_REPORT_DIR: path.join(cx.fx.scratch, 'reports'),
    });

  beforeAll(async () => {
    cx = await openConsoleFixture('subject_kinds', { browser: false });
    const { header, row } = templateRow();
    // The person's penalty is the newer one: the archive's header took the code's masking and the name from it.
    const rows = [
      organization('某区人民政府办公室', BOTH, ORGAN_DECISION, '2026-10-12'),
      person('赵五', BOTH, PERSON_DECISION, '2026-10-15'),
    ].map((changes): Record<string, string> => ({ ...row, ...changes }));
    const file = path.join(cx.fx.scratch, 'kinds.csv');
    writeFileSync(
      file,
      toCsv(
        header,
        rows.map((cells) => header.map((column) => cells[column] ?? '')),
      ),
    );
    const summary = await cx.fx.ingest([file]);
    expect(summary.counts).toMatchObject({ read: 2, inserted: 2, rejected: 0 });
    // The same person's 执业资格 (an entry of natural persons only, named by 姓名).
    const qualification = path.join(cx.fx.scratch, 'qualification.csv');
    const [certificateHeader = '', certificate = ''] = readFileSync(
      path.join(PROJECT_ROOT, 'fixtures/zyzg/basic/input.csv'),
      'utf8',
    ).split(/\r?\n/);
    writeFileSync(
      qualification,
      `${certificateHeader}\n${certificate.replace(/^张1,370102198504120013,/, `赵五,${BOTH},`).replace('鲁1372026000001', CERTIFICATE)}\n`,
    );
    expect((await cx.fx.ingest([qualification], { catalog: 'zyzg' })).counts).toMatchObject({ inserted: 1 });
    const registry = await cx.fx.ingest([path.join(PROJECT_ROOT, 'fixtures/frdj/basic/input.csv')], {
      catalog: 'frdj',
    });
    expect(registry.counts.inserted).toBeGreaterThan(0);
    for (const decision of [ORGAN_DECISION, PERSON_DECISION]) {
      const [id] = await cx.fx.owner('records').where('business_key', 'like', `%${decision}%`).pluck('id');
      records.set(decision, Number(id));
    }
  }, 180_000);
  afterAll(async () => cx?.close());

  it('`subject <code>` asks which subject, with each one’s records counted and the code masked (exit 2)', async () => {
    const asked = await cli([BOTH]);
    expect(asked.code, asked.stderr).toBe(2);
    expect(asked.stdout).toBe('');
    expect(asked.stderr).toContain(
      `the code ${BOTH_MASKED} names two subjects: a natural person (2 current records) and an organization (1 current record)`,
    );
    expect(asked.stderr).toContain('add --kind person or --kind organization');
    expect(asked.stderr).not.toContain(BOTH);
    const json = await cli([BOTH, '--json']);
    expect(json.code).toBe(2);
    expect(json.stdout + json.stderr).not.toContain(BOTH);
  }, 60_000);

  it('--kind person: the person’s records only, the code masked, the person’s name', async () => {
    const shown = await cli([BOTH, '--kind', 'person']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(
      `subject ${BOTH_MASKED} 赵五 (natural person): 2 current record(s) in 2 catalog entries`,
    );
    expect(shown.stdout).toContain(PERSON_DECISION);
    expect(shown.stdout).toContain(CERTIFICATE);
    expect(shown.stdout).not.toContain(ORGAN_DECISION);
    expect(shown.stdout).not.toContain('某区人民政府办公室');
    expect(shown.stdout).toContain('also names an organization (1 current record): --kind organization');
    expect(shown.stdout + shown.stderr).not.toContain(BOTH);
    const json = await cli([BOTH, '--kind', 'person', '--json']);
    const archive = JSON.parse(json.stdout);
    expect(archive).toMatchObject({ subjectCode: BOTH_MASKED, kind: 'person', name: '赵五' });
    expect(archive.alsoUnderCode).toMatchObject({ kind: 'organization', current: 1, retired: 0 });
    expect(archive.groups.flatMap((group: { records: unknown[] }) => group.records)).toHaveLength(2);
    expect(json.stdout).not.toContain(BOTH);
  }, 60_000);

  it('--kind organization: the organ’s records only, its USCC shown, its own name, not the newer person’s (finding 4)', async () => {
    const shown = await cli([BOTH, '--kind', 'organization']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(
      `subject ${BOTH} 某区人民政府办公室 (organization): 1 current record(s) in 1 catalog entry`,
    );
    expect(shown.stdout).toContain(ORGAN_DECISION);
    expect(shown.stdout).not.toContain(PERSON_DECISION);
    expect(shown.stdout).not.toContain(CERTIFICATE);
    expect(shown.stdout).not.toContain('赵五');
    expect(shown.stdout).toContain('also names a natural person (2 current records): --kind person');
    const json = JSON.parse((await cli([BOTH, '--kind', 'organization', '--json'])).stdout);
    expect(json).toMatchObject({ subjectCode: BOTH, kind: 'organization', name: '某区人民政府办公室' });
  }, 60_000);

  it('a code of one kind is shown as before, named from its own entry’s name field (not only 行政处罚’s)', async () => {
    const shown = await cli([REGISTERED]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(
      `subject ${REGISTERED} 济南示例科技有限公司1: 1 current record(s) in 1 catalog entry`,
    );
    expect(shown.stdout).not.toContain('also names');
    const json = JSON.parse((await cli([REGISTERED, '--json'])).stdout);
    expect(json).toMatchObject({ kind: 'organization', name: '济南示例科技有限公司1', alsoUnderCode: null });
    const refused = await cli([REGISTERED, '--kind', 'company']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--kind must be person or organization');
  }, 60_000);

  it('the console: /subjects/<code> asks which subject; /subjects/r<id> shows that record’s subject only', async () => {
    const viewer = await cx.http('viewer');
    const organ = records.get(ORGAN_DECISION);
    const holder = records.get(PERSON_DECISION);
    const chooser = await viewer.get(`/subjects/${BOTH}`);
    expect(chooser.status).toBe(200);
    const choice = await chooser.text();
    expect(choice).toContain('对应两个主体');
    expect(choice).toContain(`href="/subjects/r${holder}"`);
    expect(choice).toContain(`href="/subjects/r${organ}"`);
    expect(choice).not.toContain(ORGAN_DECISION);
    expect(choice).not.toContain(PERSON_DECISION);
    expect(choice).not.toContain(BOTH);

    const personPage = await (await viewer.get(`/subjects/r${holder}`)).text();
    expect(personPage).toContain(`主体信用档案 ${BOTH_MASKED}`);
    expect(personPage).toContain('自然人');
    expect(personPage).toContain('赵五');
    expect(personPage).toContain(PERSON_DECISION);
    expect(personPage).toContain(CERTIFICATE);
    expect(personPage).not.toContain(ORGAN_DECISION);
    expect(personPage).not.toContain('某区人民政府办公室');
    expect(personPage).toContain(`href="/subjects/r${organ}"`);
    expect(personPage).not.toContain(BOTH);

    const organPage = await (await viewer.get(`/subjects/r${organ}`)).text();
    expect(organPage).toContain(`主体信用档案 ${BOTH}`);
    expect(organPage).toContain('某区人民政府办公室');
    expect(organPage).toContain(ORGAN_DECISION);
    expect(organPage).not.toContain(PERSON_DECISION);
    expect(organPage).not.toContain(CERTIFICATE);
    expect(organPage).not.toContain('赵五');
    expect(organPage).toContain(`href="/subjects/r${holder}"`);
  }, 60_000);

  it('records a procedure retired stay in their own subject’s archive', async () => {
    const organ = records.get(ORGAN_DECISION) ?? 0;
    await withdrawRecord(cx.fx.warehouse, organ, {
      basis: '鲁信用办函〔2026〕17号',
      reason: '提供单位书面确认原数据有误',
      operator: '张科员',
    });
    const asked = await cli([BOTH]);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain('an organization (0 current records, 1 no longer current)');
    const personArchive = JSON.parse((await cli([BOTH, '--kind', 'person', '--json'])).stdout);
    expect(personArchive.retired).toEqual([]);
    const organArchive = JSON.parse((await cli([BOTH, '--kind', 'organization', '--json'])).stdout);
    expect(organArchive.groups).toEqual([]);
    expect(organArchive.retired.map((record: { recordId: number }) => record.recordId)).toEqual([organ]);
    expect(organArchive.name).toBe('某区人民政府办公室');
  }, 60_000);
});
