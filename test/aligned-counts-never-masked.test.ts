import { describe, expect, it } from 'vitest';
import { formatRecordView } from '../src/cli/commands/record-command.ts';
import { formatSubjectArchive, type ShownArchive } from '../src/cli/commands/subject-command.ts';
import { summaryText } from '../src/cli/format-summary.ts';
import { maskPersonalText } from '../src/log/mask-personal-data.ts';
import type { RecordHistory } from '../src/records/record-history.ts';
import { recordView } from '../src/records/record-view.ts';
import type { RunSummary } from '../src/run/ingest-files.ts';
import { COUNT_COLUMNS, emptyCounts, type OutcomeCounts } from '../src/warehouse/outcome-counts.ts';

/*
 * Texts with aligned tables of numbers were masked whole: the masker reads groups of digits parted by spaces as
 * one spaced ID (on purpose: `370102 19750309 0030`), so a row of counts (`120  0  0  0  1  6  0  113  0  7` holds
 * `120000160113070`, a 15-digit number born 1916-01-13) came out as `120  0  *  *  *  *  *  **3`. Each text that
 * may hold an ID is masked where it is put in; the tables' numbers never are.
 */
const ID = '370102197503090030';
const MASKED = '3701**********0030';
const PROVINCE = '11370000MB2852362M';

/** The counts of the nightly run that printed masked: read 120, merged 1, conflict 6, rejected 113, late 7. */
const MISFIRING: OutcomeCounts = {
  ...emptyCounts(),
  read: 120,
  merged: 1,
  conflict: 6,
  rejected: 113,
  late: 7,
};

/** The cells of a table's line, split on its column gaps (two spaces or more). */
const cellsOf = (line: string | undefined) => (line ?? '').trim().split(/ {2,}/);

describe('summaryText: the counts table is never masked, what may hold an ID is', () => {
  it('prints the counts that read as a spaced ID as numbers, in the columns’ order', () => {
    const counted = COUNT_COLUMNS.map((column) => String(MISFIRING[column]));
    expect(counted).toEqual(['120', '0', '0', '0', '1', '6', '0', '113', '0', '7', '0', '0']);
    // The masker itself is unchanged: the same line, masked whole, still reads as an ID (that is the defect).
    expect(maskPersonalText(`input.csv  loaded   ${counted.join('  ')}`)).not.toContain('113');
    const text = summaryText({
      runId: 12,
      status: 'completed',
      counts: MISFIRING,
      errorsByCode: { 'resident-id-check-digit': 113 },
      files: [
        {
          sourceFileId: 1,
          name: 'input.csv',
          status: 'loaded',
          counts: MISFIRING,
          errorsByCode: { 'resident-id-check-digit': 113 },
          blankLines: 0,
          encoding: 'utf-8',
          durationMs: 1,
        },
      ],
    });
    const lines = text.split('\n');
    expect(cellsOf(lines[1])).toEqual(['file', 'status', ...COUNT_COLUMNS]);
    expect(cellsOf(lines[2])).toEqual(['input.csv', 'loaded', ...counted]);
    expect(text).not.toContain('*');
  });

  it('masks an ID in a file name, an earlier file’s name, errors, warnings and what was left; never a USCC', () => {
    const named = `处罚${ID}-${PROVINCE}.csv`;
    const file = (name: string, status: RunSummary['files'][number]['status'], counts: OutcomeCounts) => ({
      sourceFileId: 2,
      name,
      status,
      counts,
      errorsByCode: {},
      blankLines: 0,
      encoding: 'utf-8',
      durationMs: 1,
    });
    const summary: RunSummary = {
      runId: 13,
      status: 'failed',
      counts: MISFIRING,
      errorsByCode: {},
      files: [
        file('input.csv', 'loaded', MISFIRING),
        {
          ...file(named, 'failed', emptyCounts()),
          error: {
            code: 'header-mismatch',
            message: `表头第1行为“${ID}”，不是表头（统一社会信用代码 ${PROVINCE}）`,
          },
          sameContentAs: { sourceFileId: 1, name: `旧${ID}.csv`, runId: 3 } as never,
          providerObjections: { opened: 0, known: 0 },
        },
      ],
      warnings: [{ code: 'refused-file-name', message: `文件名 ${ID}.csv 已拒收` }],
      unsettled: [`${named}: not moved aside`],
      error: { code: 'internal-error', message: `行 ${ID} 无法读取`, infrastructure: false },
    };
    const text = summaryText(summary, { rejections: `/reports/${ID}/run-13-rejections.csv` });
    expect(text).not.toContain(ID);
    expect(text).not.toContain('19750309');
    // Each place an ID was put in: ✗ run, the table, `=` (2), ✗ file (2), the objections line, report, ✗ left,
    // ⚠ warning.
    expect(text.split(MASKED).length - 1).toBe(10);
    expect(text).toContain(
      `处罚${MASKED}-${PROVINCE}.csv: 0 objection(s) opened (异议 in the source), 0 already known`,
    );
    expect(text).toContain(`✗ run [internal-error]: 行 ${MASKED} 无法读取`);
    expect(text).toContain(
      `= 处罚${MASKED}-${PROVINCE}.csv reloaded (--force): same content as 旧${MASKED}.csv`,
    );
    expect(text).toContain(`统一社会信用代码 ${PROVINCE}`);
    expect(text).toContain(`rejection report: /reports/${MASKED}/run-13-rejections.csv`);
    const table = text.split('\n').slice(2, 6);
    expect(cellsOf(table[1])).toEqual([
      'input.csv',
      'loaded',
      '120',
      '0',
      '0',
      '0',
      '1',
      '6',
      '0',
      '113',
      '0',
      '7',
      '0',
      '0',
    ]);
    expect(cellsOf(table[2])[0]).toBe(`处罚${MASKED}-${PROVINCE}.csv`);
    expect(cellsOf(table[3])).toEqual([
      'total',
      '120',
      '0',
      '0',
      '0',
      '1',
      '6',
      '0',
      '113',
      '0',
      '7',
      '0',
      '0',
    ]);
  });
});

