import { maskTypedLookup } from '../identifiers/mask-ids.ts';
import { type CatalogEntry, type FieldSchema, fieldCodes } from './catalog-entry.ts';
import { requiredColumnsOf } from './legacy-layout.ts';

/** How a file's header row maps onto an entry's fields. */
export interface HeaderMatch {
  /** Field code per source column; `undefined` for a column that maps to nothing. */
  columns: (string | undefined)[];
  /** Problems that make the whole file unusable, in Chinese, each naming the columns. */
  problems: HeaderProblem[];
}

export interface HeaderProblem {
  code: 'missing-columns' | 'unknown-columns' | 'duplicate-columns' | 'empty-header';
  message: string;
  columns: string[];
}

/** Header text as compared: NFKC (full-width brackets), no spaces, no `*` required markers, lowercase. */
export function headerKey(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\s*\u200B-\u200D\uFEFF]/g, '')
    .toLowerCase();
}

/**
 * Every name a column may carry for each field (compared keys): code, title, aliases, and each without `行政`;
 * and the blank template's `标题(CODE)` (`catalog template`, title over code in one cell); a legacy layout's source
 * fields too. Codes compare case-insensitively (前置库 tables use `cf_wsh`).
 */
export function headerNames(entry: CatalogEntry): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  const sourceFields = entry.legacyLayout?.sourceFields ?? {};
  const fields: [string, FieldSchema][] = [
    ...fieldCodes(entry).map((code) => [code, entry.schema.properties[code]!] as [string, FieldSchema]),
    ...Object.entries(sourceFields),
  ];
  for (const [code, field] of fields) {
    const keys = new Set<string>();
    for (const name of [code, field.title, ...(field['x-aliases'] ?? [])]) {
      keys.add(headerKey(name));
      if (name.startsWith('行政')) keys.add(headerKey(name.slice(2)));
    }
    keys.add(headerKey(templateHeader(field.title, code)));
    names.set(code, keys);
  }
  return names;
}

/** A blank template's header cell: the Chinese title over the field code (`*` for a required field goes before). */
export function templateHeader(title: string, code: string): string {
  return `${title}\n(${code})`;
}

function headerIndex(entry: CatalogEntry): Map<string, string> {
  const index = new Map<string, string>();
  for (const [code, keys] of headerNames(entry)) for (const key of keys) index.set(key, code);
  return index;
}

/**
 * Matches a header to an entry. `pipelineColumns`: columns the pipeline reads itself (a withdrawal flag), never
 * unknown even with no field; columns named in `ignorable` (a pipeline's integrator bookkeeping columns such as
 * `id`, `create_time`, `del_flag`; compared as header keys) map to no field and are no unknown column either.
 * `requiredColumns`: the columns a file must have, by default the version's required fields (a withdrawal list
 * needs only the business key's, withdrawalListColumns). `headerRow`: the row the header was read from (the file's
 * row number a person sees: `--header-row`, a workbook's title rows passed over), which the messages name.
 */
