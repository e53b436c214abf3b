import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import {
  countErrors,
  countRejectedRows,
  rejectedCatalogCodes,
  rejectionsIn,
} from '../warehouse/rejections-repository.ts';
import { DEFAULT_ISSUER, type Issuer } from './issuer.ts';
import { rejectionSheet } from './rejection-sheet.ts';
import { entryColumns, fieldTitle, maskingNote, reportMasker } from './report-columns.ts';
import { type ReportScope, scopeInWords } from './report-scope.ts';
import { streamingWorkbook } from './streaming-workbook.ts';
import { summarySheet } from './summary-sheet.ts';

/**
 * The rejection workbook: a summary sheet (the masking statement, counts by error code and by field) and one
 * sheet per catalog entry with every rejected row. Streaming writer: each sheet is finished before the next
 * starts, so memory does not grow with the report.
 */
export async function writeRejectionsXlsx(
  warehouse: Warehouse,
  catalog: Catalog,
  scope: ReportScope,
  outFile: string,
  options: { unmasked?: boolean; issuer?: Issuer } = {},
): Promise<number> {
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  const masker = reportMasker(catalog, Boolean(options.unmasked));
  const counts = await countErrors(warehouse, scope);
  const codes = await rejectedCatalogCodes(warehouse, scope);
  const workbook = await streamingWorkbook(outFile);

  const summary = summarySheet(workbook, '汇总', [24, 60, 12, 12], `${issuer.name} 拒收数据报告`);
  summary.title(issuer.name);
  summary.title('拒收数据报告');
  summary.line('脱敏说明', maskingNote(masker.unmasked), { warn: masker.unmasked });
  summary.line('范围', masker.text(await scopeInWords(warehouse, scope)));
  summary.line('生成时间', `${shanghaiTime(new Date())}（北京时间）`);
  if (issuer.contact) summary.line('联系方式', issuer.contact);
  summary.line('拒收行数', await countRejectedRows(warehouse, scope));
  const byCode = new Map<
    string,
    { count: number; message: string; value: string; catalogCode: string; field: string }
  >();
  for (const count of counts) {
    const seen = byCode.get(count.code);
    if (seen) seen.count += count.count;
    else byCode.set(count.code, { ...count });
  }
  summary.table(
    '按错误代码统计',
    ['错误代码', '错误说明（示例）', '次数'],
    [...byCode].map(([code, seen]) => [code, masker.error(seen.catalogCode, seen).message, seen.count]),
  );
  summary.table(
    '按字段统计',
    ['字段', '字段名称', '错误代码', '次数'],
    counts.map((count) => [
      count.field,
      fieldTitle(entryColumns(catalog, count.catalogCode), count.field),
      count.code,
      count.count,
    ]),
  );
  summary.commit();

  let rows = 0;
  for (const code of codes) {
    const columns = entryColumns(catalog, code);
    const sheet = rejectionSheet(workbook, `${columns.title}(${code})`, columns, masker, {
      document: `拒收数据报告 ${columns.title}`,
    });
    for await (const rejection of rejectionsIn(warehouse, scope, code)) sheet.add(rejection);
    rows += sheet.rows;
  }
  await workbook.commit();
  return rows;
}
