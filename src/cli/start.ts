// The CLI's entry, run from the precompiled build or through tsx (bin/credit-etl.js chooses).
import { startCommandAhead } from './command-modules.ts';

// A unit worker for `ingest` loads its modules on another core while this thread loads the CLI's.
startCommandAhead(process.argv);
await import('./main.ts');
