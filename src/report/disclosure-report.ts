import type ExcelJS from 'exceljs';
import { shanghaiTime } from '../../connectors/shanghai-time.ts';
import type { Catalog } from '../catalog/load-catalog.ts';
import { type DisclosedRecordState, entryDisclosures } from '../disclosure/disclosed-records.ts';
import type { DisclosureState } from '../disclosure/disclosure-state.ts';
import { publicUntil } from '../disclosure/public-until.ts';
import { fieldMaskerOf } from '../log/mask-personal-data.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { recordedCatalogCodes } from '../warehouse/disclosure-repository.ts';
import { markOriginTitle } from '../warehouse/objection-vocabulary.ts';
import { printLayout } from './print-setup.ts';
import { HEADER_STYLE, sheetName } from './rejection-sheet.ts';
import { type EntryColumns, entryColumns, maskingNote } from './report-columns.ts';
import { openReportFile } from './report-file.ts';
import { csvLine, xlsxCell, xlsxText } from './spreadsheet-safe.ts';
import { summarySheet } from './summary-sheet.ts';

export const DISCLOSURE_FORMATS = ['xlsx', 'csv', 'json'] as const;
export type DisclosureFormat = (typeof DISCLOSURE_FORMATS)[number];

/**
 * Why each record is in the report or not: every record of the warehouse is counted once. `shown` includes the
 * `objection` ones (Art. 18: 异议申请处理期间…予以标注 — labelled, not withheld).
 */
export interface DisclosureCounts {
  records: number;
  shown: number;
  objection: number;
  expired: number;
  repaired: number;
  withdrawn: number;
  superseded: number;
  notPublic: number;
  /**
   * Stored under a catalog entry version whose file catalog/ lacks: its disclosure is unknown, so it is not shown
   * (reason `version-missing`; put the file back to judge it).
   */
  versionMissing: number;
  /** 轻微 without a 公示截止期: not published in principle (原则上不公示). */
  minor: number;
  notYet: number;
}

/**
 * The columns before an entry's own fields. 公示期限说明 says why the row's own 公示截止期 shows the effective end
 * (公示截止日期) rather than the provider's date: the rules cut or raised it (src/disclosure/public-until.ts).
 */
export const DISCLOSURE_HEADERS = [
  '记录编号',
  '目录',
  '公示状态',
  '公示截止日期',
  '异议标注',
  '失信程度',
  '公示期限说明',
];

export function disclosureFormatOf(file: string): DisclosureFormat | undefined {
  const extension = file.toLowerCase().split('.').pop();
  return DISCLOSURE_FORMATS.find((format) => format === extension);
}

/**
 * 公示 on one day: every record that may be shown to the public on `asOf` — current, within its disclosure
 * period, not ended by a credit repair — with its state, its objection label, and its fields masked as they
 * leave the platform (a resident ID number masked, a USCC never). One section (sheet) per catalog entry, read
 * by keyset pages and written as it is read. Returns the counts of what was shown and why the rest was not.
 */
export async function writeDisclosureReport(
  warehouse: Warehouse,
  catalog: Catalog,
  asOf: string,
  outFile: string,
  format: DisclosureFormat,
): Promise<DisclosureCounts> {
  const codes = await recordedCatalogCodes(warehouse);
  const order = [...new Set(catalog.entries.map((entry) => entry.code))];
  codes.sort((a, b) => rank(order, a) - rank(order, b) || a.localeCompare(b));
  const counts: DisclosureCounts = {
    records: 0,
    shown: 0,
    objection: 0,
    expired: 0,
    repaired: 0,
    withdrawn: 0,
    superseded: 0,
    notPublic: 0,
    versionMissing: 0,
    minor: 0,
    notYet: 0,
  };
  const writer = await openWriter(
    format,
    outFile,
    asOf,
    codes.map((code) => entryColumns(catalog, code)),
  );
  try {
    for (const code of codes) {
      const columns = entryColumns(catalog, code);
      // An entry never shown to the public gets no section; its records are still counted.
      if (!notPublic(catalog, code)) await writer.startEntry(columns);
      for await (const item of entryDisclosures(warehouse, catalog, code, asOf)) {
        counts.records++;
        if (!count(counts, item.state)) continue;
        await writer.add(columns, shownRecord(item, columns));
      }
    }
    await writer.finish(counts);
  } catch (error) {
    // No half report: what was written is removed (report-file.ts).
    await writer.discard();
    throw error;
  }
  return counts;
}

