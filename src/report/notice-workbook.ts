import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { noticeRowRecordIds } from '../warehouse/notice-records-repository.ts';
import {
  correctedBeforeIssue,
  findNotice,
  type NoticeHeldFile,
  noticeCatalogCodes,
  noticeHeldFiles,
  noticeRowKinds,
  noticeRowStates,
} from '../warehouse/notices-repository.ts';
import { objectionMarks } from '../warehouse/objections-repository.ts';
import { fileCatalogVersions } from '../warehouse/rejections-repository.ts';
import { fixHint } from './fix-hint.ts';
import { chineseDate, DEFAULT_ISSUER, type Issuer, noticeNumber } from './issuer.ts';
import { type NoticeRow, noticeRows, shownKey } from './notice-rows.ts';
import { noticeStates, STATUS_TITLES } from './notice-status.ts';
import { PROVISIONAL_NOTE } from './notices.ts';
import { OBJECTION_MARK, objectionMarkLabel } from './objection-mark-label.ts';
import { printLayout, WRAP } from './print-setup.ts';
import { type Provider, providerName } from './providers.ts';
import { HEADER_STYLE } from './rejection-sheet.ts';
import {
  entryColumns,
  fieldTitle,
  layoutColumns,
  legacyLayoutOf,
  maskingNote,
  reportMasker,
} from './report-columns.ts';
import { scopeInWords } from './report-scope.ts';
import { writeReuploadTemplate } from './reupload-template.ts';
import { xlsxCell, xlsxText } from './spreadsheet-safe.ts';
import { streamingWorkbook } from './streaming-workbook.ts';
import { summarySheet } from './summary-sheet.ts';

const LIST_HEADERS = [
  '序号',
  '类型',
  '目录',
  '来源文件',
  '行号',
  '业务主键',
  '字段',
  '错误代码',
  '问题说明',
  '修改建议',
  '更正状态',
  '异议标注',
];
const LIST_WIDTHS = [6, 8, 12, 28, 8, 40, 24, 22, 70, 40, 10, 36];

/**
 * The review notice workbook (复核通知, Art. 14): the letter with the deadline and the computed status, the list
 * of problems with how to fix each, and per catalog entry a re-upload template with the catalog headers,
 * pre-filled with the rows to correct (bad cells highlighted, the problem in a comment).
 */
