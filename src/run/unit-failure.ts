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
  if (typeof code === 'string' && /^(ENOENT|EACCES|EISDIR|EMFILE)$/.test(code)) {
    return new UnitFailure('unreadable-file', `cannot read the file: ${message}`);
  }
  return new UnitFailure('internal-error', message);
}
