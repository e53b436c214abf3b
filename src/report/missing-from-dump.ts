import path from 'node:path';
import { makeDirectory } from '../../connectors/make-directory.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { keyParts } from '../dedupe/business-key.ts';
import { fieldMaskerOf, maskPersonalText } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { missingFromDumpsOfRun } from '../warehouse/full-dump-repository.ts';
import { writeReportFile } from './report-file.ts';
import { csvLine } from './spreadsheet-safe.ts';

/** A record a full dump did not hold, as shown: key and subject masked as their fields say. */
export interface MissingRecord {
  sourceFileId: number;
  file: string;
  recordId: number;
  catalogCode: string;
  /** Business-key parts joined by `|`. */
  key: string;
  subjectCode: string | null;
  providerCode: string;
}

/** The records the full dumps of a run did not hold (never deleted: listed for the provider to confirm). */
export async function missingFromRun(
  warehouse: Warehouse,
  catalog: Catalog,
  runId: number,
): Promise<MissingRecord[]> {
  const rows = await missingFromDumpsOfRun(warehouse, runId);
  return rows.map((row) => {
    const versions = catalog.entries.filter((entry) => entry.code === row.catalogCode);
    const masker = fieldMaskerOf(versions.at(-1));
    return {
      sourceFileId: row.sourceFileId,
      file: maskPersonalText(row.fileName),
      recordId: row.recordId,
      catalogCode: row.catalogCode,
      key: masker.key(keyParts(row.businessKey)).join('|'),
      subjectCode: row.subjectCode === null ? null : masker.subjectCode(row.subjectCode, {}),
      providerCode: row.providerCode,
    };
  });
}

/**
 * `run-<id>-missing-from-full-dump.csv` beside the rejection report: one line per record a full dump did not
 * hold. UTF-8 with BOM and CRLF, as the rejection report, so Excel opens it as Chinese text.
 */
export async function writeMissingCsv(records: readonly MissingRecord[], outFile: string): Promise<void> {
  await makeDirectory(path.dirname(path.resolve(outFile)));
  const lines = [
    csvLine(['来源文件编号', '来源文件', '记录编号', '业务主键', '主体代码', '目录代码', '数据提供单位']),
    ...records.map((record) =>
      csvLine([
        String(record.sourceFileId),
        record.file,
        String(record.recordId),
        record.key,
        record.subjectCode ?? '',
        record.catalogCode,
        record.providerCode,
      ]),
    ),
  ];
  // Under a temporary name, renamed when complete: a full disk leaves no half report.
  await writeReportFile(outFile, (write) => write(`\uFEFF${lines.join('')}`));
}
