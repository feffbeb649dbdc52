// OpenAPI for the admin API, generated from the route schemas (@fastify/swagger), served at /docs
// (JSON at /docs/json). scripts/openapi.ts writes the same document to openapi.json, and a test
// fails when the routes and the committed file drift apart.
import type { FastifyInstance, FastifySchema } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

export const DOCS_PATH = '/docs';
/** The API description's version: change it when the admin API changes incompatibly. */
export const API_VERSION = '1.0.0';

const TAGS = [
  { name: 'alerts', description: 'Alerts, their delivery and acknowledgement counts, and who has not acknowledged.' },
  { name: 'members', description: 'The members who receive alerts: list, add, change, remove, import a spreadsheet, opt-outs.' },
  { name: 'exercise', description: 'Exercise mode: every new raise is an exercise until it is switched off.' },
  { name: 'webhooks', description: 'Called by Vonage and Discourse; authenticated by their signatures, not a token.' },
  { name: 'operations', description: 'Health, readiness and Prometheus metrics.' },
];

/** Documented: the admin API, the webhooks and the operations endpoints. Pages and the demo simulator are not. */
function documented(url: string): boolean {
  if (url.startsWith('/api/simulator')) return false;
  return /^\/(api|webhooks)\//.test(url) || ['/healthz', '/readyz', '/metrics'].includes(url);
}

/** Every /api/ route checks an admin token (requireBearer); /metrics takes METRICS_TOKEN too. */
const bearerProtected = (url: string): boolean => url === '/metrics' || url.startsWith('/api/');

function defaultTag(url: string): string {
  if (url.startsWith('/webhooks/')) return 'webhooks';
  if (url.startsWith('/api/exercise')) return 'exercise';
  if (url.startsWith('/api/alerts')) return 'alerts';
  if (url.startsWith('/api/')) return 'members';
  return 'operations';
}

// Routes whose owners gave no summary (their edges are defined by the provider, not a schema).
const SUMMARIES: Record<string, string> = {
  '/webhooks/vonage/inbound': "Vonage SMS API inbound text: GET query string, POST form or POST JSON, Vonage's fields, signed (VONAGE_SIGNATURE_SECRET)",
  '/webhooks/vonage/status': 'Vonage delivery receipt: GET query string, POST form or POST JSON, signed like inbound texts',
  '/webhooks/discourse': 'Discourse webhook (topic_created in the Batsignal category raises an alert); X-Discourse-Event-Signature (DISCOURSE_WEBHOOK_SECRET)',
  '/api/exercise': 'Exercise mode: read it, or switch it on or off ({ "on": true })',
};

function transform({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  if (!documented(url)) return { schema: { ...schema, hide: true }, url };
  const s: FastifySchema & Record<string, unknown> = { ...schema };
  if (!s.tags || s.tags.length === 0) s.tags = [defaultTag(url)];
  if (!s.summary && SUMMARIES[url]) s.summary = SUMMARIES[url];
  if (bearerProtected(url) && !s.security) s.security = [{ adminToken: [] }];
  return { schema: s, url };
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Batsignal',
        version: API_VERSION,
        description:
          'SMS-first cyber alerts for NHS digital leaders. The admin API (under /api/) takes `Authorization: Bearer <ADMIN_TOKEN>`; ' +
          '/metrics also takes METRICS_TOKEN. Webhooks are authenticated by their provider signatures.',
      },
      tags: TAGS,
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN (or ADMIN_TOKEN_PREVIOUS during a rotation); METRICS_TOKEN for /metrics.' },
        },
      },
    },
    transform,
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    uiConfig: { docExpansion: 'list', deepLinking: false },
    logLevel: 'warn',
  });
}
