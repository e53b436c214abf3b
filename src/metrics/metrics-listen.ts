import { ConfigError } from '../config/config.ts';
import type { MetricsListen } from './metrics-deps.ts';

/** Loopback unless told otherwise: the samples name pipelines and providers' feeds. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

/**
 * Where `schedule` and `worker` serve `/metrics` and `/healthz`: `CREDIT_ETL_METRICS_PORT` (e.g. 9464, the
 * port Prometheus' registry lists for exporters like this one) turns it on, on `CREDIT_ETL_METRICS_HOST`
 * (default 127.0.0.1). Unset or `off`: no metrics server (undefined).
 */
export function metricsListenFrom(env: NodeJS.ProcessEnv = process.env): MetricsListen | undefined {
  const port = env.CREDIT_ETL_METRICS_PORT?.trim();
  if (!port || port === 'off') return undefined;
  if (!/^\d+$/.test(port) || Number(port) > 65_535)
    throw new ConfigError(
      `CREDIT_ETL_METRICS_PORT=${port} is not a port: use e.g. 9464, 0 for any free port, or off`,
    );
  return { host: env.CREDIT_ETL_METRICS_HOST?.trim() || DEFAULT_METRICS_HOST, port: Number(port) };
}
