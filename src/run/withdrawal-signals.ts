import type { CatalogEntry, CodeList, FieldSchema } from '../catalog/catalog-entry.ts';
import { headerKey } from '../catalog/match-headers.ts';
import { UnitFailure } from './unit-failure.ts';

/** A source column and the values of it that carry a meaning (compared trimmed and case-insensitively). */
export interface SignalColumn {
  /** The column as the source names it (a file's header, a 前置库 column as the transport names it). */
  column: string;
  values: string[];
}

/**
 * How a pipeline's source says a record was withdrawn (撤销) by the provider: a soft-delete flag an integrator's
 * 前置库 table keeps (`del_flag` = '1'), or the 当前状态 of the 2016 layouts (0 正常, 1 撤销, 2 异议, 3 其他).
 * Such a row is a withdrawal request, applied as a legal procedure (015-provider-withdrawals.ts), never data.
 */
export interface WithdrawalSignals {
  softDelete?: SignalColumn;
  /** `values`: withdrawn; `objection`: an objection (异议) is under way — the row is data and raises the mark. */
  status?: SignalColumn & { objection?: string[] };
  /**
   * A file of withdrawn decisions (撤销清单): a unit whose file name matches `pattern` (a glob such as
   * `*撤销*.csv`, compared case-insensitively) is a withdrawal list, every row of it a withdrawal request naming
   * its record by the business-key fields.
   */
  file?: { pattern: string };
  /**
   * A 前置库 table (or view) of withdrawn decisions, read like the pipeline's own `table` transport with these
   * settings in place of its table, columns and cursor: every row a withdrawal request.
   */
  table?: WithdrawalTable;
}

/** The pipeline's table transport, pointed at another table: where an integrator lists withdrawn decisions. */
export interface WithdrawalTable {
  table: string;
  /** Source column → catalog field code or title (the business-key fields); default every column, by name. */
  columns?: Record<string, string>;
  /** Default the pipeline's transport's cursor. */
  cursor?: { column: string; tieBreaker?: string };
  /** Default `table:<pipeline>:<table>` (table-watermark-key.ts). */
  watermark?: string;
}

/** What a row says beyond its data: `withdraw` it, or `object` to it; `text` is the evidence, `del_flag=1`. */
export interface RowSignal {
  kind: 'withdraw' | 'object';
  text: string;
}

/** A unit's signals, bound to its header once. */
export interface UnitSignals {
  /** Columns a signal reads: not unknown columns, though no catalog field takes them. */
  columns: ReadonlySet<number>;
  read(cells: readonly string[]): RowSignal | undefined;
}

const NONE: UnitSignals = { columns: new Set(), read: () => undefined };

/** A withdrawal list's signals: every row is a withdrawal request, `text` its evidence (撤销清单). */
export function listSignals(text: string): UnitSignals {
  const signal: RowSignal = { kind: 'withdraw', text };
  return { columns: new Set(), read: () => signal };
}

/** The evidence a withdrawal list's rows carry into lineage and the procedure log's basis. */
export const withdrawalListText = {
  file: '撤销清单',
  table: (table: string) => `撤销表 ${table}`,
};

/**
 * Finds the signal columns in a unit's header (as delivered, or as the pipeline's field mapping renames it). A
 * declared soft-delete column must be there: a 前置库 table has a fixed shape, and a missing flag would load
 * deleted rows as data. A 当前状态 column may be absent: a 2021-layout file of the same feed has none.
 */
export function unitSignals(
  signals: WithdrawalSignals | undefined,
  header: readonly string[],
  headerMap: Readonly<Record<string, string>> = {},
): UnitSignals {
  if (!signals) return NONE;
  const indexOf = (column: string) => {
    const wanted = headerKey(column);
    return header.findIndex(
      (name) => headerKey(name) === wanted || headerKey(headerMap[name] ?? name) === wanted,
    );
  };
  const readers: Array<(cells: readonly string[]) => RowSignal | undefined> = [];
  const columns = new Set<number>();
  const { softDelete, status } = signals;
  if (softDelete) {
    const index = indexOf(softDelete.column);
    if (index < 0)
      throw new UnitFailure(
        'withdrawal-column-missing',
        `管道声明以"${softDelete.column}"列标记撤销（软删除），但本批数据没有该列：请在数据中提供该列，或改正管道的 withdrawals.softDelete.column`,
      );
    columns.add(index);
    readers.push(reader(index, header[index] ?? softDelete.column, softDelete.values, 'withdraw'));
  }
  const statusIndex = status ? indexOf(status.column) : -1;
  if (status && statusIndex >= 0) {
    columns.add(statusIndex);
    const name = header[statusIndex] ?? status.column;
    readers.push(reader(statusIndex, name, status.values, 'withdraw'));
    if (status.objection) readers.push(reader(statusIndex, name, status.objection, 'object'));
  }
  return {
    columns,
    read(cells) {
      for (const read of readers) {
        const signal = read(cells);
        if (signal) return signal;
      }
      return undefined;
    },
  };
}

/**
 * The withdrawal signals of a unit read by `entry` (`columns`: the field of each of its header's columns): the
 * request's own and, where those name no `status` column, the field the entry declares `x-statusSignal` (the 2016
 * layouts' 当前状态) when the header has it. So `ingest`, the console's reporting and a pipeline that declares
 * nothing read 撤销 as a withdrawal request and 异议 as an objection, as a pipeline declaring `withdrawals.status`
 * does; a pipeline's own `status` wins. Without such a column the request's signals are returned as they are.
 */
export function unitWithdrawals(
  signals: WithdrawalSignals | undefined,
  entry: CatalogEntry,
  header: readonly string[],
  columns: readonly (string | undefined)[],
): WithdrawalSignals | undefined {
  if (signals?.status) return signals;
  const status = declaredStatus(entry, header, columns);
  return status ? { ...signals, status } : signals;
}

/** The entry's `x-statusSignal` field as a status signal on the header's column of it, its values with their aliases. */
function declaredStatus(
  entry: CatalogEntry,
  header: readonly string[],
  columns: readonly (string | undefined)[],
): WithdrawalSignals['status'] {
  const fields: Record<string, FieldSchema> = {
    ...entry.legacyLayout?.sourceFields,
    ...entry.schema.properties,
  };
  for (const [code, field] of Object.entries(fields)) {
    const declared = field['x-statusSignal'];
    const index = columns.indexOf(code);
    if (!declared || index < 0 || header[index] === undefined) continue;
    const codeList = field['x-codeList'];
    return {
      column: header[index],
      values: withAliases(declared.withdraw, codeList),
      ...(declared.objection ? { objection: withAliases(declared.objection, codeList) } : {}),
    };
  }
  return undefined;
}

/** Code-list codes and every old name (alias) the normalizer turns into one of them (1 → 1, 撤销). */
function withAliases(codes: readonly string[], codeList: CodeList | undefined): string[] {
  const wanted = new Set(codes);
  const aliases = Object.entries(codeList?.aliases ?? {})
    .filter(([, target]) => wanted.has(target))
    .map(([alias]) => alias);
  return [...codes, ...aliases];
}

function reader(
  index: number,
  name: string,
  values: readonly string[],
  kind: RowSignal['kind'],
): (cells: readonly string[]) => RowSignal | undefined {
  const wanted = new Set(values.map(signalValue));
  return (cells) => {
    const value = cells[index];
    if (value === undefined || !wanted.has(signalValue(value))) return undefined;
    return { kind, text: `${name}=${value.trim()}` };
  };
}

const signalValue = (value: string) => value.normalize('NFKC').trim().toLowerCase();
