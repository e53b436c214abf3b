import { parentPort } from 'node:worker_threads';
import type { SourceUnit } from '../../connectors/contracts.ts';
import { formatForFile } from '../../connectors/formats/format-for-file.ts';
import { InfrastructureFault, infrastructureFault } from '../../connectors/infrastructure-fault.ts';
import { openLocated } from '../../connectors/transports/archive-units.ts';
import { createCalendar, useCalendar } from '../calendar/working-days.ts';
import { connectWarehouse } from '../warehouse/connect-warehouse.ts';
import type { WorkerJob, WorkerMessage } from './isolated-unit.ts';
import { loadInChunks } from './load-in-chunks.ts';
import { loadUnit, type UnitRequest } from './load-unit.ts';
import { hashBigUnitsInParent } from './unit-digest.ts';

/**
 * One isolated unit at a time: the request arrives as plain data, the worker reopens the unit's bytes from its
 * locator (decompressing them here, not in the scheduler's thread) and loads it with `loadUnit` over a
 * connection of its own. If this thread dies, that connection closes and PostgreSQL rolls the unit back.
 */
const port = parentPort;
if (!port) throw new Error('unit-worker.ts runs only as a worker thread (see isolated-unit.ts)');

// The parent waits for the unit's result meanwhile: it hashes the unit's bytes, this thread reads them.
hashBigUnitsInParent((ring) => port.postMessage({ type: 'digest', ring } satisfies WorkerMessage));

port.on('message', (job: WorkerJob) => {
  // From here on a death of this thread may be the unit's doing; before, it cannot be (isolated-unit.ts).
  port.postMessage({ type: 'taken' } satisfies WorkerMessage);
  run(job).then((message) => port.postMessage(message satisfies WorkerMessage));
});

/** The version of the holiday calendar installed in this thread: the scheduler's, sent with each job. */
let installedHolidays: string | undefined;

async function run(job: WorkerJob): Promise<WorkerMessage> {
  const { locator, ...plain } = job.unit;
  const unit: SourceUnit = { ...plain, locator, open: () => openLocated(locator, job.limits) };
  if (installedHolidays !== job.holidays.version) {
    useCalendar(createCalendar(job.holidays));
    installedHolidays = job.holidays.version;
  }
  // One connection, closed before the answer: an idle worker holds none.
  const warehouse = connectWarehouse(job.url, { poolSize: 1, applicationName: job.applicationName });
  try {
    const request: UnitRequest = {
      ...job.request,
      validatorOptions: { ...job.request.validatorOptions, today: () => job.today },
      unit,
      format: formatForFile(unit.name),
      onProgress: (rows, phase) =>
        port?.postMessage({ type: 'progress', rows, ...(phase ? { phase } : {}) } satisfies WorkerMessage),
    };
    // A big CSV file is read in chunks by several workers when CREDIT_ETL_CHUNK_BYTES says so (load-in-chunks.ts).
    const helpers = job.helpers
      ? {
          request: async (loadId: number, count: number) =>
            port?.postMessage({ type: 'chunks', loadId, helpers: count } satisfies WorkerMessage),
        }
      : undefined;
    const chunked = job.chunkBytes
      ? await loadInChunks(warehouse, request, job.limits, job.chunkBytes, helpers)
      : undefined;
    const result = chunked ?? (await loadUnit(warehouse, request));
    return { type: 'result', result };
  } catch (error) {
    // A fault loadUnit does not own (lost connection, server shutting down): the scheduler's thread decides.
    // An InfrastructureFault is sent as its cause and side; the scheduler's thread wraps it again.
    const side = infrastructureFault(error);
    const root = error instanceof InfrastructureFault && error.cause instanceof Error ? error.cause : error;
    const { message, name } = root instanceof Error ? root : new Error(String(root));
    const code = errorCode(root);
    return { type: 'error', error: { name, message, ...(code ? { code } : {}), ...(side ? { side } : {}) } };
  } finally {
    await warehouse.destroy();
  }
}

/** The SQLSTATE or Node code of an error, or of the error it wraps. */
function errorCode(error: unknown): string | undefined {
  for (let current = error; typeof current === 'object' && current !== null; ) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    current = cause;
  }
  return undefined;
}
