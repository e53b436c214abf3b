import { newestEntryVersion } from '../catalog/entry-version.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { keyParts } from '../dedupe/business-key.ts';
import { fieldMaskerOf } from '../log/mask-personal-data.ts';
import { printLayout } from '../report/print-setup.ts';
import { type Provider, providerName } from '../report/providers.ts';
import { HEADER_STYLE } from '../report/rejection-sheet.ts';
import { entryColumns, maskingNote, reportMasker } from '../report/report-columns.ts';
import { xlsxCell, xlsxText } from '../report/spreadsheet-safe.ts';
import { streamingWorkbook } from '../report/streaming-workbook.ts';
import { summarySheet } from '../report/summary-sheet.ts';
import {
  VERIFICATION_PROVISIONAL_NOTE,
  VERIFICATION_STATUS_TITLES,
  type VerificationState,
} from './verification-status.ts';

/** What the notice says about the objection itself. */
export interface NoticeObjection {
  id: number;
  applicant: string;
  /** The applicant's claim, as registered. */
  reason: string;
  receivedOn: string;
  /** The platform's own deadline to check and tell the subject (Art. 18: 3 working days). */
  dueOn: string;
}

/** The disputed record as the addressed provider delivered it. */
export interface DeliveredRecord {
  recordId: number;
  catalogCode: string;
  /** The stored business key, and the fields it is made of in the catalog entry's key order. */
  businessKey: string;
  keyFields: string[];
  data: Record<string, string | number | undefined>;
  fileName: string;
  rowNumber: number;
  receivedAt: string;
}

const FIELD_HEADERS = ['字段', '字段代码', '业务主键', '报送内容'];
const FIELD_WIDTHS = [30, 16, 10, 80];

/**
 * The objection verification notice (异议核实通知, Art. 18) to the provider whose content the record shows: the
 * letter (objection, claim, deadline, status, what to answer), the record's fields as delivered, and a reply
 * form. Personal data is masked as in review notices (reports leave the platform) unless `unmasked`.
 */
export async function writeVerificationXlsx(
  catalog: Catalog,
  providers: readonly Provider[],
  input: {
    objection: NoticeObjection;
    record: DeliveredRecord;
    state: VerificationState & { notice: NonNullable<VerificationState['notice']> };
  },
  outFile: string,
  options: { unmasked?: boolean } = {},
): Promise<void> {
  const { objection, record, state } = input;
  const { notice } = state;
  const masker = reportMasker(catalog, Boolean(options.unmasked));
  const columns = entryColumns(catalog, record.catalogCode);
  // The record's own personal values (its subject's ID) masked wherever the notice quotes them, even as a USCC.
  const own = fieldMaskerOf(newestEntryVersion(catalog, record.catalogCode)).owning([record.data]);
  const cell = (field: string, value: string | number | undefined) =>
    value === undefined ? '' : masker.unmasked ? String(value) : own.cell(field, String(value));
  const text = (value: string) => (masker.unmasked ? value : own.message(value));
  const workbook = await streamingWorkbook(outFile);

  const letter = summarySheet(workbook, '异议核实通知', [18, 90]);
  letter.title(`公共信用信息异议核实通知（异议第 ${objection.id} 号）`);
  letter.line('脱敏说明', maskingNote(masker.unmasked), { warn: masker.unmasked });
  letter.line('报送单位', `${providerName(providers, notice.providerCode)}（${notice.providerCode}）`);
  letter.line('信息类别', `${columns.title}（${record.catalogCode}）`);
  letter.line('异议记录', `记录 ${record.recordId}，业务主键 ${shownKey(record, cell)}`);
  letter.line('来源', masker.text(`${record.fileName} 第 ${record.rowNumber} 行，${record.receivedAt} 报送`));
  letter.line('异议申请人', text(objection.applicant));
  letter.line('异议内容', text(objection.reason));
  letter.line('异议受理日期', objection.receivedOn);
  letter.line('平台核查期限', `${objection.dueOn}（收到异议申请之日起 3 个工作日内）`);
  letter.line('发出日期', notice.issuedOn);
  const provisional = notice.provisional ? `；${VERIFICATION_PROVISIONAL_NOTE.zh}` : '';
  letter.line(
    '核实答复期限',
    `${notice.deadline}（${notice.workingDays} 个工作日内，不含发出当日${provisional}）`,
    { warn: true },
  );
  letter.line(
    '标注',
    '异议处理期间，平台已对该信息标注“异议处理中”，标注随该信息出现在平台的各类查询和报表中。',
  );
  letter.line('当前状态', VERIFICATION_STATUS_TITLES[state.status]);
  letter.line(
    '办理要求',
    '依据《公共信用信息归集管理办法》第十八条，信息主体对上述信息提出异议，请贵单位对照“报送内容”工作表进行核实，并在答复期限内书面答复，答复须为下列之一：',
  );
  letter.line('（一）确认无误', '经核实信息准确的，予以确认，并说明认定依据（如行政处罚决定书文号）。');
  letter.line('（二）更正', '信息有误的，通过原报送渠道重新报送更正后的数据，并书面说明更正内容。');
  letter.line('（三）证明材料', '随答复提供相关证明材料（如决定书、送达回证、更正文件）的复印件或电子件。');
  if (!masker.unmasked) letter.line('注意', '带 * 号的身份证号码已脱敏，重新报送时请填写完整号码。');
  letter.commit();

  const fields = workbook.addWorksheet('报送内容', {
    views: [{ state: 'frozen', ySplit: 1 }],
    ...printLayout('异议核实通知 报送内容', 1),
  });
  fields.columns = FIELD_WIDTHS.map((width, i) => ({ key: `c${i}`, width }));
  const header = fields.addRow(FIELD_HEADERS.map(xlsxText));
  header.eachCell((headerCell) => {
    headerCell.style = HEADER_STYLE;
  });
  header.commit();
  const known = new Set(columns.codes);
  const extra = Object.keys(record.data).filter((field) => !known.has(field));
  for (const field of [...columns.codes, ...extra]) {
    const value = record.data[field];
    if (value === undefined || value === '') continue;
    const title = columns.titles[columns.codes.indexOf(field)] ?? field;
    fields
      .addRow([title, field, record.keyFields.includes(field) ? '是' : '', cell(field, value)].map(xlsxCell))
      .commit();
  }
  fields.commit();

  const reply = summarySheet(workbook, '核实答复', [18, 90]);
  reply.title(`异议核实答复（异议第 ${objection.id} 号，记录 ${record.recordId}）`);
  reply.line('核实结论', '□ 信息无误，予以确认　□ 信息有误，已重新报送更正数据');
  reply.line('依据或更正说明', '');
  reply.line('证明材料', '');
  reply.line('经办人及电话', '');
  reply.line('答复单位（盖章）', `${providerName(providers, notice.providerCode)}`);
  reply.line('答复日期', '');
  reply.commit();
  await workbook.commit();
}

/** The stored business key, each part masked as its field says. */
function shownKey(
  record: DeliveredRecord,
  cell: (field: string, value: string | number | undefined) => string,
): string {
  return keyParts(record.businessKey)
    .map((part, i) => cell(record.keyFields[i] ?? '', part) || '—')
    .join('|');
}
