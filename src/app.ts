// Builds the HTTP application from its dependencies. Listening, config and shutdown live in main.ts.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import { sql } from 'kysely';
import { installErrorHandler } from './http/errors.js';
import { registerMemberRoutes } from './directory/routes.js';
import { registerSigninRoutes } from './directory/signin-routes.js';
import { verifySession } from './directory/signin.js';
import { installAuditLog } from './http/audit.js';
import { requestLogController } from './http/request-log.js';
import { registerAuditRoutes } from './web/audit.js';
import { registerOrganisationRoutes } from './directory/org-routes.js';
import { registerVonageInbound } from './webhooks/vonage-inbound.js';
import { registerVonageStatus } from './webhooks/vonage-status.js';
import { registerTwilioWebhooks } from './webhooks/twilio.js';
import { registerVonageMessagesWebhooks } from './webhooks/vonage-messages.js';
import { registerProviderRoutes } from './providers/routes.js';
import { registerDiscourseWebhook } from './webhooks/discourse.js';
import { registerAlertRoutes, registerExerciseRoutes } from './alerts/routes.js';
import { registerAdvisoryRoutes } from './advisories/routes.js';
import { registerDashboard } from './web/dashboard.js';
import { registerMembersPage } from './web/members.js';
import { registerActionRoutes } from './web/actions.js';
import { registerWebAssets } from './web/static.js';
import { registerSimulator } from './web/simulator.js';
import { registerMetrics } from './metrics/routes.js';
import { createMetrics } from './metrics/registry.js';
import { instrumentHttp } from './metrics/http.js';
import { registerOpenApi } from './http/openapi.js';
import type { AppDeps, RouteDeps } from './deps.js';

export const DEFAULT_BODY_LIMIT = 64 * 1024;

export async function buildApp(given: AppDeps, logger: FastifyServerOptions['logger'] = false): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    // One line per webhook at info (src/http/request-log.ts).
    logController: requestLogController(),
    bodyLimit: DEFAULT_BODY_LIMIT,
    // Vonage sends a repeated key only if something is wrong; keep arrays visible so the edge can refuse them.
    routerOptions: { ignoreTrailingSlash: true },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  const deps: RouteDeps = {
    ...given,
    metrics: given.metrics ?? createMetrics({ db: given.db, clock: given.clock }),
    sessions: { verify: (token) => verifySession(given.db, token, given.clock()) },
  };
  installErrorHandler(app);
  // Before the routes: the hook applies to every route registered after it.
  installAuditLog(app, deps);
  instrumentHttp(app, deps.metrics);
  await app.register(formbody);
  // Before the routes: it documents each route as it is added.
  await registerOpenApi(app);

  const ops = { tags: ['operations'], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } };
  app.get('/healthz', { logLevel: 'warn', schema: { ...ops, summary: 'Liveness: the process answers (no database check)' } }, () => Promise.resolve({ status: 'ok' }));
  const readyz = { ...ops, summary: 'Readiness: 200 when PostgreSQL answers, else 503', response: { 200: ops.response[200], 503: { type: 'object', properties: { status: { type: 'string' }, message: { type: 'string' } } } } };
  app.get('/readyz', { logLevel: 'warn', schema: readyz }, async (_req, reply) => {
    try {
      await sql`SELECT 1`.execute(deps.db);
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', message: 'database unreachable' });
    }
  });

  // Each feature in its own encapsulated scope (its hooks stay its own). Registering routes is
  // synchronous; a Fastify plugin returns a promise, so scope() wraps the call in one, a throw
  // (a refused configuration) becoming its rejection: buildApp rejects with it.
  const scope = (fn: (s: FastifyInstance) => void | Promise<void>) => (s: FastifyInstance) => new Promise<void>((resolve) => resolve(fn(s)));
  await app.register(scope((s) => registerSigninRoutes(s, deps)));
  await app.register(scope((s) => registerAuditRoutes(s, deps)));
  await app.register(scope((s) => registerMemberRoutes(s, deps)));
  await app.register(scope((s) => registerOrganisationRoutes(s, deps)));
  await app.register(scope((s) => registerVonageInbound(s, deps)));
  await app.register(scope((s) => registerVonageStatus(s, deps)));
  await app.register(scope((s) => registerTwilioWebhooks(s, deps)));
  await app.register(scope((s) => registerVonageMessagesWebhooks(s, deps)));
  await app.register(scope((s) => registerProviderRoutes(s, deps)));
  await app.register(scope((s) => registerDiscourseWebhook(s, deps)));
  await app.register(scope((s) => registerAlertRoutes(s, deps)));
  await app.register(scope((s) => registerAdvisoryRoutes(s, deps)));
  await app.register(scope((s) => registerWebAssets(s)));
  await app.register(scope((s) => registerDashboard(s, deps)));
  await app.register(scope((s) => registerMembersPage(s, deps)));
  await app.register(scope((s) => registerActionRoutes(s, deps)));
  await app.register(scope((s) => registerSimulator(s, deps)));
  await app.register(scope((s) => registerExerciseRoutes(s, deps)));
  await app.register(scope((s) => registerMetrics(s, deps)));
  return app;
}
