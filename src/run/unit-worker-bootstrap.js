// A worker thread starts with a bare loader: neither the tsx hooks bin/credit-etl.js registered nor vitest's
// transform reach it. Register tsx here, then run the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./unit-worker.ts');
