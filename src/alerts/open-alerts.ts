import type { Logger } from '../log/logger.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { AlertEvent } from './alert-event.ts';
import { alertsFile, loadAlertsConfig } from './alerts-config.ts';
import type { AlertDeliverer } from './deliver-alerts.ts';

/**
 * The alert sink of a long-running process (`schedule`, `worker`) or a run: the deliverer when the alerts file
 * exists, else a sink that does nothing (said once in the log). The file is validated here, at start-up; a bad
 * one is a ConfigError (exit 2). The deliverer's module (and nodemailer with it) loads only when there is a file.
 */
export async function openAlerts(
  warehouse: Warehouse,
  logger: Logger,
  options: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {},
): Promise<AlertDeliverer> {
  const file = alertsFile(options.env);
  const config = await loadAlertsConfig(file);
  if (!config) {
    // A long-running process says it once at start; a one-off command (`run`) only at debug level.
    const say = options.quiet ? logger.debug : logger.info;
    say.call(logger, `alerts: off (no ${file}; see docs/alerts-and-metrics.md)`);
    return { alert: async (_event: AlertEvent) => undefined, close: async () => undefined };
  }
  const { alertDeliverer } = await import('./deliver-alerts.ts');
  logger.info(
    `alerts: ${config.channels.length} channel(s) from ${file} (${config.channels.map((c) => `${c.name}: ${c.type}`).join(', ')}); repeats suppressed for ${config.suppressMinutes} minute(s)`,
  );
  return alertDeliverer(config, warehouse, logger);
}
