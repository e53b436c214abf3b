import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.ts';
import type { MetricsDeps, MetricsListen } from './metrics-deps.ts';
import { createMetricsRegistry, type MetricsRegistry } from './metrics-registry.ts';

export interface MetricsServer {
  /** e.g. `http://127.0.0.1:9464` (the port the system gave when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

/**
 * `/metrics` and `/healthz` on their own small HTTP server, for `schedule` and `worker` (processes without a web
 * server of their own). Anything else is 404. A scrape never throws into the process: the warehouse's absence
 * is a sample (`credit_etl_warehouse_up 0`) and `/healthz` answers 503.
 */
export async function startMetricsServer(
  listen: MetricsListen,
  deps: MetricsDeps,
  logger: Logger,
): Promise<MetricsServer> {
  const registry = await createMetricsRegistry(deps, logger);
  const server = http.createServer((request, response) => {
    void answer(registry, request.method ?? 'GET', request.url ?? '/')
      .then(({ status, contentType, body }) => {
        response.writeHead(status, { 'content-type': contentType });
        response.end(request.method === 'HEAD' ? undefined : body);
      })
      .catch((error: unknown) => {
        logger.error(`metrics: ${request.url} failed: ${(error as Error).message}`);
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('metrics failed\n');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${port}`;
  logger.info(`metrics: ${url}/metrics and ${url}/healthz`);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** The answer to one request of the metrics server: the same two routes `registerMetricsRoutes` adds. */
async function answer(registry: MetricsRegistry, method: string, url: string): Promise<Answer> {
  const path = new URL(url, 'http://localhost').pathname;
  if (method !== 'GET' && method !== 'HEAD')
    return { status: 405, contentType: 'text/plain; charset=utf-8', body: 'GET only\n' };
  if (path === '/metrics') {
    const scrape = await registry.scrape();
    return { status: 200, contentType: scrape.contentType, body: scrape.body };
  }
  if (path === '/healthz') {
    const health = await registry.health();
    return {
      status: health.status === 'ok' ? 200 : 503,
      contentType: 'application/json; charset=utf-8',
      body: `${JSON.stringify(health)}\n`,
    };
  }
  return { status: 404, contentType: 'text/plain; charset=utf-8', body: 'not found: /metrics or /healthz\n' };
}
