import { randomBytes } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import type { FileListed, UnitLocator } from '../../connectors/contracts.ts';
import { type FaultSide, InfrastructureFault } from '../../connectors/infrastructure-fault.ts';
import type { Limits } from '../../connectors/limits.ts';
import { todayInShanghai } from '../../connectors/shanghai-time.ts';
import type { HolidaysData } from '../calendar/holidays-file.ts';
import { calendar } from '../calendar/working-days.ts';
import { trackActiveUnit } from '../warehouse/active-units.ts';
import { endSessions, type Warehouse, warehouseUrl } from '../warehouse/connect-warehouse.ts';
import { type LockHolder, type LockWait, lockWaitsOf } from '../warehouse/lock-waits.ts';
import { readChunkBytes } from './chunk-settings.ts';
import { failedUnit, sourceFileRow, UnitNotRead } from './failed-unit.ts';
import { loadUnit, type UnitPhase, type UnitRequest, type UnitResult } from './load-unit.ts';
import { type DigestRing, hashRing } from './unit-digest.ts';
import { operatorDetail, UnitFailure } from './unit-failure.ts';
import { keepWarm, takeWorker } from './unit-workers.ts';

/** What the scheduler's thread sends a unit worker: plain data only (structured clone). */
export interface WorkerJob {
  url: string;
  /** The worker's sessions are opened under this name, so that they can be ended if the worker is terminated. */
  applicationName: string;
  limits: Limits;
  unit: {
    name: string;
    path?: string;
    sizeBytes?: number;
    listed?: FileListed;
    sha256?: string;
    receivedAt: Date;
    locator: UnitLocator;
  };
  request: Omit<UnitRequest, 'unit' | 'format' | 'onProgress' | 'validatorOptions' | 'chunkHelpers'> & {
    validatorOptions: Omit<NonNullable<UnitRequest['validatorOptions']>, 'today'>;
  };
  /** The day rows are checked against (dates not in the future), as this thread sees it (Asia/Shanghai). */
  today: string;
  /**
   * The holiday calendar this thread counts with (the one the command validated and installed): timeliness is
   * counted in the worker with the same data, not with whatever file the worker's environment would name.
   */
  holidays: HolidaysData;
  /** A chunked load may ask this thread for helpers (a `chunks` message): the request had chunkHelpers. */
  helpers: boolean;
  /** CREDIT_ETL_CHUNK_BYTES as this thread read it: a bigger CSV file is loaded in chunks (load-in-chunks.ts). */
  chunkBytes?: number;
}

/** What a unit worker answers: progress while it reads, then the unit's result or the fault it could not own. */
export type WorkerMessage =
  | { type: 'taken' }
  | { type: 'progress'; rows: number; phase?: UnitPhase }
  | { type: 'chunks'; loadId: number; helpers: number }
  | { type: 'digest'; ring: DigestRing }
  | { type: 'result'; result: UnitResult }
  | { type: 'error'; error: WorkerFault };

/** An error the worker could not own, as plain data: its code, and the side when it is an infrastructure fault. */
interface WorkerFault {
  name: string;
  message: string;
  code?: string;
  side?: FaultSide;
}