/**
 * A record as the report shows it: its state in words and its fields masked, the record's own personal values (a
 * natural person's ID) wherever its cells quote them, even where such a number is a valid USCC too.
 */
interface ShownRecord {
  recordId: number;
  catalogCode: string;
  title: string;
  state: DisclosureState['state'];
  label: string;
  until: string;
  objection: string;
  severity: string;
  /** Why the row's own end (公示截止期) shows the effective end, not the provider's date; empty when it does not. */
  untilNote: string;
  fields: Record<string, string | number>;
}

function shownRecord(item: DisclosedRecordState, columns: EntryColumns): ShownRecord {
  const { record, state, entry } = item;
  const masker = fieldMaskerOf(entry).owning([record.data], record.subjectCode);
  const fields: Record<string, string | number> = {};
  for (const code of columns.codes) {
    const value = record.data[code];
    if (value === undefined || value === null) continue;
    fields[code] = typeof value === 'number' ? value : masker.cell(code, value);
  }
  const { period, objection } = state;
  // A record still shown never carries a past (or too distant) end of its own beside the effective one: the
  // provider's date stays in the warehouse, the public sees the end that applies and why (公示期限说明).
  const adjusted = publicUntil(entry?.disclosure, record.data, period);
  if (adjusted) fields[adjusted.field] = adjusted.until;
  return {
    recordId: record.id,
    catalogCode: record.catalogCode,
    title: columns.title,
    state: state.state,
    label: state.label,
    until: state.until ?? '长期',
    objection: objection
      ? `异议处理中（异议 #${objection.objectionId}，${objection.receivedOn} 受理${
          objection.fromRecordId === undefined ? '' : `，${markOriginTitle(objection)}`
        }）`
      : '',
    severity: period.severity
      ? `${period.severity}${period.severitySource === 'default' ? '（默认）' : ''}`
      : '',
    untilNote: adjusted?.note ?? '',
    fields,
  };
}

/** Counts the record under its state; true when it is shown. */
function count(counts: DisclosureCounts, state: DisclosureState): boolean {
  switch (state.state) {
    case 'disclosed':
      counts.shown++;
      return true;
    case 'objection':
      counts.shown++;
      counts.objection++;
      return true;
    case 'expired':
      counts.expired++;
      return false;
    case 'repaired':
      counts.repaired++;
      return false;
    case 'not-disclosed': {
      const reason = state.reason ?? 'not-public';
      if (reason === 'withdrawn') counts.withdrawn++;
      else if (reason === 'superseded') counts.superseded++;
      else if (reason === 'not-yet') counts.notYet++;
      else if (reason === 'minor') counts.minor++;
      else if (reason === 'version-missing') counts.versionMissing++;
      else counts.notPublic++;
      return false;
    }
  }
}

interface ReportWriter {
  startEntry(columns: EntryColumns): Promise<void>;
  add(columns: EntryColumns, record: ShownRecord): Promise<void>;
  finish(counts: DisclosureCounts): Promise<void>;
  discard(): Promise<void>;
}

