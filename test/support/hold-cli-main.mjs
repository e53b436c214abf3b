// Preloaded into a CLI process by tests (`node --import <this file> bin/credit-etl.js …`): the CLI's main module
// (src/cli/main.ts, or its build) is held back from loading, and the file HOLD_CLI_MAIN_MARK is written
// once the CLI asked for it. The process is then in its first moments: no command module loaded, no handler of
// main.ts or withWarehouse installed; the test signals it there. HOLD_CLI_MODULE holds an earlier module instead:
// `start` (src/cli/start.ts: bin/credit-etl.js ran, start.ts's handlers not installed) or `cli-build` (the first
// module bin/credit-etl.js imports).
import { register } from 'node:module';

register('./hold-cli-main-hooks.mjs', import.meta.url, {
  data: { mark: process.env.HOLD_CLI_MAIN_MARK, module: process.env.HOLD_CLI_MODULE },
});
// The held import alone keeps no handle open: without this the process would end (an unsettled await).
setInterval(() => undefined, 60_000);
