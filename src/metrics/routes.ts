// GET /metrics: Prometheus text, for METRICS_TOKEN (give Prometheus only that) or an admin token.
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger'; // FastifySchema's summary/tags (OpenAPI)
import type { RouteDeps } from '../deps.js';
import { requireBearer } from '../http/auth.js';
import { errorSchema } from '../http/errors.js';

export const METRICS_PATH = '/metrics';

export function registerMetrics(app: FastifyInstance, deps: RouteDeps): void {
  const tokens = [...(deps.config.metricsToken ? [deps.config.metricsToken] : []), ...deps.adminTokens];
  app.get(
    METRICS_PATH,
    {
      onRequest: requireBearer(tokens),
      // Scraped every few seconds: a line per scrape would drown the log.
      logLevel: 'warn',
      schema: {
        summary: 'Prometheus metrics (text exposition format): webhooks, sends, receipts, outbox depth and age, alerts, ACKs, HTTP latency',
        tags: ['operations'],
        produces: ['text/plain'],
        response: {
          200: { type: 'string', description: 'Prometheus text format 0.0.4.' },
          401: errorSchema,
        },
      },
    },
    async (_req, reply) => {
      const body = await deps.metrics.render();
      return reply.type(deps.metrics.contentType).header('Cache-Control', 'no-store').send(body);
    },
  );
}
