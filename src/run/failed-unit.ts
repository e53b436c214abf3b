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
 * Records why a unit could not be loaded (after its transaction rolled back) and reports it as failed. An
 * infrastructure fault (database, network) is not the file's: it is thrown on, naming the file, and nothing
 * is recorded against the file, so the run's attempt ends and the file loads on the next one.
 */
export async function failedUnit(
  warehouse: Warehouse,
  file: SourceFileRow,
  error: unknown,
): Promise<UnitResult> {
  if (error instanceof InfrastructureFault) throw error;
  if (infrastructureFault(error)) {
    // The loader's connection is the warehouse's: a socket error here (EPIPE, ECONNRESET) is the database's.
    // Only a transport's own error (a unit streamed from a remote server) names the network.
    const side = error instanceof RetryableError ? 'network' : 'database';
    throw new InfrastructureFault(side, file.unit.name, error);
  }
  const failure = toUnitFailure(error, file.unit);
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
