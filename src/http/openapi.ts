// OpenAPI for the admin API, generated from the route schemas (@fastify/swagger), served at /docs
// (JSON at /docs/json). scripts/openapi.ts writes the same document to openapi.json, and a test
// fails when the routes and the committed file drift apart.
import type { FastifyInstance, FastifySchema } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { errorSchema } from './errors.js';

export const DOCS_PATH = '/docs';
/** The API description's version: change it when the admin API changes incompatibly. */
export const API_VERSION = '1.0.0';

const TAGS = [
  { name: 'alerts', description: 'Alerts, their delivery and acknowledgement counts, and who has not acknowledged.' },
  { name: 'advisories', description: 'National advisories: targeted by organisation type, region, ODS code and product, routed to named contacts, with a response per organisation.' },
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

/** Every /api/ route checks an admin token or a signed-in session (requireAdmin); /metrics takes METRICS_TOKEN too. */
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

// Descriptions for responses whose schema has none (the document only; what is sent is unchanged).
const STATUS_TEXT: Record<string, string> = {
  400: 'Invalid request: the message says which field and why.',
  401: 'No bearer token, or not an accepted one.',
  404: 'Not found.',
  409: 'Conflict: the phone number or forum username belongs to another member.',
  413: 'Body too large.',
  415: 'Unsupported content type.',
  503: 'PostgreSQL does not answer.',
};

const error = (description: string) => ({ description, ...errorSchema });

/** The refusals every route of a kind answers with, where its owner's schema does not list them (the document only). */
function refusals(url: string): Record<string, unknown> {
  if (bearerProtected(url)) return { 401: error('No bearer token, or not an accepted one.') };
  if (url === '/webhooks/discourse') {
    return { 400: error('Not a topic_created JSON payload.'), 401: error('X-Discourse-Event-Signature does not match.'), 404: error('DISCOURSE_WEBHOOK_SECRET is not set.') };
  }
  if (url.startsWith('/webhooks/')) return { 400: error('A field is missing, repeated or malformed.'), 401: error('Missing or invalid signature (sig).') };
  return {};
}

function transform({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  if (!documented(url)) return { schema: { ...schema, hide: true }, url };
  const s: FastifySchema & Record<string, unknown> = { ...schema };
  if (!s.tags || s.tags.length === 0) s.tags = [defaultTag(url)];
  if (!s.summary && SUMMARIES[url]) s.summary = SUMMARIES[url];
  if (bearerProtected(url) && !s.security) s.security = [{ adminToken: [] }];
  const given = (s.response ?? { 200: { description: 'Default Response' } }) as Record<string, Record<string, unknown>>;
  const described = Object.fromEntries(
    Object.entries(given).map(([code, r]) => [code, r.description || !STATUS_TEXT[code] ? r : { description: STATUS_TEXT[code], ...r }]),
  );
  s.response = { ...refusals(url), ...described };
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
