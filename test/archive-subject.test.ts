import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUscc } from '../fixtures/generate/penalty-rows.ts';
import { formatRecordView } from '../src/cli/commands/record-command.ts';
import { formatSubjectArchive } from '../src/cli/commands/subject-command.ts';
import { PROJECT_ROOT } from '../src/config/config.ts';
import { findRecords, recordHistory } from '../src/records/record-history.ts';
import { recordView } from '../src/records/record-view.ts';
import { subjectArchive } from '../src/records/subject-archive.ts';
import { basePenalties, edit, type PenaltyRow, writeRows } from './support/penalty-variants.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const run = promisify(execFile);
const COMPANY = makeUscc('91', '370102', 8_800_123);
const PERSON = '370103199005170121';
const at = (date: string) => new Date(`${date}T10:00:00+08:00`);
const PROVINCE = { level: 'province', provider: '11370000MB0000000X' } as const;
const CITY = { level: 'city', provider: '11370100MB0000000Y' } as const;

/**
 * A realistic subject: a company with four penalties from three authorities, delivered by the province and
 * the city over several weeks — one corrected, one disputed by the city, one reported late — and a natural
 * person whose resident ID must never be printed.
 */
describe('the subject credit archive', () => {
  let fx: WarehouseFixture;
  const rows = basePenalties(8, 99);
  const company = (i: number, date: string) =>
    edit(rows[i] as PenaltyRow, {
      '行政相对人代码_1(统一社会信用代码)': COMPANY,
      行政相对人名称: '济南泉城示例食品有限公司',
      处罚决定日期: date,
    });
  const person = edit(rows[7] as PenaltyRow, { 证件号码: PERSON, 行政相对人名称: '张三' });

  beforeAll(async () => {
    fx = await openWarehouseFixture('archive_subject');
    const file = (name: string, list: PenaltyRow[]) => writeRows(fx.scratch, name, list);
    await fx.ingest(
      [
        file('p1.csv', [
          company(0, '2026-03-02'),
          company(1, '2026-06-01'),
          company(2, '2026-09-01'),
          person,
        ]),
      ],
      { ...PROVINCE, receivedAt: at('2026-09-03') },
    );
    await fx.ingest(
      [
        file('c1.csv', [
          company(0, '2026-03-02'),
          edit(company(1, '2026-06-01'), { 处罚内容: '警告（市级）' }),
        ]),
      ],
      { ...CITY, receivedAt: at('2026-09-04') },
    );
    await fx.ingest([file('p2.csv', [edit(company(2, '2026-09-01'), { 备注: '已履行' })])], {
      ...PROVINCE,
      receivedAt: at('2026-09-07'),
    });
    await fx.ingest([file('c2.csv', [company(3, '2026-11-02')])], { ...CITY, receivedAt: at('2026-11-05') });
  });
  afterAll(async () => fx?.close());

  it('lists every current record of the company, newest first, with lineage counts and flags', async () => {
    const archive = await subjectArchive(fx.warehouse, fx.catalog, COMPANY);
    expect(archive.groups.map((group) => [group.catalogCode, group.title])).toEqual([['xzcf', '行政处罚']]);
    const records = archive.groups[0]!.records;
    expect(records.map((record) => record.formationDate)).toEqual([
      '2026-11-02',
      '2026-09-01',
      '2026-06-01',
      '2026-03-02',
    ]);
    expect(records.map((record) => [record.versionNo, record.level, record.lineage])).toEqual([
      [1, 'city', { inserted: 1 }],
      [2, 'province', { inserted: 1, updated: 1 }],
      [1, 'province', { inserted: 1, conflict: 1 }],
      [1, 'province', { inserted: 1, merged: 1 }],
    ]);
    expect(records.map((record) => [record.late, record.conflictPending])).toEqual([
      [false, 0],
      [false, 0],
      [true, 1],
      [true, 0],
    ]);
    const text = formatSubjectArchive(archive);
    expect(text).toContain('济南泉城示例食品有限公司: 4 current record(s) in 1 catalog entry');
    expect(text).toContain('conflict pending (1)');
    expect(text).toContain('inserted 1, merged 1');
  });

  it("masks a natural person's resident ID everywhere, also when looked up by it", async () => {
    const archive = await subjectArchive(fx.warehouse, fx.catalog, PERSON);
    expect(archive.groups[0]?.records).toHaveLength(1);
    const text = formatSubjectArchive(archive);
    expect(text).toContain('3701**********0121');
    expect(text).not.toContain(PERSON);
    expect(archive.groups[0]?.records[0]?.data.CF_XDR_ZJHM).toBe('3701**********0121');
  });

  it('shows a disputed record with the city version side by side with the current one', async () => {
    const [record] = await findRecords(fx.warehouse, (rows[1] as PenaltyRow).行政处罚决定书文号!);
    const history = await recordHistory(fx.warehouse, record!.id);
    const entry = fx.catalog.resolve('xzcf', '2026-11-27');
    const view = recordView(history!, entry);
    expect(view.disagreements).toMatchObject([
      {
        status: 'pending',
        level: 'city',
        differences: [
          { field: 'CF_NR', current: (rows[1] as PenaltyRow).处罚内容, delivered: '警告（市级）' },
        ],
      },
    ]);
    const text = formatRecordView(view, entry);
    expect(text).toMatch(/conflict #\d+ \(pending\): city/);
    expect(text).toMatch(/处罚内容\s+\S+\s+警告（市级）/);
  });

  it('shows a corrected record with both versions and what changed', async () => {
    const [record] = await findRecords(fx.warehouse, (rows[2] as PenaltyRow).行政处罚决定书文号!);
    const view = recordView((await recordHistory(fx.warehouse, record!.id))!, undefined);
    expect(view.versions.map((version) => [version.versionNo, version.changedFields])).toEqual([
      [1, []],
      [2, ['BZ']],
    ]);
    expect(view.versions[0]?.data.BZ).toBeUndefined();
    expect(view.current.data.BZ).toBe('已履行');
  });

  it('`credit-etl subject --json` and `credit-etl record` print the same, masked', async () => {
    const env = {
      ...process.env,
      DATABASE_URL: fx.url,
      CREDIT_ETL_LOG_FILE: path.join(fx.scratch, 'cli.log'),
    };
    const bin = path.join(PROJECT_ROOT, 'bin', 'credit-etl.js');
    const subject = await run('node', [bin, 'subject', ` ${PERSON.toLowerCase()} `, '--json'], { env });
    const parsed = JSON.parse(subject.stdout);
    expect(parsed.groups[0].records).toHaveLength(1);
    expect(subject.stdout + subject.stderr).not.toContain(PERSON);
    const record = await run('node', [bin, 'record', String(parsed.groups[0].records[0].recordId)], { env });
    expect(record.stdout).toContain('行政处罚 (xzcf)');
    expect(record.stdout).not.toContain(PERSON);
  }, 180_000);
});
