// HTTP latency by route pattern (req.routeOptions.url: /api/alerts/:n, never the raw URL, which
// carries ids and, on GET webhooks, phone numbers), method and status code.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './registry.js';

export function instrumentHttp(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequest(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
}
