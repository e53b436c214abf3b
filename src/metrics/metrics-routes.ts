import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log/logger.ts';
import type { MetricsDeps } from './metrics-deps.ts';
import { createMetricsRegistry } from './metrics-registry.ts';

/**
 * `/metrics` and `/healthz` on the console's Fastify app (`serve`), the same answers as startMetricsServer's.
 * Both answer without a session by design, like any scrape target or health check: they show counts and names
 * of pipelines, never a record or a person, and no database error (that goes to the log). The reverse proxy must
 * let only the monitoring network reach them (docs/console.md, "Behind the reverse proxy").
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
