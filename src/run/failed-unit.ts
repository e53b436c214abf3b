import { InfrastructureFault, infrastructureFault } from '../../connectors/infrastructure-fault.ts';
import { RetryableError } from '../../connectors/transports/retry-with-backoff.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import { emptyCounts } from '../warehouse/outcome-counts.ts';
import { recordFailedUnit, type SourceFileRow } from '../warehouse/source-files-repository.ts';
import type { UnitRequest, UnitResult } from './load-unit.ts';
import { toUnitFailure } from './unit-failure.ts';

/** The `source_files` row a unit is recorded under, loaded or failed. */
export function sourceFileRow(request: UnitRequest, startedAt: Date): SourceFileRow {
  return {
    runId: request.runId,
    unit: request.unit,
    format: request.format?.name ?? 'rows',
    catalogCode: request.entry.code,
    catalogVersion: request.entry.version,
    providerCode: request.providerCode,
    level: request.level,
    startedAt,
  };
}

/**
 * Codes of a delivery the platform could not read at all: a file in the drop folder its own user may not open
 * (EACCES, EPERM) or that became a link after the listing (`file-unreadable`, connectors/transports/file-drop),
 * a file whose reading met EACCES or EPERM (`file-unreadable`, unit-failure.ts: the local copy of an SFTP
 * download among them), and an SFTP file the server refuses the platform's login to open or read
 * (`remote-permission-denied`, connectors/transports/sftp-connection.ts). Not a defect of the file nor the
 * provider's doing (scope `platform` in error-codes.json): see UnitNotRead.
 */
const NOT_READ_BY_THE_PLATFORM = new Set(['file-unreadable', 'remote-permission-denied']);

/**
 * A unit the platform could not read (NOT_READ_BY_THE_PLATFORM): nothing is recorded against it or its provider,
 * and it is not settled (never moved to failed/): it stays where it is, and the next run reads it once the
 * operator made it readable. The run goes on with the next unit and ends `failed`, naming it (ingest-files.ts).
 */
export class UnitNotRead extends Error {
  override readonly name = 'UnitNotRead';
  constructor(
    readonly unitName: string,
    readonly code: string,
    /** Why, in the words the file's failure would have had. */
    readonly reason: string,
  ) {
    super(`${notReadPrefix(unitName, code)}${reason}${NOT_READ_SUFFIX}`);
  }

  /**
   * One a unit's worker thread threw (isolated-unit.ts), made again from what crossed over: its code and message.
   */
  static sent(unitName: string, code: string, message: string): UnitNotRead {
    const prefix = notReadPrefix(unitName, code);
    const whole = message.startsWith(prefix) && message.endsWith(NOT_READ_SUFFIX);
    return new UnitNotRead(
      unitName,
      code,
      whole ? message.slice(prefix.length, message.length - NOT_READ_SUFFIX.length) : message,
    );
  }
}

const notReadPrefix = (unitName: string, code: string) => `${unitName}: not read [${code}]: `;
const NOT_READ_SUFFIX =
  '; left where it is, nothing recorded against it or its provider: the next run reads it once the platform can';

/**
 * Records why a unit could not be loaded (after its transaction rolled back) and reports it as failed. An
 * infrastructure fault (database, network) is not the file's: it is thrown on, naming the file, and nothing
 * is recorded against the file, so the run's attempt ends and the file loads on the next one. Nor is a file the
 * platform could not read: thrown on as UnitNotRead, and the run goes on without it.
 */
export async function failedUnit(
  warehouse: Warehouse,
  file: SourceFileRow,
  error: unknown,
): Promise<UnitResult> {
  if (error instanceof InfrastructureFault) throw error;
  if (infrastructureFault(error)) {
    // The loader's connection is the warehouse's: a socket error here (EPIPE, ECONNRESET) is the database's.
    // Only a transport's own error (a unit streamed from a remote server) names the network, or the delivery
    // (a file still being written: DeliveryChangedError).
    const side = error instanceof RetryableError ? (infrastructureFault(error) ?? 'network') : 'database';
    throw new InfrastructureFault(side, file.unit.name, error);
  }
  const failure = toUnitFailure(error, file.unit);
  if (NOT_READ_BY_THE_PLATFORM.has(failure.code))
    throw new UnitNotRead(file.unit.name, failure.code, failure.message);
  // The provider's words only: the original error (failure.detail) is the operator's (ingest-files.ts logs it).
  const sourceFileId = await recordFailedUnit(warehouse, file, {
    code: failure.code,
    message: failure.message,
  });
  return {
    sourceFileId,
    name: file.unit.name,
    status: 'failed',
    counts: emptyCounts(),
    errorsByCode: {},
    blankLines: 0,
    encoding: undefined,
    error: { code: failure.code, message: failure.message },
    ...(failure.detail ? { operatorDetail: failure.detail } : {}),
    durationMs: Date.now() - file.startedAt.getTime(),
  };
}
