// `credit-etl run <pipeline>` with the test's partition-folder transport registered: the real command path
// (signals, warehouse, graceful stop) over a transport that exists only in tests.
import { runPipelineNow } from '../../src/cli/commands/run-command.ts';
import { partitionFolderTransport } from './partition-folder-transport.ts';

const name = process.argv[2] ?? '';
const transports = { 'partition-folder': partitionFolderTransport({ settled: [], polls: 0 }) };
process.exitCode = await runPipelineNow(name, { json: true }, transports);