async function openWriter(
  format: DisclosureFormat,
  outFile: string,
  asOf: string,
  entries: EntryColumns[],
): Promise<ReportWriter> {
  if (format === 'xlsx') return xlsxWriter(outFile, asOf);
  const file = await openReportFile(outFile);
  const { write, close, discard } = file;
  if (format === 'csv') {
    // One table for every entry: the union of their fields, each under its title.
    const codes = [...new Set(entries.flatMap((entry) => entry.codes))];
    const titleOf = new Map<string, string>();
    for (const entry of entries) {
      entry.codes.forEach((code, i) => {
        if (!titleOf.has(code)) titleOf.set(code, entry.titles[i] ?? code);
      });
    }
    const titles = codes.map((code) => titleOf.get(code) ?? code);
    await write('\uFEFF');
    await write(csvLine([...DISCLOSURE_HEADERS, ...titles]));
    return {
      startEntry: async () => {},
      add: (_columns, record) =>
        write(csvLine([...leadingCells(record), ...codes.map((code) => String(record.fields[code] ?? ''))])),
      finish: close,
      discard,
    };
  }
  let first = true;
  const head = {
    report: 'disclosure',
    asOf,
    masking: maskingNote(false),
    objections: '异议处理中的信息照常公示并予以标注（Art. 18）',
    generatedAt: new Date().toISOString(),
  };
  await write(`${JSON.stringify(head).slice(0, -1)},"records":[`);
  return {
    startEntry: async () => {},
    add: async (_columns, record) => {
      await write(`${first ? '' : ','}\n${JSON.stringify(record)}`);
      first = false;
    },
    finish: async (counts) => {
      await write(`\n],"counts":${JSON.stringify(counts)}}\n`);
      await close();
    },
    discard,
  };
}

function leadingCells(record: ShownRecord): string[] {
  return [
    String(record.recordId),
    `${record.title}(${record.catalogCode})`,
    record.label,
    record.until,
    record.objection,
    record.severity,
    record.untilNote,
  ];
}

/** One sheet per catalog entry, then the summary sheet: the counts are known only at the end of the stream. */
async function xlsxWriter(outFile: string, asOf: string): Promise<ReportWriter> {
  // exceljs is loaded only when a workbook is written (CLI start-up time and memory).
  const { streamingWorkbook } = await import('./streaming-workbook.ts');
  const workbook = await streamingWorkbook(outFile);
  let sheet: ExcelJS.Worksheet | undefined;
  return {
    async startEntry(columns) {
      sheet?.commit();
      sheet = workbook.addWorksheet(sheetName(`${columns.title}(${columns.catalogCode})`), {
        views: [{ state: 'frozen', ySplit: 1 }],
        ...printLayout(`公共信用信息公示 ${columns.title}`, 1),
      });
      const header = sheet.addRow([...DISCLOSURE_HEADERS, ...columns.titles].map(xlsxText));
      header.eachCell((cell) => {
        cell.style = HEADER_STYLE;
      });
      header.commit();
    },
    async add(columns, record) {
      sheet
        ?.addRow(
          [...leadingCells(record), ...columns.codes.map((code) => record.fields[code] ?? '')].map(xlsxCell),
        )
        .commit();
      await workbook.drained();
    },
    async finish(counts) {
      sheet?.commit();
      const summary = summarySheet(workbook, '汇总', [28, 60]);
      summary.title(`公示信息（${asOf}）`);
      summary.line('脱敏说明', maskingNote(false));
      summary.line('异议标注', '异议处理中的信息照常公示并予以标注（Art. 18）');
      summary.line('生成时间', `${shanghaiTime(new Date())}（北京时间）`);
      for (const [label, value] of countLines(counts)) summary.line(label, value);
      summary.commit();
      await workbook.commit();
    },
    discard: workbook.discard,
  };
}

/** The counts in words, as the summary sheet and the command print them. */
export function countLines(counts: DisclosureCounts): Array<[string, number]> {
  return [
    ['记录总数', counts.records],
    ['公示', counts.shown],
    ['其中异议处理中（标注）', counts.objection],
    ['公示期满（不公示）', counts.expired],
    ['已信用修复（不公示）', counts.repaired],
    ['已撤销（不公示）', counts.withdrawn],
    ['已被取代（不公示）', counts.superseded],
    ['目录不向社会公示', counts.notPublic],
    ['目录版本文件缺失，公示状态未知（不公示）', counts.versionMissing],
    ['轻微失信、未填公示截止期（原则上不公示）', counts.minor],
    ['尚未开始公示', counts.notYet],
  ];
}

function notPublic(catalog: Catalog, code: string): boolean {
  const versions = catalog.entries.filter((entry) => entry.code === code);
  return versions.length > 0 && versions.every((entry) => entry.disclosure.period === 'not-public');
}

function rank(order: string[], code: string): number {
  const index = order.indexOf(code);
  return index < 0 ? order.length : index;
}
