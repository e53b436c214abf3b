import { FileFormatError } from '../../connectors/contracts.ts';
import { CalendarMissingError } from '../calendar/working-days.ts';
import { CatalogError } from '../catalog/load-catalog.ts';
import { visibleText } from '../load/copy-text.ts';

/** A unit that could not be loaded at all; nothing of it reached the warehouse. */
export class UnitFailure extends Error {
  override readonly name = 'UnitFailure';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Every error a unit can end with, as a stable code and a message a person can act on, and one the ledger can
 * store: a character PostgreSQL refuses (a NUL quoted from a file) is escaped, or the failure could not be recorded.
 */
export function toUnitFailure(error: unknown): UnitFailure {
  const failure = classify(error);
  const message = visibleText(failure.message);
  return message === failure.message ? failure : new UnitFailure(failure.code, message);
}

function classify(error: unknown): UnitFailure {
  if (error instanceof UnitFailure) return error;
  if (error instanceof FileFormatError) return new UnitFailure(error.code, error.message);
  if (error instanceof CalendarMissingError) return new UnitFailure('calendar-missing', error.message);
  if (error instanceof CatalogError) return new UnitFailure('catalog', error.message);
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const unreadable = typeof code === 'string' ? UNREADABLE.get(code) : undefined;
  // Node's own text (`ENOENT: no such file or directory, open '/srv/drop/…'`) is English and names the server's
  // paths: the provider is told what happened; the operator finds the file by its source_files row.
  if (unreadable) return new UnitFailure('unreadable-file', `无法读取文件，未入库任何数据：${unreadable}`);
  return new UnitFailure('internal-error', message);
}

/** The system errors that leave a file unread, by Node's code, in the provider's words. */
const UNREADABLE = new Map([
  ['ENOENT', '文件在读取时已不存在（已被移走或删除）；如仍需报送，请重新报送'],
  ['EACCES', '平台没有读取该文件的权限（不是文件内容的问题）；请联系平台运维人员'],
  ['EISDIR', '报送的是一个文件夹，不是文件；请报送其中的数据文件'],
  ['EMFILE', '平台同时打开的文件过多（不是文件内容的问题）；请稍后重新报送，或联系平台运维人员'],
]);
