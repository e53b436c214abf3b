import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log/logger.ts';
import type { MetricsDeps } from './metrics-deps.ts';
import { createMetricsRegistry } from './metrics-registry.ts';

/**
 * `/metrics` and `/healthz` on the console's Fastify app (`serve`), the same answers as startMetricsServer's.
 * Both are public like any scrape target: they show counts and names of pipelines, never a record or a person.
 * Behind the reverse proxy, expose them only to the monitoring network (docs/operating.md).
 */
export async function registerMetricsRoutes(
  app: FastifyInstance,
  deps: MetricsDeps,
  logger?: Logger,
): Promise<void> {
  const registry = await createMetricsRegistry(deps, logger);
  app.get('/metrics', async (_request, reply) => {
    const scrape = await registry.scrape();
    return reply.type(scrape.contentType).send(scrape.body);
  });
  app.get('/healthz', async (_request, reply) => {
    const health = await registry.health();
    return reply.code(health.status === 'ok' ? 200 : 503).send(health);
  });
}
