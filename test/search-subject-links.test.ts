import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc, toCsv } from '../fixtures/generate/penalty-rows.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { type ConsoleFixture, openConsoleFixture } from './support/console-fixture.ts';

/**
 * The console's record search linked a code naming two subjects (110101199003071049: a valid resident ID number
 * and a valid USCC, an organ's penalty filed under it as its USCC, a person's as their ID) to `/subjects/<code>`,
 * the page asking which subject, for the organ's record whose subject is known. Each result now links its own
 * subject, `/subjects/r<record id>`; a USCC that is no ID number is still linked by its code. Over real HTTP
 * against real PostgreSQL.
 */
const BOTH = '110101199003071049';
const USCC = '行政相对人代码_1(统一社会信用代码)';
const DECISION = '行政处罚决定书文号';
const ORGAN_DECISION = '济市监罚〔2026〕911号';
const PERSON_DECISION = '济市监罚〔2026〕912号';
const COMPANY_DECISION = '济市监罚〔2026〕913号';
const COMPANY = makeUscc('91', '370102', 4_711);

/** The header and first row of the xzcf template (fixtures/xzcf/utf8-bom), keyed by column. */
function templateRow(): { header: string[]; row: Record<string, string> } {
  const text = readFileSync(path.join(PROJECT_ROOT, 'fixtures/xzcf/utf8-bom/input.csv'), 'utf8').replace(
    /^\uFEFF/,
    '',
  );
  const [header = [], first = []] = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
  return { header, row: Object.fromEntries(header.map((column, i) => [column, first[i] ?? ''])) };
}

const organization = (name: string, code: string, decision: string) => ({
  行政相对人名称: name,
  行政相对人类别: '法人及非法人组织',
  [USCC]: code,
  [DECISION]: decision,
  处罚决定日期: '2026-10-12',
});
const person = (name: string, id: string, decision: string) => ({
  行政相对人名称: name,
  行政相对人类别: '自然人',
  [USCC]: '',
  法定代表人: '',
  法定代表人证件类型: '',
  法定代表人证件号码: '',
  证件类型: '身份证',
  证件号码: id,
  [DECISION]: decision,
  处罚决定日期: '2026-10-15',
});

/** The subject links of the search results' table (`#found`), in order. */
function subjectLinks(page: string): string[] {
  const found = /<table[^>]*id="found"[\s\S]*?<\/table>/.exec(page)?.[0] ?? '';
  return [...found.matchAll(/href="(\/subjects\/[^"]*)"/g)].map((match) => match[1] ?? '');
}

describe('record search links each result to its own subject', () => {
  let cx: ConsoleFixture;
  const records = new Map<string, number>();

  beforeAll(async () => {
    cx = await openConsoleFixture('search_subject_links', { browser: false });
    const { header, row } = templateRow();
    const rows = [
      organization('某区人民政府办公室', BOTH, ORGAN_DECISION),
      person('赵五', BOTH, PERSON_DECISION),
      organization('济南某某商贸有限公司', COMPANY, COMPANY_DECISION),
    ].map((changes): Record<string, string> => ({ ...row, ...changes }));
    const file = path.join(cx.fx.scratch, 'kinds.csv');
    writeFileSync(
      file,
      toCsv(
        header,
        rows.map((cells) => header.map((column) => cells[column] ?? '')),
      ),
    );
    expect((await cx.fx.ingest([file])).counts).toMatchObject({ read: 3, inserted: 3, rejected: 0 });
    for (const decision of [ORGAN_DECISION, PERSON_DECISION, COMPANY_DECISION]) {
      const [id] = await cx.fx.owner('records').where('business_key', 'like', `%${decision}%`).pluck('id');
      records.set(decision, Number(id));
    }
  }, 180_000);
  afterAll(async () => cx?.close());

  it('a code naming a person and an organization: each result links its subject by r<record id>, never the chooser', async () => {
    const viewer = await cx.http('viewer');
    const organ = records.get(ORGAN_DECISION);
    const holder = records.get(PERSON_DECISION);
    const page = await (await viewer.post('/records', { q: BOTH })).text();
    expect(subjectLinks(page).sort()).toEqual([`/subjects/r${holder}`, `/subjects/r${organ}`].sort());
    expect(page).not.toContain(`href="/subjects/${BOTH}"`);
    // Found by its decision number too.
    const byDecision = await (await viewer.get(`/records?q=${encodeURIComponent(ORGAN_DECISION)}`)).text();
    expect(subjectLinks(byDecision)).toEqual([`/subjects/r${organ}`]);
    // The link shows the organ's archive, not the page asking which subject.
    const archive = await (await viewer.get(`/subjects/r${organ}`)).text();
    expect(archive).not.toContain('对应两个主体');
    expect(archive).toContain(`主体信用档案 ${BOTH}`);
    expect(archive).toContain(ORGAN_DECISION);
    expect(archive).not.toContain(PERSON_DECISION);
  });

  it('a USCC that is no ID number is linked by its code, as before', async () => {
    const viewer = await cx.http('viewer');
    const page = await (await viewer.get(`/records?q=${encodeURIComponent(COMPANY_DECISION)}`)).text();
    expect(subjectLinks(page)).toEqual([`/subjects/${COMPANY}`]);
  });
});