export function matchHeaders(
  entry: CatalogEntry,
  header: string[],
  pipelineColumns: ReadonlySet<number> = new Set(),
  ignorable: readonly string[] = [],
  requiredColumns: readonly string[] = requiredColumnsOf(entry.schema.required, entry.legacyLayout),
  headerRow = 1,
): HeaderMatch {
  const index = headerIndex(entry);
  const ignored = new Set(ignorable.map(headerKey));
  const columns = header.map((name) => index.get(headerKey(name)));
  const problems: HeaderProblem[] = [];
  if (header.every((name) => name.trim() === '')) {
    problems.push({
      code: 'empty-header',
      message: `文件第${headerRow}行（表头）为空，请在第${headerRow}行填写目录规定的列名`,
      columns: [],
    });
    return { columns, problems };
  }
  const unknown = header.filter(
    (name, i) =>
      columns[i] === undefined &&
      name.trim() !== '' &&
      !pipelineColumns.has(i) &&
      !ignored.has(headerKey(name)),
  );
  if (unknown.length > 0 && looksLikeDataRow(unknown, columns)) {
    // Quoting the cells would put a row's values (a person's ID number among them) into every log and alert.
    problems.push({
      code: 'unknown-columns',
      message: `${headerRow === 1 ? '第一行' : `第${headerRow}行（表头行）`}像是数据而不是表头：文件第${headerRow}行应是目录"${entry.title}"的列名，数据从其下一行开始；请在数据前补上表头行（可按目录模板的列名填写）后重新报送`,
      columns: [],
    });
    return { columns, problems };
  }
  if (unknown.length > 0) {
    // A header cell may still be a value (an ID number typed where a column name goes): shown masked.
    const shown = unknown.map(maskTypedLookup);
    problems.push({
      code: 'unknown-columns',
      message: `表头中有目录"${entry.title}"未定义的列：${shown.join('、')}，请删除或按目录列名改正`,
      columns: shown,
    });
  }
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  columns.forEach((code, i) => {
    if (code === undefined) return;
    if (seen.has(code)) duplicates.push(`${seen.get(code)} / ${header[i]}`);
    else seen.set(code, header[i] ?? code);
  });
  if (duplicates.length > 0) {
    problems.push({
      code: 'duplicate-columns',
      message: `表头中以下列指向同一字段：${duplicates.join('；')}，请只保留一列`,
      columns: duplicates,
    });
  }
  const missing = requiredColumns.filter((code) => !seen.has(code));
  if (missing.length > 0) {
    const titles = missing.map(
      (code) => entry.schema.properties[code]?.title ?? entry.legacyLayout?.sourceFields[code]?.title ?? code,
    );
    problems.push({
      code: 'missing-columns',
      message: `缺少目录"${entry.title}"规定的必填列：${titles.join('、')}，请按目录模板补齐表头`,
      columns: titles,
    });
  }
  return { columns, problems };
}

/** A code, an ID number or an amount (6 digits in a row), or a date: no column name holds one. */
const VALUE_LIKE = /\d{6}|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}/;

/** A cell that reads as a value, not a column name. */
const looksLikeValue = (cell: string): boolean => VALUE_LIKE.test(cell.normalize('NFKC'));

/**
 * True when a header row reads as a data row (a file without a header): some unknown cells hold values, and
 * either no cell names a column of the entry or at least three hold values. A header with one odd column name
 * is still a header.
 */
function looksLikeDataRow(unknown: readonly string[], columns: readonly (string | undefined)[]): boolean {
  const values = unknown.filter(looksLikeValue).length;
  return values > 0 && (columns.every((code) => code === undefined) || values >= 3);
}

/**
 * The columns a withdrawal list (撤销清单, every row a withdrawal) must have: the business-key fields the version
 * requires (decision number, authority code); of its other key fields (the subject's codes) at least one, which
 * withdrawalListProblem checks.
 */
export function withdrawalListColumns(entry: CatalogEntry): string[] {
  const required = new Set(requiredColumnsOf(entry.schema.required, entry.legacyLayout));
  return entry.businessKey.filter((code) => required.has(code));
}

/** A withdrawal list without any of the business key's optional columns (the subject's codes) names no subject. */
export function withdrawalListProblem(entry: CatalogEntry, match: HeaderMatch): HeaderProblem | undefined {
  const required = new Set(withdrawalListColumns(entry));
  const optional = entry.businessKey.filter((code) => !required.has(code));
  if (optional.length === 0 || optional.some((code) => match.columns.includes(code))) return undefined;
  const titles = optional.map((code) => entry.schema.properties[code]?.title ?? code);
  return {
    code: 'missing-columns',
    message: `撤销清单须以业务主键指明要撤销的记录，缺少行政相对人的代码列：请至少提供${titles.join('、')}中的一列`,
    columns: titles,
  };
}
