import type { Command } from 'commander';
import { TRANSPORTS } from '../../../connectors/registry.ts';
import { loadCatalog } from '../../catalog/load-catalog.ts';
import { commandContext } from '../command-context.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { allPipelines, stagingDir } from '../pipeline-context.ts';
import { untilStopped, withWarehouse } from '../with-warehouse.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'long-running: the web console (runs, pipelines, catalog…) on 127.0.0.1:8080 until SIGTERM/SIGINT',
    )
    .option('--host <address>', 'address to listen on (default CREDIT_ETL_CONSOLE_HOST or 127.0.0.1)')
    .option('--port <n>', 'port to listen on (default CREDIT_ETL_CONSOLE_PORT or 8080; 0 = any free port)')
    .action(async (options: { host?: string; port?: string }) => {
      const { config, logger } = commandContext();
      // Fastify and the pages load here only: no other command pays for them (npm run chaos, 256 MB).
      const { consoleSettingsFrom, ConsoleSettingsError, isListenHost } = await import(
        '../../console/console-settings.ts'
      );
      const { directReportLimit } = await import('../../console/pages/direct-report-limit.ts');
      let settings: ReturnType<typeof consoleSettingsFrom>;
      try {
        settings = consoleSettingsFrom();
        directReportLimit(); // read again by its page; checked here, before the warehouse starts
      } catch (error) {
        if (error instanceof ConsoleSettingsError) throw new UsageError(error.message);
        throw error;
      }
      if (options.host !== undefined) {
        if (!isListenHost(options.host))
          throw new UsageError(
            `--host ${options.host} is not an IP address or a host name: use e.g. 127.0.0.1 (the default), ::1 or localhost`,
          );
        settings.host = options.host;
      }
      if (options.port !== undefined) {
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new UsageError(`--port ${options.port} is not a port number (0–65535)`);
        settings.port = port;
      }
      const { buildConsole } = await import('../../console/console-server.ts');
      const { settleRetries } = await import('../../console/background-retries.ts');
      const catalog = await loadCatalog(config.catalogDir);
      const stop = new AbortController();
      process.exitCode = await withWarehouse(
        config,
        logger,
        async (warehouse) => {
          const app = await buildConsole({
            warehouse,
            config,
            catalog,
            logger,
            settings,
            loadPipelines: allPipelines,
            transports: TRANSPORTS,
            stagingDir: stagingDir(),
            signal: stop.signal,
          });
          // Stopped during start-up (the warehouse's or the console's own): it never listens.
          if (!stop.signal.aborted) {
            const address = await app.listen({ host: settings.host, port: settings.port });
            // The line a supervisor (or a test) waits for; the address is the real one when --port 0.
            console.log(`console listening on ${address}`);
            logger.info(`console listening on ${address}`);
          }
          await untilStopped(stop.signal);
          await app.close();
          await settleRetries();
          logger.info('console stopped');
          return EXIT.ok;
        },
        stop,
      );
    });
}