describe('record: the lineage table’s ids are never masked, what may hold an ID is', () => {
  const at = new Date('2026-12-06T00:21:53Z');
  const history = (): RecordHistory => ({
    record: {
      id: 77,
      catalogCode: 'xzcf',
      businessKey: '鲁济市监罚〔2024〕12号',
      subjectCode: PROVINCE,
      level: 'province',
      currentVersionId: 5,
      status: 'current',
      supersededBy: null,
      statusProcedureId: null,
      createdAt: at,
      updatedAt: at,
    },
    versions: [
      {
        id: 5,
        versionNo: 1,
        data: { 违法事实: `当事人 ${ID} 未按规定`, 统一社会信用代码: PROVINCE },
        contentHash: 'h1',
        catalogVersion: 1,
        formationDate: '2024-12-01',
        sourceFileId: 9,
        fileName: '2024-12-06.csv',
        rowNumber: 15,
        runId: 120,
        procedureId: null,
        createdAt: at,
      },
    ],
    sources: [
      // A lineage row numbered past 100000, of run 120, from a file named by its date: `104233  120  2024-12-06`
      // holds `104233120202412`, a 15-digit number born 1912-02-02.
      source(104233, 120, '2024-12-06.csv', 'inserted'),
      source(104400, 121, `处罚${ID}.csv`, 'unchanged'),
    ],
    unchanged: [],
    procedures: [],
    supersededBy: undefined,
  });
  function source(id: number, runId: number, fileName: string, outcome: 'inserted' | 'unchanged') {
    return {
      id,
      versionId: 5,
      outcome,
      runId,
      sourceFileId: runId,
      fileName,
      rowNumber: 15,
      providerCode: PROVINCE,
      level: 'province' as const,
      contentHash: 'h1',
      conflictData: null,
      receivedAt: at,
      late: false,
      workingDays: 3,
      createdAt: at,
    };
  }

  it('prints a lineage row’s source id, run and a dated file name as they are; IDs masked, the USCC shown', () => {
    const text = formatRecordView(recordView(history(), undefined), undefined);
    const row = text.split('\n').find((line) => line.trimStart().startsWith('104233'));
    expect(cellsOf(row).slice(0, 4)).toEqual(['104233', '120', '2024-12-06.csv', '15']);
    expect(text).not.toContain(ID);
    expect(text).toContain(`处罚${MASKED}.csv`);
    expect(text).toContain(`当事人 ${MASKED} 未按规定`);
    expect(text).toContain(PROVINCE);
  });
});

describe('subject: a key and the formation date beside it are never masked, an ID in a cell is', () => {
  it('prints a decision number and its formation date as they are; an ID in a basis masked', () => {
    const archive: ShownArchive = {
      subjectCode: PROVINCE,
      kind: 'organization',
      name: '某某有限公司',
      asOf: '2026-12-06',
      alsoUnderCode: null,
      groups: [
        {
          catalogCode: 'xzcf',
          title: '行政处罚',
          records: [
            {
              recordId: 10,
              // `2024001  2022-12-01` holds `202400120221201`, a 15-digit number born 1912-02-21.
              businessKey: '2024001',
              formationDate: '2022-12-01',
              versionNo: 1,
              level: 'province',
              updatedAt: new Date('2026-12-06T00:00:00Z'),
              lineage: { inserted: 1 },
              late: false,
              conflictPending: 0,
              data: {},
              disclosure: null,
              objection: null,
            },
          ],
        },
      ],
      retired: [
        {
          recordId: 11,
          catalogCode: 'xzcf',
          businessKey: '2024002',
          status: 'withdrawn',
          supersededBy: null,
          supersededBySubject: null,
          procedureId: 3,
          basis: `撤销决定（当事人 ${ID}）`,
          performedAt: new Date('2026-12-06T00:00:00Z'),
          objection: null,
        },
      ],
    };
    const text = formatSubjectArchive(archive);
    const row = text.split('\n').find((line) => line.trimStart().startsWith('10 '));
    expect(cellsOf(row).slice(0, 4)).toEqual(['10', '2024001', '2022-12-01', 'v1']);
    expect(text).not.toContain(ID);
    expect(text).toContain(`撤销决定（当事人 ${MASKED}）`);
    expect(text).toContain(`subject ${PROVINCE} 某某有限公司`);
  });
});
