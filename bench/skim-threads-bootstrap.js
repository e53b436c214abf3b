// A worker thread starts with a bare loader: register tsx, then run the TypeScript worker (as src/run does).
import { register } from 'tsx/esm/api';

register();
await import('./skim-threads-worker.ts');
