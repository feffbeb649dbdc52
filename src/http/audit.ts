// The audit log's one writer: every change made through the admin API or the pages (a POST, PUT,
// PATCH or DELETE by an admin token or a signed-in admin that succeeded) is recorded with who,
// what (method and route pattern), which (the route's parameters), when and a summary of the body.
// One hook for every route, so a new admin route is audited without remembering to. The row is
// written after the change committed and before the answer is sent (onSend), so whoever got the 200
// finds the line in the log: written after the answer (onResponse), a read straight after it missed
// the line on a loaded CI machine (test/browser/signin.test.ts). A crash between the change's commit
// and this write loses the line, never the change (the change's own tables say what it did; a
// known trade-off, against a transaction shared with every admin route's own).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/connect.js';
import type { Clock } from '../clock.js';

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Not admin changes: signing in is its own log (sessions), the simulator's texts are a phone's. */
const NOT_AUDITED = /^\/api\/(signin|simulator)\//;
/** Provider webhooks: signed by Vonage, Twilio or Discourse, never by an admin. */
const NOT_AUDITED_PREFIX = '/webhooks/';
const SECRET_KEYS = /token|code|secret|password|key/i;
const MAX_DETAILS = 4000;

/** What of the body goes in the log: JSON without secrets, cut at 4,000 characters; of a file, its size. */
export function auditDetails(body: unknown): string | null {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string' || Buffer.isBuffer(body)) return JSON.stringify({ bytes: Buffer.byteLength(body) });
  const text = JSON.stringify(body, (k, v: unknown) => (k !== '' && SECRET_KEYS.test(k) ? '[withheld]' : v));
  if (text === undefined) return null;
  return text.length <= MAX_DETAILS ? text : JSON.stringify({ truncated: text.slice(0, MAX_DETAILS) });
}

function actorOf(req: FastifyRequest): { actor: string; memberId: number | null } | null {
  const a = req.actor;
  if (!a) return null;
  return a.kind === 'token' ? { actor: 'admin token', memberId: null } : { actor: a.name, memberId: a.memberId };
}

/**
 * On the root instance: every route registered after it that can change something (POST, PUT,
 * PATCH, DELETE) gets the hook, so a new admin route is audited without remembering to. Provider
 * webhooks (/webhooks/: signed by a provider, never an admin) and the routes in NOT_AUDITED do not:
 * the hook ran, and returned at once, on every webhook (issue 16: nothing per webhook that is not its work).
 */
export function installAuditLog(app: FastifyInstance, deps: { db: Database; clock: Clock }): void {
  app.decorateRequest('actor', null);
  const audit = async (req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    await record(req, reply);
    return payload;
  };
  const record = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!CHANGES.has(req.method) || reply.statusCode >= 400) return;
    const route = req.routeOptions.url;
    if (route === undefined || NOT_AUDITED.test(route)) return;
    const who = actorOf(req);
    if (!who) return;
    const params = req.params && typeof req.params === 'object' && Object.keys(req.params).length > 0 ? JSON.stringify(req.params) : null;
    try {
      await deps.db
        .insertInto('audit_log')
        .values({ at: deps.clock(), actor: who.actor, actor_member_id: who.memberId, action: `${req.method} ${route}`, target: params, status: reply.statusCode, details: auditDetails(req.body) })
        .execute();
    } catch (err) {
      req.log.error({ err, action: `${req.method} ${route}` }, 'writing the audit log failed');
    }
  };
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => CHANGES.has(m)) || route.url.startsWith(NOT_AUDITED_PREFIX) || NOT_AUDITED.test(route.url)) return;
    const own = route.onSend;
    route.onSend = own === undefined ? [audit] : Array.isArray(own) ? [...own, audit] : [own, audit];
  });
}