/** An error raised inside a unit's worker that the unit could not own, rethrown here with its code. */
export class IsolatedUnitError extends Error {
  override readonly name = 'IsolatedUnitError';
  constructor(
    message: string,
    /** SQLSTATE or Node error code, as the worker saw it. */
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** The unit's worker was terminated by a hard stop (rollBackActiveUnits): nothing of it was committed. */
export class UnitStoppedError extends Error {
  override readonly name = 'UnitStoppedError';
  readonly code = 'unit-stopped';
}

/**
 * Loads one file unit in a worker thread with its own heap cap and time budget, so that an out-of-memory, a
 * crash or a hang fails that unit only (recorded in `source_files` with its code) and the run goes on. Units
 * without a locator (table and HTTP rows, refused archive entries) load in this thread as before.
 */
export async function loadIsolated(
  warehouse: Warehouse,
  request: UnitRequest,
  limits: Limits,
): Promise<UnitResult> {
  const { unit, format, onProgress, chunkHelpers, validatorOptions = {}, ...rest } = request;
  const { today = todayInShanghai, ...plainOptions } = validatorOptions;
  // Work that must run here: rows or a commit hook the transport gives (functions cannot cross threads).
  if (!unit.locator || !format || unit.rows || unit.beforeCommit) return loadUnit(warehouse, request);
  const startedAt = new Date();
  const chunkBytes = readChunkBytes();
  const job: WorkerJob = {
    url: warehouseUrl(warehouse),
    applicationName: unitSessionName(),
    limits,
    unit: {
      name: unit.name,
      ...(unit.path ? { path: unit.path } : {}),
      ...(unit.sizeBytes !== undefined ? { sizeBytes: unit.sizeBytes } : {}),
      ...(unit.listed ? { listed: unit.listed } : {}),
      ...(unit.sha256 ? { sha256: unit.sha256 } : {}),
      receivedAt: unit.receivedAt,
      locator: unit.locator,
    },
    request: { ...rest, validatorOptions: plainOptions },
    today: today(),
    holidays: calendar().data,
    helpers: chunkHelpers !== undefined,
    ...(chunkBytes ? { chunkBytes } : {}),
  };
  const runOnWorker = async (): Promise<Ending> => {
    const worker = takeWorker(limits.unitHeapMb);
    const ending = await runJob(worker, job, limits, onProgress, chunkHelpers).catch((error: unknown) => {
      void worker.terminate();
      throw error;
    });
    if (ending.kind === 'result' && ending.reusable) keepWarm(worker, limits.unitHeapMb);
    // After any failure the next unit gets a fresh worker, and nothing of this one's sessions is left running.
    else if (ending.kind !== 'result') void worker.terminate();
    return ending;
  };
  let ending = await runOnWorker();
  // A worker that ended before it took the unit read nothing of it: the file is not at fault. Once more on a fresh
  // worker; a second that cannot start either is this machine's fault, retried as the database's and the network's.
  if (ending.kind === 'died' && ending.cause === 'not-started') ending = await runOnWorker();
  if (ending.kind === 'result') return ending.result;
  if (ending.kind === 'died') await endSessions(job.url, job.applicationName).catch(() => undefined);
  // Out of time while waiting for a lock another session holds: the database's fault, never the file's.
  if (ending.kind === 'died' && ending.cause === 'lock-wait') {
    const side: FaultSide = 'database';
    const cause = Object.assign(new Error(ending.detail), { code: 'unit-lock-wait' });
    throw new InfrastructureFault(side, unit.name, cause);
  }
  if (ending.kind === 'died' && ending.cause === 'not-started') {
    const cause = new Error(
      `it ended before it took the unit, twice: ${notStartedReason(ending.detail, limits)}`,
    );
    throw new InfrastructureFault('worker', unit.name, cause);
  }
  if (ending.kind === 'error') {
    // A unit the platform could not read (failed-unit.ts), found in the worker: so it is here, the run goes on.
    if (ending.error.name === 'UnitNotRead' && ending.error.code)
      throw UnitNotRead.sent(unit.name, ending.error.code, ending.error.message);
    const cause = new IsolatedUnitError(ending.error.message, ending.error.code);
    // Not the file's fault: retried by the runner, never recorded against the file.
    if (ending.error.side) throw new InfrastructureFault(ending.error.side, unit.name, cause);
    throw cause;
  }
  if (ending.cause === 'stopped') throw new UnitStoppedError(`${unit.name}: stopped, rolled back`);
  return failedUnit(warehouse, sourceFileRow(request, startedAt), unitDied(request, ending, limits));
}

type Ending =
  | { kind: 'result'; result: UnitResult; reusable: boolean }
  | { kind: 'error'; error: WorkerFault }
  | {
      kind: 'died';
      /** `lock-wait`: out of time while one of its sessions waited for a lock another session holds. */
      cause: 'not-started' | 'out-of-memory' | 'timeout' | 'lock-wait' | 'stopped' | 'crashed';
      /** The worker's own words; for `lock-wait`, the lock and who holds it. */
      detail: string;
      /** `timeout`: why the server could not be asked whether the unit was waiting for a lock (the log's). */
      lockCheckFailed?: string;
    };

/** Runs one job on a worker; settles on its answer, or when the worker exits (OOM, crash, terminated). */
function runJob(
  worker: Worker,
  job: WorkerJob,
  limits: Limits,
  onProgress: UnitRequest['onProgress'],
  chunkHelpers?: UnitRequest['chunkHelpers'],
): Promise<Ending> {
  return new Promise((resolve, reject) => {
    let terminatedFor: 'timeout' | 'lock-wait' | 'stopped' | undefined;
    let fault: (Error & { code?: string }) | undefined;
    /** The time budget ran out: the worker is ended once the server said whether the unit waits for a lock. */
    let outOfTime = false;
    /** What the server said then: the lock the unit waited for, or why it could not be asked. */
    let lockWait: string | undefined;
    let lockCheckFailed: string | undefined;
    let taken = false;
    const untrack = trackActiveUnit(async () => {
      terminatedFor ??= 'stopped';
      await worker.terminate();
      await endSessions(job.url, job.applicationName).catch(() => undefined);
    });
    // Before the worker is ended, the server is asked whether the unit is waiting for another session's lock: time
    // spent so is the database's (another load merging the same entry, a table an operator locked), not the file's.
    const budget = setTimeout(() => {
      if (terminatedFor) return;
      outOfTime = true;
      void lockWaitsOf(job.url, job.applicationName)
        .then(
          (waits) => {
            if (waits.length > 0) lockWait = lockWaitText(waits, limits);
          },
          (error: unknown) => {
            const reason = error instanceof Error ? error.message : String(error);
            lockCheckFailed = `could not ask the database whether the unit was waiting for a lock: ${reason}`;
          },
        )
        .finally(() => {
          // A hard stop meanwhile ended the worker already: it stays a stop.
          terminatedFor ??= lockWait ? 'lock-wait' : 'timeout';
          void worker.terminate();
        });
    }, limits.unitTimeoutSeconds * 1000);
    const rings: ReturnType<typeof hashRing>[] = [];
    const detach = () => {
      for (const ring of rings) ring.stop();
      clearTimeout(budget);
      untrack();
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    const settle = (ending: Ending) => {
      detach();
      resolve(ending);
    };
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'taken') taken = true;
      else if (message.type === 'progress') onProgress?.(message.rows, message.phase);
      // The unit's bytes, hashed here while this thread waits (unit-digest.ts).
      else if (message.type === 'digest') rings.push(hashRing(message.ring));
      // Help that cannot be asked for only slows the load: the worker stages every chunk itself then.
      else if (message.type === 'chunks')
        void chunkHelpers?.request(message.loadId, message.helpers).catch(() => undefined);
      // A result is sent after COMMIT: it stands even if a stop or the time budget came just after.
      else if (message.type === 'result')
        settle({ kind: 'result', result: message.result, reusable: !terminatedFor && !outOfTime });
      else settle({ kind: 'error', error: message.error });
    };
    const onError = (error: Error) => {
      fault = error;
    };
    const onExit = (exitCode: number) => {
      const cause =
        terminatedFor ??
        (!taken ? 'not-started' : fault?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out-of-memory' : 'crashed');
      // The worker's own words (an uncaught error's stack, V8's): the operator's, never the provider's.
      const detail = lockWait ?? (fault ? operatorDetail(fault) : `exit code ${exitCode}`);
      settle({ kind: 'died', cause, detail, ...(lockCheckFailed ? { lockCheckFailed } : {}) });
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    worker.ref();
    try {
      worker.postMessage(job);
    } catch (error) {
      detach(); // a request that cannot be cloned: a programming error, not the file's
      reject(error);
    }
  });
}

/**
 * Why a worker ended before it took its unit, in one line for the run's error and `--json` (the stack is the log's):
 * out of memory while it loaded its own modules names the cap that allowed it.
 */
function notStartedReason(detail: string, limits: Limits): string {
  if (detail.includes('ERR_WORKER_OUT_OF_MEMORY'))
    return `its heap cap (CREDIT_ETL_UNIT_HEAP_MB=${limits.unitHeapMb}) is too small for its own modules`;
  return detail.split('\n', 1)[0] ?? detail;
}

/**
 * Why a unit that ran out of time is the database's fault, in one line for the run's error and `--json`: the lock
 * each waiting session asked for and the sessions holding it (pid, application name, state, how long at most).
 */
function lockWaitText(waits: readonly LockWait[], limits: Limits): string {
  const waited = waits
    .map((wait) => `a lock (${wait.lock}) held by ${wait.holders.map(holderText).join(' and ')}`)
    .join('; ');
  return (
    `its time budget (CREDIT_ETL_UNIT_TIMEOUT_S=${limits.unitTimeoutSeconds}) ran out while its database ` +
    `session waited for ${waited}; nothing of it was loaded`
  );
}

function holderText(holder: LockHolder): string {
  const name = holder.applicationName ? `"${holder.applicationName}"` : 'no application name';
  if (holder.heldSeconds === null) return `session pid ${holder.pid} (${name})`;
  const held = holder.inTransaction
    ? `its transaction open ${holder.heldSeconds} s`
    : `connected ${holder.heldSeconds} s`;
  return `session pid ${holder.pid} (${name}, ${holder.state ?? 'state unknown'}, ${held})`;
}

/** The failure recorded for a unit whose worker died, in words the provider can act on. */
function unitDied(request: UnitRequest, ending: Ending & { kind: 'died' }, limits: Limits): UnitFailure {
  const name = request.unit.name;
  if (ending.cause === 'timeout') {
    // A lock check that failed is the operator's to read (the log), beside the provider's words.
    return new UnitFailure(
      'unit-timeout',
      `文件 ${name} 在 ${limits.unitTimeoutSeconds} 秒内未能读完入库（单个文件的处理时限，CREDIT_ETL_UNIT_TIMEOUT_S），已中止，未入库任何数据；请将其拆分为多个较小的文件后重新报送`,
      ending.lockCheckFailed,
    );
  }
  if (ending.cause === 'out-of-memory' && request.format?.name === 'xlsx') {
    return new UnitFailure(
      'workbook-too-large',
      `Excel 工作簿 ${name} 过大，读取时所需内存超过上限（${limits.unitHeapMb} MB，CREDIT_ETL_UNIT_HEAP_MB），未入库任何数据；请拆分为多个较小的工作簿，或另存为 CSV 后重新报送`,
    );
  }
  if (ending.cause === 'out-of-memory') {
    return new UnitFailure(
      'unit-out-of-memory',
      `读取文件 ${name} 时所需内存超过上限（${limits.unitHeapMb} MB，CREDIT_ETL_UNIT_HEAP_MB），未入库任何数据；文件中可能有超长的行或单元格（如缺少换行符、引号不配对），请检查改正，或拆分为多个较小的文件后重新报送`,
    );
  }
  // The worker's error is English and says nothing the provider can act on: it goes to the log (detail).
  return new UnitFailure(
    'unit-crashed',
    `读取文件 ${name} 时处理进程意外退出（平台一侧的错误，原因已记录在平台日志中），未入库任何数据，该文件不会自动重新读取；请确认文件完整、格式正确后重新报送，如反复出现请联系平台运维人员`,
    ending.detail,
  );
}

/** Numbers the jobs of this process, for their sessions' application name. */
let jobs = 0;
/** Tells this process's units apart from another machine's: pids and job numbers repeat across hosts and containers. */
const PROCESS_TOKEN = randomBytes(6).toString('hex');

/**
 * The name a unit's sessions are opened under, ended by name when its worker dies (endSessions): it must name that
 * unit only, on a server several machines load into. Well under PostgreSQL's 63 bytes, which would cut it short.
 */
export function unitSessionName(): string {
  return `credit-etl unit ${process.pid}-${++jobs} ${PROCESS_TOKEN}`;
}
