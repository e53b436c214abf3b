import v8 from 'node:v8';

let released = false;

/**
 * Hands each worker thread the heap limits it is created with. The CLI's heap flags (the `#!` line of
 * bin/credit-etl.js) are meant for the main thread, but V8 reads its flags again for every isolate it creates and
 * lets them override a worker's `resourceLimits`: under `--max-old-space-size=192` a unit worker created with
 * CREDIT_ETL_UNIT_HEAP_MB=512 got a 192 MB heap (measured: heap_size_limit 216 MB, not 536). Once the main
 * isolate exists the two flags have done their work; cleared (0 is V8's "not set"), they leave workers alone.
 */
export function releaseHeapFlagsToWorkers(): void {
  if (released) return;
  released = true;
  v8.setFlagsFromString('--max-old-space-size=0');
  v8.setFlagsFromString('--max-semi-space-size=0');
}
