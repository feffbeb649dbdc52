// POST /api/advisories: issue a national advisory, or preview one (dryRun). Admin token only.
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import type { RouteDeps } from '../deps.js';
import { requireBearer } from '../http/auth.js';
import { errorSchema } from '../http/errors.js';
import { sendAdvisory, summaryView } from './service.js';
import { advisoryRequestSchema, advisorySummarySchema } from './schemas.js';

export async function registerAdvisoryRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  app.addHook('preHandler', requireBearer(deps.adminTokens));
  app.addHook('onSend', async (_req, reply) => {
    reply.header('Cache-Control', 'no-store');
  });

  app.post('/api/advisories', {
    // The schema documents the body; parseAdvisoryRequest checks it and lists every problem at once.
    validatorCompiler: () => () => true,
    schema: {
      summary: 'Issue a national advisory to targeted organisations (dryRun: preview who it would reach, send nothing)',
      tags: ['advisories'],
      body: advisoryRequestSchema,
      response: { 200: advisorySummarySchema, 201: advisorySummarySchema, 400: errorSchema, 401: errorSchema },
    },
  }, async (req, reply) => {
    const r = await sendAdvisory({ db: deps.db, email: deps.config.smtp !== undefined, outboxSignal: deps.outboxSignal }, req.body, deps.clock(), 'api');
    return reply.code(r.dryRun ? 200 : 201).send(summaryView(r));
  });
}
