import { describe, expect, it } from 'vitest';
import { formatRecordView } from '../src/cli/commands/record-command.ts';
import type { RecordHistory } from '../src/records/record-history.ts';
import { recordView } from '../src/records/record-view.ts';

const PROVINCE = '11370000MB2852362M';

/**
 * A record is disclosed, repaired and corrected by the catalog entry version each of its versions was stored under
 * (never another): `record` names it for every version, so an auditor can tell which rules judged which content.
 */
describe('record: the catalog entry version each version was stored under', () => {
  const at = new Date('2026-12-06T02:00:00Z');
  const later = new Date('2026-12-06T03:00:00Z');
  const version = (id: number, versionNo: number, catalogVersion: number, createdAt: Date) => ({
    id,
    versionNo,
    data: {
      CF_WSH: '鲁济市监罚〔2026〕12号',
      CF_XDR_SHXYM: PROVINCE,
      CF_CFJG: versionNo === 1 ? '罚款' : '警告',
    },
    contentHash: `h${versionNo}`,
    catalogVersion,
    formationDate: '2026-12-01',
    sourceFileId: 9 + versionNo,
    fileName: `p${versionNo}.csv`,
    rowNumber: 2,
    runId: 40 + versionNo,
    procedureId: null,
    createdAt,
  });
  const history = (): RecordHistory => ({
    record: {
      id: 12,
      catalogCode: 'xzcf',
      businessKey: '鲁济市监罚〔2026〕12号',
      subjectCode: PROVINCE,
      level: 'province',
      currentVersionId: 6,
      status: 'current',
      supersededBy: null,
      statusProcedureId: null,
      createdAt: at,
      updatedAt: later,
    },
    versions: [version(5, 1, 1, at), version(6, 2, 3, later)],
    sources: [],
    unchanged: [],
    procedures: [],
    supersededBy: undefined,
  });

  it('text: each version of the history names its entry version, and so does the current version', () => {
    const text = formatRecordView(recordView(history(), undefined), undefined);
    const lines = text.split('\n');
    const header = lines.find((line) => line.trimStart().startsWith('event'));
    expect(header?.trim().split(/ {2,}/).slice(0, 3)).toEqual(['event', 'catalog', 'run']);
    const row = (no: number) =>
      lines
        .find((line) => line.trimStart().startsWith(`v${no} `))
        ?.trim()
        .split(/ {2,}/);
    expect(row(1)?.slice(0, 4)).toEqual(['v1', 'xzcf v1', '41', 'p1.csv']);
    expect(row(2)?.slice(0, 4)).toEqual(['v2', 'xzcf v3', '42', 'p2.csv']);
    expect(text).toContain('current version v2 (run 42, p2.csv row 2; catalog xzcf v3):');
  });

  it('--json: every version and the current one carry catalogVersion', () => {
    const view = JSON.parse(JSON.stringify(recordView(history(), undefined)));
    expect(
      view.versions.map((v: { versionNo: number; catalogVersion: number }) => [
        v.versionNo,
        v.catalogVersion,
      ]),
    ).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(view.current).toMatchObject({ versionNo: 2, catalogVersion: 3 });
  });
});
