import { FileFormatError, type SourceUnit } from '../../connectors/contracts.ts';
import { CalendarMissingError } from '../calendar/working-days.ts';
import { CatalogError } from '../catalog/load-catalog.ts';
import { visibleText } from '../load/copy-text.ts';

/**
 * A unit that could not be loaded at all; nothing of it reached the warehouse. `message` is the provider's (stored
 * in source_files, shown on the direct-report page); `detail` is the original error behind a message that does not
 * quote it (a defect, a crashed worker, Node's text naming the server's paths): the operator's, logged with the
 * failure and added to the run's error, never stored with the file nor shown to the provider.
 */
export class UnitFailure extends Error {
  override readonly name = 'UnitFailure';
  constructor(
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/**
 * Every error a unit can end with, as a stable code and a message a person can act on, and one the ledger can
 * store: a character PostgreSQL refuses (a NUL quoted from a file) is escaped, or the failure could not be recorded.
 */
export function toUnitFailure(error: unknown, unit?: Pick<SourceUnit, 'beforeCommit'>): UnitFailure {
  const failure = classify(error, unit);
  const message = visibleText(failure.message);
  return message === failure.message ? failure : new UnitFailure(failure.code, message, failure.detail);
}

function classify(error: unknown, unit: Pick<SourceUnit, 'beforeCommit'> | undefined): UnitFailure {
  if (error instanceof UnitFailure) return error;
  if (error instanceof FileFormatError) return new UnitFailure(error.code, error.message);
  if (error instanceof CalendarMissingError) return new UnitFailure('calendar-missing', error.message);
  if (error instanceof CatalogError) return new UnitFailure('catalog', error.message);
  const code = (error as { code?: unknown } | null)?.code;
  // The platform's own permission (its user may not read the file, or the local copy of a download) or its own
  // limit of open files: no defect of the file, never the provider's (failed-unit.ts NOT_READ_BY_THE_PLATFORM: left
  // where it is, read next run).
  const platforms = typeof code === 'string' ? NOT_READ_BY_THE_PLATFORM.get(code) : undefined;
  if (platforms)
    return new UnitFailure(
      'file-unreadable',
      `无法读取文件，未入库任何数据：${platforms}`,
      operatorDetail(error),
    );
  const unreadable = typeof code === 'string' ? UNREADABLE.get(code) : undefined;
  // Node's own text (`ENOENT: no such file or directory, open '/srv/drop/…'`) is English and names the server's
  // paths: the provider is told what happened; the operator finds the file by its source_files row, and Node's
  // text in the log.
  if (unreadable)
    return new UnitFailure(
      'unreadable-file',
      `无法读取文件，未入库任何数据：${unreadable}`,
      operatorDetail(error),
    );
  // A defect of the platform (a library's TypeError, a 前置库 query the source refused): its text is English and
  // says nothing the provider can act on. Not retried by the run: a file is settled as failed like any other (moved
  // to failed/); a 前置库 batch (its watermark moves in its own transaction) is read again by the next run.
  const text = unit?.beforeCommit ? INTERNAL_ERROR_TEXT.batch : INTERNAL_ERROR_TEXT.file;
  return new UnitFailure('internal-error', text, operatorDetail(error));
}

/** What the provider reads for an internal error (code `internal-error`): a file's, a 前置库 batch's. */
export const INTERNAL_ERROR_TEXT = {
  file: '平台处理该文件时出错（平台内部错误，不是文件内容的问题），整个文件未入库；错误已记录在平台日志中，由平台运维人员排查。该文件不会自动重新读取：请稍后重新报送，如反复出现请联系平台运维人员',
  batch:
    '平台读取该批数据时出错（平台内部错误，不是数据内容的问题），该批数据未入库；增量位置未前移，下次运行时自动重新读取该批数据，无需重新报送；错误已记录在平台日志中，如反复出现请联系平台运维人员',
} as const;

/** How many causes of an error its detail follows (`cause` of `cause` …). */
const CAUSES = 4;

/**
 * The original error as an operator needs it: a first line `Name: message [code]`, each cause after ` ← `, then
 * the stacks. It may quote a file's content: masked wherever it is written (the logger, the run's error).
 */
export function operatorDetail(error: unknown): string {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && current !== null; ) {
    if (chain.includes(current) || chain.length > CAUSES) break;
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  const line = chain.map(oneLine).join(' ← ');
  const stacks = chain.flatMap((item) => (item instanceof Error && item.stack ? [item.stack] : []));
  return [line, ...stacks].join('\n');
}

function oneLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const text = `${error.name}: ${error.message}`.replace(/\s*[\r\n]+\s*/g, ' ');
  return typeof code === 'string' || typeof code === 'number' ? `${text} [${code}]` : text;
}

/** The system errors of the platform's own that leave a file unread: code `file-unreadable`, not the provider's. */
const NOT_PERMITTED = '平台没有读取该文件的权限（不是文件内容的问题）；请联系平台运维人员';
const TOO_MANY_OPEN =
  '平台同时打开的文件过多（不是文件内容的问题）；平台下次运行时自动重新读取，无需重新报送';
const NOT_READ_BY_THE_PLATFORM = new Map([
  ['EACCES', NOT_PERMITTED],
  ['EPERM', NOT_PERMITTED],
  ['EMFILE', TOO_MANY_OPEN],
  ['ENFILE', TOO_MANY_OPEN],
]);

/** The other system errors that leave a file unread (`unreadable-file`), by Node's code, in the provider's words. */
const UNREADABLE = new Map([
  ['ENOENT', '文件在读取时已不存在（已被移走或删除）；如仍需报送，请重新报送'],
  ['EISDIR', '报送的是一个文件夹，不是文件；请报送其中的数据文件'],
]);
