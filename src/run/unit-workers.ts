import { Worker } from 'node:worker_threads';
import { releaseHeapFlagsToWorkers } from './worker-heap-flags.ts';

/*
 * The unit workers this process keeps (isolated-unit.ts runs units in them): apart from the unit code and its
 * imports, so that the CLI can start one before it loads the ingest command's modules (command-modules.ts).
 */

/**
 * The worker's young generation: V8's default lets short-lived rows pile up to ~48 MB before a scavenge, on top of
 * the main thread's heap. Scavenges cost what survives, not what is collected, so a small nursery is nearly free:
 * at 1M rows 6 MB against 16 MB left a full-path night as fast (66 s vs 67 s of reading) and took 20 MB off its
 * peak RSS, and a fast re-delivery's peak from 272 to 231 MB (docs/performance.md).
 */
const YOUNG_GENERATION_MB = 6;

// A worker thread starts with a bare loader. Precompiled (scripts/cli-build.js) this module is JavaScript and so is
// the worker's; from the TypeScript sources the worker first registers tsx (unit-worker-bootstrap.js).
const BOOTSTRAP = import.meta.url.endsWith('.ts')
  ? new URL('./unit-worker-bootstrap.js', import.meta.url)
  : new URL('./unit-worker.js', import.meta.url);

/** How long a worker that loaded a unit waits for the next one before it is let go. */
const WARM_MS = 5_000;

/** One worker kept between units (starting one costs the module loads): never one that failed. */
let warm: { worker: Worker; heapMb: number; timer: NodeJS.Timeout } | undefined;

export function takeWorker(heapMb: number): Worker {
  const kept = warm;
  warm = undefined;
  if (kept) {
    clearTimeout(kept.timer);
    if (kept.heapMb === heapMb) return kept.worker;
    void kept.worker.terminate();
  }
  // No inherited node flags: the heap cap is `resourceLimits`, and preloads (`--import`) are the main thread's.
  releaseHeapFlagsToWorkers();
  const worker = new Worker(BOOTSTRAP, {
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  // Between units nobody else listens: an error of an idle worker must not throw in this thread. Its exit takes it
  // off offer; a unit running on it reads the error with a listener of its own (isolated-unit.ts).
  worker.on('error', () => undefined);
  worker.once('exit', () => {
    if (warm?.worker !== worker) return;
    clearTimeout(warm.timer);
    warm = undefined;
  });
  return worker;
}

export function keepWarm(worker: Worker, heapMb: number, ms = WARM_MS): void {
  if (warm) void warm.worker.terminate(); // two units finished at once: keep the newest
  worker.unref();
  const timer = setTimeout(() => {
    // Let go of it now: its exit comes later, and a unit taking it meanwhile would see it die (exit code 1).
    if (warm?.worker === worker) warm = undefined;
    void worker.terminate();
  }, ms).unref();
  warm = { worker, heapMb, timer };
}

/** How long a worker started ahead waits for its first unit: the caller's start-up may start a server first. */
const AHEAD_MS = 60_000;

/**
 * Starts the worker the first unit will take while the caller is still starting up (catalog, warehouse, run): its
 * module loads then run beside the caller's on another core instead of after them (1M-row re-delivery: the
 * worker was ready 0.9 s after the run started). Unref'd and let go after AHEAD_MS: it never holds the process.
 * Returns the worker kept (one already kept stays).
 */
export function startUnitWorkerAhead(heapMb: number): Worker {
  if (warm) return warm.worker;
  const worker = takeWorker(heapMb);
  // One that dies before a unit takes it leaves `warm` (takeWorker's exit listener): the unit starts another.
  keepWarm(worker, heapMb, AHEAD_MS);
  return worker;
}