export async function writeNoticeXlsx(
  warehouse: Warehouse,
  catalog: Catalog,
  providers: readonly Provider[],
  noticeId: number,
  outFile: string,
  options: {
    unmasked?: boolean;
    issuer?: Issuer;
    /** The re-upload template holds the provider's own delivered values in clear (reupload-template.ts). */
    templateUnmasked?: boolean;
  } = {},
): Promise<void> {
  const issuer = options.issuer ?? DEFAULT_ISSUER;
  // The notice is the provider's to read, unmasked or not: its messages are without the operators' remarks.
  const masker = reportMasker(catalog, Boolean(options.unmasked), 'provider');
  const notice = await findNotice(warehouse, noticeId);
  if (!notice) throw new Error(`notice ${noticeId} not found`);
  const [state] = await noticeStates(warehouse, { noticeId });
  const corrected = await noticeRowStates(warehouse, noticeId);
  const kinds = await noticeRowKinds(warehouse, noticeId);
  const codes = await noticeCatalogCodes(warehouse, noticeId);
  // Files refused whole (over the reject threshold): none of their rows was loaded, the valid ones included.
  const heldFiles = (await noticeHeldFiles(warehouse, noticeId)).filter((file) => file.held > 0);
  const held = heldFiles.reduce((sum, file) => sum + file.held, 0);
  const correctedBefore = await correctedBeforeIssue(warehouse, noticeId);
  // Art. 18: a record under objection carries its mark into every output, here each row about it.
  const rowRecords = await noticeRowRecordIds(warehouse, noticeId);
  const marks = await objectionMarks(warehouse, [...new Set(rowRecords.values())]);
  const markOf = (rowId: number) => {
    const mark = marks.get(rowRecords.get(rowId) ?? 0);
    return mark ? objectionMarkLabel(mark) : '';
  };
  // A rejected row of a file read by a legacy layout is shown in that layout (its template sheet, its titles).
  const seen = new Map<string, { catalogCode: string; sourceFileId: number; kind: NoticeRow['kind'] }>();
  const rowOptions = { unmasked: masker.unmasked };
  for await (const { catalogCode, sourceFileId, kind } of noticeRows(
    warehouse,
    catalog,
    noticeId,
    undefined,
    rowOptions,
  ))
    seen.set(`${catalogCode}|${sourceFileId}|${kind}`, { catalogCode, sourceFileId, kind });
  const versions = await fileCatalogVersions(
    warehouse,
    [...seen.values()].map((one) => one.sourceFileId),
  );
  const layoutOfRow = (row: Pick<NoticeRow, 'catalogCode' | 'sourceFileId' | 'kind'>) =>
    row.kind === 'rejected'
      ? legacyLayoutOf(catalog, row.catalogCode, versions.get(row.sourceFileId))
      : undefined;
  const layouts = new Map<string, Set<number | undefined>>();
  for (const row of seen.values())
    layouts.set(row.catalogCode, (layouts.get(row.catalogCode) ?? new Set()).add(layoutOfRow(row)));
  const mixed = [...layouts.values()].some((seen) => seen.size > 1);
  const workbook = await streamingWorkbook(outFile);

  const number = noticeNumber(issuer, notice.issued_on, noticeId);
  const documentTitle = `${issuer.name} 公共信用信息复核通知 ${number}`;
  const letter = summarySheet(workbook, '复核通知', [18, 90], documentTitle);
  // The official header: who issues it, what it is, its number; then to whom.
  letter.title(issuer.name);
  letter.title('公共信用信息复核通知');
  letter.line('文号', number);
  const ownValues = Boolean(options.templateUnmasked) && !masker.unmasked;
  letter.line('报送单位', `${providerName(providers, notice.provider_code)}（${notice.provider_code}）`);
  letter.line(
    '脱敏说明',
    ownValues
      ? `${maskingNote(false)}；“重报模板”中为贵单位报送的原值（未脱敏），仅供贵单位更正后重新报送，请妥善保管，不得转发`
      : maskingNote(masker.unmasked),
    { warn: masker.unmasked || ownValues },
  );
  letter.line('范围', masker.text(await scopeInWords(warehouse, notice.scope)));
  letter.line('发出日期', chineseDate(notice.issued_on));
  const provisional = notice.provisional ? `；${PROVISIONAL_NOTE.zh}` : '';
  letter.line(
    '重新报送期限',
    `${notice.deadline}（${notice.working_days} 个工作日内，不含发出当日${provisional}）`,
    {
      warn: true,
    },
  );
  letter.line('拒收数据', kinds.find((k) => k.kind === 'rejected')?.count ?? 0);
  letter.line('冲突数据', kinds.find((k) => k.kind === 'conflict')?.count ?? 0);
  if (heldFiles.length > 0) {
    letter.line('整份拒收', heldFiles.map((file) => heldFileWords(file, masker.text(file.name))).join('\n'), {
      warn: true,
    });
    letter.line('未入库数据', held);
  }
  const heldNote = held > 0 ? `，含整份拒收文件中校验通过但未入库的 ${held} 行` : '';
  letter.line(
    '当前状态',
    state ? `${STATUS_TITLES[state.status]}（已更正 ${state.corrected} / ${state.rows} 行${heldNote}）` : '',
  );
  if (correctedBefore > 0)
    letter.line(
      '发出前已更正',
      `本范围内另有 ${correctedBefore} 行在本通知发出前已由贵单位后续报送更正，不再列入本通知，无需重新报送`,
    );
  if (marks.size > 0)
    letter.line(
      OBJECTION_MARK,
      `${marks.size} 条记录正在异议处理中（见“问题清单”的“异议标注”列），更正时请一并核实`,
      { warn: true },
    );
  letter.line(
    '办理要求',
    `依据《公共信用信息归集管理办法》第十四条，请核实“问题清单”所列数据，只更正“重报模板”中标红的单元格（批注中为问题说明），其他内容不要改动，然后将本工作簿原样在期限内重新报送（系统自动读取“重报模板”工作表）。同一业务主键只占一行。更正数据入库后，本通知状态自动更新。${heldFiles.length > 0 ? '“整份拒收”所列文件须整份重新报送，见“整份重新报送”。' : ''}`,
  );
  if (heldFiles.length > 0)
    letter.line(
      '整份重新报送',
      `“整份拒收”所列文件的全部数据均未入库，“重报模板”中只有其中未通过校验的行：请按“问题清单”更正原文件后，将整个文件（全部行，包括未列入“问题清单”的 ${held} 行校验通过的数据）在期限内重新报送；也可在“重报模板”中补入原文件的其余各行后一并报送。只重新报送有问题的行，其余各行仍不会入库，本通知也不会办结。`,
      { warn: true },
    );
  if (mixed)
    letter.line(
      '旧版布局',
      '所列数据中有按旧版布局（如2016年“双公示”标准）报送的文件：其拒收数据在“重报模板-…(旧版布局v…)”工作表中，列名与原文件一致。同一目录有两个重报模板工作表时，请将每个工作表分别另存为一个文件重新报送（一个文件只含一个重报模板工作表）。',
      { warn: true },
    );
  if (!masker.unmasked && !ownValues)
    letter.line('注意', '“重报模板”中标黄的单元格已脱敏（带 * 号），重新报送前请填写完整号码。');
  letter.line('发文单位', issuer.name);
  if (issuer.contact) letter.line('联系方式', issuer.contact);
  letter.line('生成时间', `${shanghaiTime(new Date())}（北京时间）`);
  letter.commit();

  const list = workbook.addWorksheet('问题清单', {
    views: [{ state: 'frozen', ySplit: 1 }],
    ...printLayout(`${documentTitle} 问题清单`, 1),
  });
  list.columns = LIST_WIDTHS.map((width, i) => ({ key: `c${i}`, width, style: { alignment: WRAP } }));
  list.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: LIST_HEADERS.length } };
  const header = list.addRow(LIST_HEADERS.map(xlsxText));
  header.eachCell((cell) => {
    cell.style = HEADER_STYLE;
  });
  header.commit();
  let serial = 0;
  for await (const row of noticeRows(warehouse, catalog, noticeId, undefined, rowOptions)) {
    serial++;
    const layout = layoutOfRow(row);
    const columns =
      layout === undefined
        ? entryColumns(catalog, row.catalogCode)
        : layoutColumns(catalog, row.catalogCode, layout);
    for (const error of row.errors) {
      list
        .addRow(
          [
            serial,
            row.kind === 'conflict' ? '冲突' : '拒收',
            columns.title,
            masker.text(row.file),
            row.rowNumber,
            shownKey(catalog, row, masker),
            fieldTitle(columns, error.field),
            error.code,
            masker.error(row.catalogCode, error, row.raw, row.current).message,
            fixHint(error.code),
            corrected.get(row.id) ? '已更正' : '待更正',
            markOf(row.id),
          ].map(xlsxCell),
        )
        .commit();
    }
    await workbook.drained();
  }
  // A file refused whole: its valid rows have no row of their own (never loaded, never kept), the file one.
  for (const file of heldFiles)
    list
      .addRow(
        [
          '—',
          '整份拒收',
          entryColumns(catalog, file.catalog_code).title,
          masker.text(file.name),
          '',
          '',
          '（整个文件）',
          file.error_code ?? '',
          heldFileWords(file, masker.text(file.name)),
          `更正原文件中列出的问题行后，将整个文件（共 ${file.read} 行）重新报送`,
          file.redelivered ? '已重新报送' : '待重新报送',
          '',
        ].map(xlsxCell),
      )
      .commit();
  list.commit();

  for (const code of codes) {
    await writeReuploadTemplate(workbook, warehouse, catalog, noticeId, code, masker, {
      ownValues: Boolean(options.templateUnmasked),
      document: `${documentTitle} 重报模板`,
    });
  }
  await workbook.commit();
}

/**
 * A file refused whole, in the provider's words: how many rows it had, why it was refused, that none of them was
 * loaded (the valid ones neither), and whether the whole file has been sent again since.
 */
function heldFileWords(file: NoticeHeldFile, name: string): string {
  const why =
    file.error_code === 'truncated-dump'
      ? '全量报送疑似不完整（与上次全量报送相比缺少的记录过多）'
      : `其中 ${file.rejected} 行未通过校验，超过拒收阈值`;
  const again = file.redelivered ? '已收到重新报送的完整文件。' : '';
  return `文件“${name}”共 ${file.read} 行，${why}：整个文件被拒收，全部 ${file.read} 行均未入库，其中校验通过的 ${file.held} 行也未入库。${again}`;
}
